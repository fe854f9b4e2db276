"""envd's behaviours in detail, beyond "the builtin has an effect" (test_builtin_effects.py): how package
names with pip options are split and translated, what conda's steps mount and verify, the dev tool set,
who owns what, and the refusal of config.entrypoint on a dev image."""

from __future__ import annotations

import tomllib

import pytest

from envbuild.compile import languages, python
from envbuild.compile.dev import ENVD_TOOL_PACKAGES, dev_apt_packages
from envbuild.compile.pip_args import split_names
from envbuild.errors import EnvbuildError, Location
from tests.compile.test_builtin_effects import DEV, NON_DEV, compile_text

# --- pip options in package names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "requirements", "uv"),
    [
        # envd's own files: the torch template, examples with --extra-index-url in a name of its own
        (
            ["torch --index-url https://download.pytorch.org/whl/cpu"],
            ["torch"],
            ["torch", "--index-url", "https://download.pytorch.org/whl/cpu"],
        ),
        (
            ["--extra-index-url https://download.pytorch.org/whl/cu113", "torch", "torchvision"],
            ["torch", "torchvision"],
            ["--extra-index-url", "https://download.pytorch.org/whl/cu113", "torch", "torchvision"],
        ),
        (
            ["--extra-index-url", "https://x/simple", "a"],
            ["a"],
            ["--extra-index-url", "https://x/simple", "a"],
        ),
        (
            ["-f https://x/links/ --pre", "c"],
            ["c"],
            ["--find-links", "https://x/links/", "--prerelease", "allow", "c"],
        ),
        (
            ["--index-url=https://x", "a", "-U", "--no-deps"],
            ["a"],
            ["--index-url", "https://x", "a", "--upgrade", "--no-deps"],
        ),
        (
            ["a --trusted-host example.org --no-cache-dir"],
            ["a"],
            ["a", "--allow-insecure-host", "example.org", "--no-cache"],
        ),
        # several packages in one name, as envd splits them
        (["numpy pandas"], ["numpy", "pandas"], ["numpy", "pandas"]),
        # one requirement written with spaces stays one (envd would cut it into pieces pip rejects)
        (
            ["numpy >= 1.26", 'pywin32; sys_platform == "win32"', "pkg @ https://x/p.whl"],
            ["numpy >= 1.26", 'pywin32; sys_platform == "win32"', "pkg @ https://x/p.whl"],
            ["numpy >= 1.26", 'pywin32; sys_platform == "win32"', "pkg @ https://x/p.whl"],
        ),
    ],
)
def test_names_split_as_envd_splits_them(names, requirements, uv):
    args = split_names(names)
    assert list(args.requirements) == requirements
    assert list(args.uv_words or ()) == uv


@pytest.mark.parametrize(
    "option", ["--user", "--no-warn-script-location", "--timeout 30", "-Uq", "--prefer-binary"]
)
def test_an_option_uv_cannot_spell_sends_the_line_to_pip(option):
    args = split_names([f"a {option}"])
    assert args.uv_words is None and args.has_options
    assert args.requirements == ("a",)


def test_pip_option_lines_compile_to_uv_or_to_pip(tmp_path):
    c = compile_text(
        tmp_path,
        f"{NON_DEV}\ninstall.python()\n"
        'install.python_packages(name=["torch --index-url https://download.pytorch.org/whl/cpu"])\n'
        'install.python_packages(name=["a", "--user"])',
        {},
    )
    assert (
        "uv pip install --python /opt/conda/envs/envd/bin/python torch --index-url "
        "https://download.pytorch.org/whl/cpu" in c.script("uv pip install --python")
    )
    assert "/opt/conda/envs/envd/bin/python -m pip install a --user" in c.script("--user")


@pytest.mark.parametrize(
    ("names", "says"),
    [
        (["a --index-url"], "pip option --index-url needs a value"),
        (["'unclosed"], "cannot split"),
    ],
)
def test_bad_pip_lines_are_located_errors(names, says):
    where = Location("build.envd", 4, 5)
    with pytest.raises(EnvbuildError) as caught:
        split_names(names, where)
    assert says in caught.value.message and caught.value.location == where


# --- conda ------------------------------------------------------------------------------------------------


def test_conda_env_file_runs_in_the_project_mounted_read_write(tmp_path):
    c = compile_text(
        tmp_path,
        f'{DEV}\ninstall.conda()\ninstall.conda_packages(env_file="env.yaml")',
        {"env.yaml": "dependencies:\n  - pip:\n    - -e .\n", "setup.py": ""},
    )
    step = c.step("conda env update")
    project = f"/home/envd/{tmp_path.name}"
    assert step["exec"]["meta"]["cwd"] == project
    assert "--file env.yaml" in " ".join(step["exec"]["meta"]["args"])
    mount = next(m for m in step["exec"]["mounts"] if m["dest"] == project)
    assert not mount.get("readonly")
    local = next(
        op["source"]
        for op in c.ops
        if op["kind"] == "source" and op["source"]["identifier"] == "local://context"
    )
    assert "local.includepattern" not in local.get("attrs", {})  # the whole project, as envd mounts it


@pytest.mark.parametrize(("platform", "arch"), [("linux/amd64", "x86_64"), ("linux/arm64", "aarch64")])
def test_miniconda_is_checksum_verified_for_each_platform(platform, arch):
    from envbuild import llb
    from envbuild.compile.dump import dump_definition
    from envbuild.compile.steps import StepEnv

    state = python.install_conda(
        llb.image("debian:bookworm"),
        "3.11",
        use_mamba=False,
        channel=None,
        platform=platform,
        steps=StepEnv(scope="x"),
    )
    sources = [
        op["source"] for op in dump_definition(state.marshal(platform=platform)) if op["kind"] == "source"
    ]
    http = next(s for s in sources if s["identifier"].startswith("https://repo.anaconda.com/"))
    assert http["identifier"].endswith(f"-Linux-{arch}.sh")
    assert http["attrs"]["http.checksum"] == python.MINICONDA_SHA256[arch]


def test_mamba_gets_envds_rc_file(tmp_path):
    c = compile_text(tmp_path, f"{NON_DEV}\ninstall.conda(use_mamba=True)", {})
    assert "channels:\n  - conda-forge\n' > /opt/conda/.mambarc" in c.script("micromamba create")


def test_a_root_owner_gets_no_chown(tmp_path):
    c = compile_text(tmp_path, f"{DEV}\ninstall.conda()\nconfig.owner(uid=0, gid=0)", {})
    assert "chown -R" not in c.script("miniconda.sh")
    assert not [s for s in c.scripts() if 'find "$dir"' in s]


def test_user_trees_are_given_to_the_dev_user(tmp_path):
    c = compile_text(
        tmp_path,
        f'{DEV}\ninstall.conda()\ninstall.r_lang()\ninstall.julia()\ninstall.julia_packages(name=["X"])',
        {},
    )
    script = c.script('find "$dir"')
    assert "for dir in /opt/conda /usr/local/lib/R/site-library /opt/julia/user_packages;" in script
    assert "-exec chown -h 1000:1000 {} +" in script


# --- dev images ---------------------------------------------------------------------------------------------


def test_dev_images_carry_envds_tool_set():
    envd_tools = {
        "wget",
        "make",
        "gpg",
        "locales",
        "bzip2",
        "libglib2.0-0",
        "libsm6",
        "libxext6",
        "libxrender1",
        "libatomic1",
        "curl",
        "git",
        "sudo",
        "procps",
        "openssh-client",
        "ca-certificates",
    }
    assert envd_tools <= set(dev_apt_packages("bash"))
    assert set(ENVD_TOOL_PACKAGES) <= set(dev_apt_packages("fish"))


def test_config_entrypoint_on_a_dev_image_is_refused_at_its_line(tmp_path):
    (tmp_path / "build.envd").write_text(
        'def build():\n    config.entrypoint(args=["date"])\n    base(image="debian:bookworm", dev=True)\n'
    )
    from envbuild.lang import evaluate

    with pytest.raises(EnvbuildError) as caught:
        evaluate(tmp_path / "build.envd", project_dir=tmp_path)
    err = caught.value
    assert "config.entrypoint() is only for images without base(dev=True)" in err.message
    assert (err.location.line, err.location.column) == (2, 5) and "runtime.init" in err.hint


def test_pixi_config_with_mirror_and_index_is_valid_toml():
    text = languages.pixi_config(True, "https://pypi.example/simple")
    doc = tomllib.loads(text)
    assert doc["mirrors"]["https://conda.anaconda.org"] == ["https://prefix.dev/"]
    assert doc["pypi-config"]["index-url"] == "https://pypi.example/simple"
    assert languages.pixi_config(False, None) is None


@pytest.mark.parametrize(
    ("body", "rc", "line"),
    [
        (
            "install.conda()",
            "/home/envd/.bashrc",
            ". /opt/conda/etc/profile.d/conda.sh && conda activate envd",
        ),
        (
            'shell(name="zsh")\ninstall.conda(use_mamba=True)',
            "/home/envd/.zshrc",
            'eval "$(/opt/conda/bin/micromamba shell hook --shell=zsh)"'
            " && micromamba activate /opt/conda/envs/envd",
        ),
        (
            'shell(name="fish")\ninstall.conda()',
            "/home/envd/.config/fish/config.fish",
            "source /opt/conda/etc/fish/conf.d/conda.fish; conda activate envd",
        ),
        ("install.pixi()", "/home/envd/.bashrc", 'eval "$(pixi completion --shell bash)"'),
        (
            'shell(name="fish")\ninstall.pixi()',
            "/home/envd/.config/fish/config.fish",
            "pixi completion --shell fish | source",
        ),
    ],
)
def test_login_shell_activates_conda_and_completes_pixi_as_envd_sets_them_up(tmp_path, body, rc, line):
    c = compile_text(tmp_path, f"{DEV}\n{body}", {})
    script = c.script("envbuild prompt")
    assert line in script and f">> {rc}" in script


def test_apt_names_with_spaces_are_several_packages_as_in_envd(tmp_path):
    c = compile_text(tmp_path, f'{NON_DEV}\ninstall.apt_packages(name=["htop  jq", "htop"])', {})
    assert "--no-install-recommends htop jq; }" in c.script("apt-get")

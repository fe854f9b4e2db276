"""Table-driven checks of the CUDA / PyTorch / vLLM choices, and of the tables' own coherence."""

from __future__ import annotations

import re

import pytest

from envbuild.compile.cuda import (
    ANY,
    cuda_image,
    gpu_stack,
    load_table,
    requested_versions,
    torch_wheels,
    ubuntu_release,
    vllm_release,
)
from envbuild.errors import EnvbuildError, Location

REPO = "docker.io/nvidia/cuda"


@pytest.mark.parametrize(
    ("version", "cudnn", "dev", "ubuntu", "tag"),
    [
        # old scheme: X.Y and a numbered cuDNN
        ("10.2", "8", True, None, "10.2-cudnn8-devel-ubuntu18.04"),
        ("10.1", "7", False, "16.04", "10.1-cudnn7-runtime-ubuntu16.04"),
        # 11.x: X.Y.Z and a numbered cuDNN (envd's default request)
        ("11.6.2", "8", True, None, "11.6.2-cudnn8-devel-ubuntu20.04"),
        ("11.8", "8", True, None, "11.8.0-cudnn8-devel-ubuntu22.04"),
        ("11.8.0", None, False, "20.04", "11.8.0-cudnn8-runtime-ubuntu20.04"),
        # 12.0-12.2 still say cudnn8, 12.3 says cudnn9
        ("12.1", "8", True, None, "12.1.1-cudnn8-devel-ubuntu22.04"),
        ("12.1.0", None, True, None, "12.1.0-cudnn8-devel-ubuntu22.04"),
        ("12.3", "9", True, None, "12.3.2-cudnn9-devel-ubuntu22.04"),
        # 12.4 on: the bare word 'cudnn' (cuDNN 9); envd's 12.4.1-cudnn9-... names no image
        ("12.4", "9", True, None, "12.4.1-cudnn-devel-ubuntu22.04"),
        ("12.4.1", None, True, None, "12.4.1-cudnn-devel-ubuntu22.04"),
        ("12.6", "cudnn9", True, "24.04", "12.6.3-cudnn-devel-ubuntu24.04"),
        ("12.8", None, False, None, "12.8.1-cudnn-runtime-ubuntu22.04"),
        ("13.0", None, True, None, "13.0.2-cudnn-devel-ubuntu22.04"),
    ],
)
def test_cuda_image_tags(version, cudnn, dev, ubuntu, tag):
    image = cuda_image(version, cudnn, dev=dev, ubuntu=ubuntu)
    assert image.ref == f"{REPO}:{tag}"


@pytest.mark.parametrize(
    ("version", "cudnn", "ubuntu", "message", "hint_has"),
    [
        ("12.4", "8", None, "CUDA 12.4 has no image with cuDNN 8", "cuDNN 9"),
        ("11.8", "9", None, "CUDA 11.8 has no image with cuDNN 9", "cuDNN 8"),
        ("9.9", None, None, "no nvidia/cuda image with cuDNN exists for CUDA 9.9", "12.4.1"),
        ("12.4.0", None, None, "no nvidia/cuda image", "12.4.1"),
        ("11.2", "8", "22.04", "has no image on Ubuntu 22.04", "20.04"),
        ("latest", None, None, "is not a version", None),
    ],
)
def test_cuda_image_impossible(version, cudnn, ubuntu, message, hint_has):
    where = Location("build.envd", 3, 5)
    with pytest.raises(EnvbuildError) as caught:
        cuda_image(version, cudnn, ubuntu=ubuntu, location=where)
    assert message in caught.value.message
    assert caught.value.location == where
    if hint_has:
        assert hint_has in caught.value.hint


@pytest.mark.parametrize(
    ("torch", "cuda", "want_torch", "index"),
    [
        ("2.5.1", None, "2.5.1", "cu124"),
        ("2.5", "12.1", "2.5.1", "cu121"),
        ("2.1.2", "11.8.0", "2.1.2", "cu118"),
        (None, "12.8", "2.9.1", "cu128"),
        (None, "11.7", "2.0.1", "cu117"),
        ("2.7", None, "2.7.1", "cu126"),
    ],
)
def test_torch_wheels(torch, cuda, want_torch, index):
    wheels = torch_wheels(torch, cuda)
    assert wheels.torch == want_torch
    assert wheels.index_url == f"https://download.pytorch.org/whl/{index}"
    assert wheels.packages[0] == f"torch=={want_torch}"


@pytest.mark.parametrize(
    ("torch", "cuda", "message"),
    [
        ("2.5.1", "12.8", "torch 2.5.1 has no wheels for CUDA 12.8"),
        ("1.0", None, "torch 1.0 is not in envbuild's PyTorch table"),
        (None, "10.2", "no torch release in envbuild's table has wheels for CUDA 10.2"),
    ],
)
def test_torch_wheels_impossible(torch, cuda, message):
    with pytest.raises(EnvbuildError, match=re.escape(message)):
        torch_wheels(torch, cuda)


@pytest.mark.parametrize(
    ("request_", "image_tag", "packages", "index"),
    [
        (dict(torch="2.5.1"), "12.4.1-cudnn-devel-ubuntu22.04",
         ("torch==2.5.1", "torchvision==0.20.1", "torchaudio==2.5.1"), "cu124"),
        (dict(cuda="11.8", torch="2.3.1"), "11.8.0-cudnn8-devel-ubuntu22.04",
         ("torch==2.3.1", "torchvision==0.18.1", "torchaudio==2.3.1"), "cu118"),
        (dict(vllm="0.8.5"), "12.4.1-cudnn-devel-ubuntu22.04",
         ("torch==2.6.0", "torchvision==0.21.0", "torchaudio==2.6.0", "vllm==0.8.5"), "cu124"),
        (dict(vllm="0.6.3", cuda="12.1.1", cudnn="8"), "12.1.1-cudnn8-devel-ubuntu22.04",
         ("torch==2.4.0", "torchvision==0.19.0", "torchaudio==2.4.0", "vllm==0.6.3"), "cu121"),
        (dict(vllm="0.10", dev=False), "12.8.1-cudnn-runtime-ubuntu22.04",
         ("torch==2.8.0", "torchvision==0.23.0", "torchaudio==2.8.0", "vllm==0.10.2"), "cu128"),
        (dict(cuda="12.6"), "12.6.3-cudnn-devel-ubuntu22.04", (), None),
    ],
)
def test_gpu_stack(request_, image_tag, packages, index):
    stack = gpu_stack(**request_)
    assert stack.image.ref == f"{REPO}:{image_tag}"
    assert stack.python_packages == packages
    if index is None:
        assert stack.extra_index_url is None
    else:
        assert stack.extra_index_url == f"https://download.pytorch.org/whl/{index}"


@pytest.mark.parametrize(
    ("request_", "message", "hint_has"),
    [
        (dict(vllm="0.8.5", torch="2.7.0"), "vllm 0.8.5 needs torch 2.6.0, not torch 2.7.0", "0.9"),
        (dict(vllm="0.8.5", cuda="11.8"), "built for CUDA 12.4, not CUDA 11.8", "no vLLM release"),
        (dict(vllm="0.9", cuda="12.4"), "built for CUDA 12.8, not CUDA 12.4", "0.8"),
        (dict(vllm="9.9"), "vllm 9.9 is not in envbuild's vLLM table", "0.8.5"),
        (dict(torch="2.5.1", cuda="12.4", cudnn="8"), "CUDA 12.4 has no image with cuDNN 8", "cuDNN 9"),
    ],
)
def test_gpu_stack_impossible(request_, message, hint_has):
    with pytest.raises(EnvbuildError) as caught:
        gpu_stack(**request_)
    assert message in caught.value.message
    assert hint_has in caught.value.hint


def test_every_vllm_row_names_a_torch_build_that_exists():
    torch_rows = {r["torch"]: r for r in load_table("pytorch")["releases"]}
    for row in load_table("vllm")["releases"]:
        assert row["torch"] in torch_rows, row
        assert row["cuda"] in torch_rows[row["torch"]]["cuda"], row


def test_every_torch_cuda_build_has_a_base_image():
    for row in load_table("pytorch")["releases"]:
        for cuda in row["cuda"]:
            assert cuda_image(cuda).cuda.startswith(cuda + "."), (row["torch"], cuda)
        assert row["default_cuda"] in row["cuda"]


def test_cuda_rows_follow_the_naming_scheme_of_their_release():
    for row in load_table("cuda_images")["images"]:
        major_minor = tuple(int(p) for p in row["cuda"].split(".")[:2])
        if major_minor >= (12, 4):
            assert row["cudnn_tag"] == "cudnn", row
        else:
            assert row["cudnn_tag"] == f"cudnn{row['cudnn']}", row


def test_vllm_release_picks_newest_matching():
    assert vllm_release("0.6").vllm == "0.6.6"
    assert vllm_release("0.6.3").torch == "2.4.0"


@pytest.mark.parametrize(
    ("packages", "expected"),
    [
        (["numpy", "torch==2.5.1"], ("2.5.1", None)),
        (["vllm==0.8.5"], (None, "0.8.5")),
        (["torch==2.4.0+cu121", "vllm"], ("2.4.0", ANY)),
        (["torch"], (ANY, None)),
        (["torch>=2.1"], (None, None)),
        (["torchvision==0.20.1"], (None, None)),
    ],
)
def test_requested_versions(packages, expected):
    assert requested_versions(packages) == expected


@pytest.mark.parametrize(
    ("image", "release"),
    [
        ("ubuntu:22.04", "22.04"),
        ("docker.io/library/ubuntu:20.04", "20.04"),
        ("ubuntu:noble", "24.04"),
        ("ubuntu:jammy-20240911", "22.04"),
        ("debian:bookworm", None),
        ("registry.local:5000/ubuntu", None),
        ("myorg/ubuntu-cuda:22.04", None),
    ],
)
def test_ubuntu_release_of_the_base_image(image, release):
    assert ubuntu_release(image) == release


@pytest.mark.parametrize(
    ("request_", "torch", "vllm", "image_tag"),
    [
        # a bare `torch` with a CUDA request: the newest torch built for that CUDA, not the newest overall
        (dict(cuda="11.8.0", torch=ANY), "2.7.1", None, "11.8.0-cudnn8-devel-ubuntu22.04"),
        (dict(cuda="12.4", torch=ANY), "2.6.0", None, "12.4.1-cudnn-devel-ubuntu22.04"),
        (dict(torch=ANY), "2.9.1", None, "12.8.1-cudnn-devel-ubuntu22.04"),
        # no torch in the table for CUDA 11.2: no pin, pip decides (as envd's plain `pip install torch`)
        (dict(cuda="11.2.2", torch=ANY, ubuntu="20.04"), None, None, "11.2.2-cudnn8-devel-ubuntu20.04"),
        # a bare `vllm`: the newest release built for the requested CUDA
        (dict(cuda="12.4", vllm=ANY), "2.6.0", "0.8.5", "12.4.1-cudnn-devel-ubuntu22.04"),
        (dict(cuda="12.4", vllm=ANY, torch=ANY), "2.6.0", "0.8.5", "12.4.1-cudnn-devel-ubuntu22.04"),
    ],
)
def test_bare_torch_and_vllm_take_the_newest_that_fits(request_, torch, vllm, image_tag):
    stack = gpu_stack(**request_)
    assert (stack.torch.torch if stack.torch else None) == torch
    assert (stack.vllm.vllm if stack.vllm else None) == vllm
    assert stack.image.ref == f"{REPO}:{image_tag}"

import subprocess
import sys


def test_version_runs():
    out = subprocess.run([sys.executable, "-m", "envbuild.cli", "version"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("envbuild ")

"""The wheel carries the kernel library: kernels/ becomes convcli/builtin_kernels inside it.

One wheel is built per test session (about a second with hatchling, no build isolation) and
checked from its contents and from a fresh interpreter that cannot see the repository's src/.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
KERNEL_FILES = sorted(path.name for path in (REPOSITORY / "kernels").iterdir() if path.is_file())

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from the repository."""
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(REPOSITORY),
            "--no-deps",
            "--no-build-isolation",
            "--no-cache-dir",
            "--quiet",
            "-w",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (path,) = out.glob("convcli-*.whl")
    return path


@pytest.fixture(scope="module")
def unpacked(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel's contents, unzipped as an installer would place them in site-packages."""
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def test_wheel_contains_every_builtin_kernel(wheel: Path) -> None:
    """Every file in kernels/ is in the wheel as convcli/builtin_kernels/<name>."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    packaged = sorted(
        name.removeprefix("convcli/builtin_kernels/")
        for name in names
        if name.startswith("convcli/builtin_kernels/")
    )
    assert [name for name in KERNEL_FILES if name.endswith(".yaml")]
    assert packaged == KERNEL_FILES


def test_wheel_kernels_are_byte_identical(wheel: Path) -> None:
    """The packaged kernel files are the repository's files, unchanged."""
    with zipfile.ZipFile(wheel) as archive:
        for name in KERNEL_FILES:
            packaged = archive.read(f"convcli/builtin_kernels/{name}")
            assert packaged == (REPOSITORY / "kernels" / name).read_bytes(), name


def test_wheel_contains_the_kernels_package(wheel: Path) -> None:
    """The wheel holds the kernels code, and no top-level kernels/ folder."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "convcli/kernels/resolver.py" in names
    assert "convcli/kernels/library.py" in names
    assert not any(name.startswith("kernels/") for name in names)


PROBE = """
import json, os, sys
repository_src = os.path.realpath(sys.argv[2])
sys.path[:] = [sys.argv[1]] + [
    p for p in sys.path if p and os.path.realpath(p) != repository_src
]
import convcli
from convcli.kernels import builtin_folder, library_names, resolve_kernel
sobel = resolve_kernel("sobel")
sobel_x = resolve_kernel("sobel-x")
print(json.dumps({
    "convcli": os.path.realpath(convcli.__file__),
    "builtin_folder": os.path.realpath(str(builtin_folder())),
    "sobel_source": sobel.source,
    "sobel_path": os.path.realpath(sobel.path),
    "sobel_parts": [part.name for part in sobel.parts],
    "sobel_x": sobel_x.weights.tolist(),
    "names": library_names(),
}))
"""


def test_installed_wheel_finds_its_own_kernels(unpacked: Path, tmp_path: Path) -> None:
    """From the unpacked wheel, convcli reads built-ins from inside the package, not the repo."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    config = tmp_path / "config"
    config.mkdir()
    finished = subprocess.run(
        [sys.executable, "-I", "-c", PROBE, str(unpacked), str(REPOSITORY / "src")],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env={"XDG_CONFIG_HOME": str(config), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    root = unpacked.resolve()
    assert Path(report["convcli"]).is_relative_to(root / "convcli")
    assert Path(report["builtin_folder"]) == root / "convcli" / "builtin_kernels"
    assert report["sobel_source"] == "built-in"
    assert Path(report["sobel_path"]).is_relative_to(root)
    assert report["sobel_parts"] == ["sobel-x", "sobel-y"]
    assert report["sobel_x"] == [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    expected = sorted(name.removesuffix(".yaml") for name in KERNEL_FILES if name.endswith(".yaml"))
    assert report["names"] == expected

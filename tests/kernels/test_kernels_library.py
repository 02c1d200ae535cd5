"""The kernel library: the built-ins in kernels/, user folders that add or override kernels.

The built-in checks are parametrized over the files in ``kernels/``, so a new kernel is checked
as soon as it is added.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from convcli import apply_kernel
from convcli.kernels import (
    CombinedKernel,
    Kernel,
    builtin_folder,
    library_entries,
    library_names,
    resolve_kernel,
)
from convcli.kernels.files import load_kernel_file

REPOSITORY = Path(__file__).resolve().parents[2]
BUILTIN_FILES = sorted((REPOSITORY / "kernels").glob("*.yaml"))
BUILTIN_NAMES = [path.stem for path in BUILTIN_FILES]

REQUIRED = {
    "identity": ["identity"],
    "box blur": ["box-3", "box-5", "box-7"],
    "gaussian blur": ["gaussian-3", "gaussian-5", "gaussian-7"],
    "sharpen": ["sharpen", "sharpen-strong"],
    "unsharp mask": ["unsharp"],
    "high-pass": ["high-pass"],
    "laplacian": ["laplacian-4", "laplacian-8"],
    "sobel": ["sobel-x", "sobel-y", "sobel"],
    "prewitt": ["prewitt-x", "prewitt-y", "prewitt"],
    "scharr": ["scharr-x", "scharr-y", "scharr"],
    "roberts": ["roberts-x", "roberts-y", "roberts"],
    "compass": ["kirsch", "robinson"],
    "emboss": ["emboss"],
    "outline": ["outline"],
    "ridge": ["ridge"],
    "motion blur": ["motion-h", "motion-v", "motion-diagonal"],
    "laplacian of gaussian": ["log"],
    "difference of gaussians": ["dog"],
}
GRADIENT_PAIRS = {
    "sobel": ("sobel-x", "sobel-y"),
    "prewitt": ("prewitt-x", "prewitt-y"),
    "scharr": ("scharr-x", "scharr-y"),
    "roberts": ("roberts-x", "roberts-y"),
}
COMPASS = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"]
#: (rows, columns) towards each compass point; rows grow downwards.
TOWARDS = {
    "N": (-1, 0),
    "NE": (-1, 1),
    "E": (0, 1),
    "SE": (1, 1),
    "S": (1, 0),
    "SW": (1, -1),
    "W": (0, -1),
    "NW": (-1, -1),
}


def plain(name: str) -> Kernel:
    """The plain (non-combined) kernel called ``name``."""
    kernel = resolve_kernel(name)
    assert isinstance(kernel, Kernel)
    return kernel


def ramp(rows: int, columns: int, towards: tuple[int, int]) -> np.ndarray:
    """A float image that brightens by 1 per pixel in the direction ``towards``."""
    r, c = np.mgrid[0:rows, 0:columns]
    return (towards[0] * r + towards[1] * c).astype(np.float64)


def interior(image: np.ndarray) -> np.ndarray:
    """The image without a 3-pixel frame, away from any border effects."""
    return image[3:-3, 3:-3]


# --- the built-in files ---------------------------------------------------------------------


def test_builtin_folder_holds_exactly_the_repository_kernels() -> None:
    """The built-ins come from the top-level kernels/ folder: read in place by an editable
    install, copied unchanged into a wheel's convcli/builtin_kernels by a regular one."""
    folder = builtin_folder().resolve()
    source = REPOSITORY / "kernels"
    installed = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert installed == {p.name: p.read_bytes() for p in source.iterdir() if p.is_file()}
    assert folder == source or folder.parts[-2:] == ("convcli", "builtin_kernels")


def test_there_are_at_least_30_builtins() -> None:
    """The library ships at least 30 kernels, every one listed by library_names()."""
    assert len(BUILTIN_FILES) >= 30
    assert set(BUILTIN_NAMES) <= set(library_names())


@pytest.mark.parametrize("family", sorted(REQUIRED))
def test_required_families_are_present(family: str) -> None:
    """Each required family of kernels is in the library under its expected names."""
    missing = [name for name in REQUIRED[family] if name not in BUILTIN_NAMES]
    assert not missing


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=BUILTIN_NAMES)
def test_builtin_file_parses_to_one_kernel_named_after_its_stem(path: Path) -> None:
    """Every built-in file holds one kernel whose name is the file's stem."""
    (kernel,) = load_kernel_file(path, source="built-in", resolve=resolve_kernel)
    assert kernel.name == path.stem
    assert path.stem == path.stem.lower()
    assert all(c.isalnum() or c == "-" for c in path.stem)


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=BUILTIN_NAMES)
def test_builtin_has_a_one_line_description(path: Path) -> None:
    """Every built-in has a one-line description under 100 characters."""
    (kernel,) = load_kernel_file(path, source="built-in", resolve=resolve_kernel)
    assert kernel.description.strip()
    assert "\n" not in kernel.description
    assert len(kernel.description) < 100


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_builtin_resolves_by_name(name: str) -> None:
    """Every built-in is found by name, from the built-in folder, with finite weights."""
    kernel = resolve_kernel(name)
    assert kernel.name == name
    assert kernel.source == "built-in"
    assert kernel.path is not None
    assert Path(kernel.path).parent == builtin_folder()
    parts = kernel.parts if isinstance(kernel, CombinedKernel) else (kernel,)
    for part in parts:
        assert isinstance(part, Kernel)
        assert np.all(np.isfinite(part.weights))


@pytest.mark.parametrize(
    "name",
    [
        "identity",
        "box-3",
        "box-5",
        "box-7",
        "gaussian-3",
        "gaussian-5",
        "gaussian-7",
        "smooth",
        "disk-3",
        "motion-h",
        "motion-v",
        "motion-diagonal",
        "sharpen",
        "sharpen-strong",
        "unsharp",
        "unsharp-3",
        "edge-enhance",
        "emboss",
    ],
)
def test_brightness_keeping_builtins_sum_to_one(name: str) -> None:
    """Blurs, sharpeners and the overlay emboss keep brightness: effective sum 1."""
    assert plain(name).effective_sum == pytest.approx(1, abs=1e-12)


@pytest.mark.parametrize(
    "name",
    [
        "high-pass",
        "laplacian-4",
        "laplacian-8",
        "log",
        "log-sigma-2",
        "dog",
        "outline",
        "ridge",
        "emboss-grey",
        "sobel-x",
        "sobel-y",
        "sobel-diagonal",
        "sobel-antidiagonal",
        "prewitt-x",
        "prewitt-y",
        "scharr-x",
        "scharr-y",
        "roberts-x",
        "roberts-y",
    ],
)
def test_edge_builtins_sum_to_zero(name: str) -> None:
    """Edge, Laplacian and derivative kernels give 0 on flat areas."""
    kernel = plain(name)
    assert kernel.effective_sum == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize(
    ("name", "weights", "scale"),
    [
        ("identity", [[0, 0, 0], [0, 1, 0], [0, 0, 0]], 1),
        ("sharpen", [[0, -1, 0], [-1, 5, -1], [0, -1, 0]], 1),
        ("laplacian-4", [[0, 1, 0], [1, -4, 1], [0, 1, 0]], 1),
        ("laplacian-8", [[1, 1, 1], [1, -8, 1], [1, 1, 1]], 1),
        ("gaussian-3", [[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16),
        ("box-3", np.ones((3, 3)), 1 / 9),
        ("sobel-x", [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], 1),
        ("sobel-y", [[-1, -2, -1], [0, 0, 0], [1, 2, 1]], 1),
    ],
)
def test_classic_builtins_have_their_textbook_weights(
    name: str, weights: list[list[float]], scale: float
) -> None:
    """The classic kernels have their usual weights and an explicit scale."""
    kernel = plain(name)
    np.testing.assert_array_equal(kernel.weights, weights)
    assert kernel.scale == pytest.approx(scale)


# --- direction conventions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "towards"),
    [
        ("sobel-x", "E"),
        ("prewitt-x", "E"),
        ("scharr-x", "E"),
        ("sobel-y", "S"),
        ("prewitt-y", "S"),
        ("scharr-y", "S"),
        ("sobel-diagonal", "SE"),
        ("sobel-antidiagonal", "NE"),
        ("roberts-x", "SE"),
        ("roberts-y", "SW"),
    ],
)
def test_derivatives_are_positive_where_brightness_increases(name: str, towards: str) -> None:
    """x-kernels respond positively to a left→right ramp, y-kernels to a top→bottom one."""
    kernel = plain(name)
    forward = interior(apply_kernel(ramp(12, 12, TOWARDS[towards]), kernel))
    assert np.all(forward > 0)
    backward = interior(apply_kernel(ramp(12, 12, TOWARDS[towards])[::-1, ::-1], kernel))
    assert np.all(backward < 0)


@pytest.mark.parametrize(
    ("x_name", "y_name"),
    [("sobel-x", "sobel-y"), ("prewitt-x", "prewitt-y"), ("scharr-x", "scharr-y")],
)
def test_x_kernels_ignore_vertical_change_and_y_kernels_horizontal(
    x_name: str, y_name: str
) -> None:
    """An x-derivative gives 0 on a top→bottom ramp and a y-derivative 0 on a left→right one."""
    assert np.all(interior(apply_kernel(ramp(12, 12, TOWARDS["S"]), plain(x_name))) == 0)
    assert np.all(interior(apply_kernel(ramp(12, 12, TOWARDS["E"]), plain(y_name))) == 0)


def test_sobel_x_on_a_unit_ramp_gives_eight() -> None:
    """sobel-x on an image rising by 1 per column gives 8 (1+2+1, twice) inside, as uint8 input."""
    image = np.tile(np.arange(10, dtype=np.uint8), (6, 1))
    result = apply_kernel(image, resolve_kernel("sobel-x"))
    np.testing.assert_array_equal(result[1:-1, 1:-1], 8)


@pytest.mark.parametrize(("peak", "name"), [(-1, "laplacian-4"), (-1, "laplacian-8"), (-1, "log")])
def test_laplacians_use_the_mathematical_sign(peak: int, name: str) -> None:
    """Laplacians are negative on a bright peak (mathematical sign)."""
    image = np.zeros((9, 9))
    image[4, 4] = 1
    assert np.sign(apply_kernel(image, plain(name))[4, 4]) == peak


@pytest.mark.parametrize("name", ["outline", "ridge"])
def test_outline_and_ridge_are_positive_on_a_bright_peak(name: str) -> None:
    """outline and ridge are negated Laplacians: bright details respond positively."""
    image = np.zeros((9, 9))
    image[4, 4] = 1
    assert apply_kernel(image, plain(name))[4, 4] > 0


@pytest.mark.parametrize("name", ["kirsch", "robinson"])
def test_compass_operators_take_the_max_of_eight_rotations(name: str) -> None:
    """kirsch and robinson combine eight zero-sum 3×3 directions with ``max``."""
    kernel = resolve_kernel(name)
    assert isinstance(kernel, CombinedKernel)
    assert kernel.combine == "max"
    assert len(kernel.parts) == 8
    weights = [part.weights for part in kernel.parts if isinstance(part, Kernel)]
    assert len(weights) == 8
    assert all(w.shape == (3, 3) and w.sum() == 0 for w in weights)
    assert len({w.tobytes() for w in weights}) == 8


@pytest.mark.parametrize("name", ["kirsch", "robinson"])
@pytest.mark.parametrize("direction", COMPASS)
def test_compass_parts_point_the_documented_way(name: str, direction: str) -> None:
    """Part i (N, NE, E, ... NW) responds most, and positively, to a ramp brightening that way."""
    kernel = resolve_kernel(name)
    assert isinstance(kernel, CombinedKernel)
    image = ramp(12, 12, TOWARDS[direction])
    responses = [interior(apply_kernel(image, part)).mean() for part in kernel.parts]
    assert responses[COMPASS.index(direction)] > 0
    assert int(np.argmax(responses)) == COMPASS.index(direction)


@pytest.mark.parametrize("name", sorted(GRADIENT_PAIRS))
def test_magnitude_operators_are_the_root_sum_of_squares_of_their_parts(name: str) -> None:
    """sobel, prewitt, scharr and roberts are sqrt(x² + y²) of their -x and -y kernels."""
    kernel = resolve_kernel(name)
    assert isinstance(kernel, CombinedKernel)
    assert kernel.combine == "magnitude"
    x_name, y_name = GRADIENT_PAIRS[name]
    assert [part.name for part in kernel.parts] == [x_name, y_name]
    image = np.random.default_rng(7).uniform(0, 255, (16, 13))
    gx = apply_kernel(image, resolve_kernel(x_name))
    gy = apply_kernel(image, resolve_kernel(y_name))
    np.testing.assert_allclose(apply_kernel(image, kernel), np.hypot(gx, gy), rtol=1e-12)


# --- user libraries -------------------------------------------------------------------------


def write(folder: Path, name: str, text: str) -> Path:
    """Write a kernel file into ``folder`` (creating it) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def config_kernels() -> Path:
    """$XDG_CONFIG_HOME/convcli/kernels, as isolated by conftest."""
    return Path(os.environ["XDG_CONFIG_HOME"]) / "convcli" / "kernels"


def test_user_kernel_path_overrides_a_builtin(user_kernels: Path) -> None:
    """A file in a CONVCLI_KERNEL_PATH folder replaces the built-in of the same name."""
    path = write(user_kernels, "sharpen.yaml", "weights: [[0, -2, 0], [-2, 9, -2], [0, -2, 0]]\n")
    kernel = plain("sharpen")
    np.testing.assert_array_equal(kernel.weights, [[0, -2, 0], [-2, 9, -2], [0, -2, 0]])
    assert kernel.source == "user library"
    assert kernel.path == str(path)


def test_config_folder_overrides_a_builtin() -> None:
    """A file in $XDG_CONFIG_HOME/convcli/kernels replaces the built-in of the same name."""
    write(config_kernels(), "sharpen.txt", "0 -3 0\n-3 13 -3\n0 -3 0\n")
    kernel = plain("sharpen")
    assert kernel.weights[1, 1] == 13
    assert kernel.source == "user library"


def test_config_folder_defaults_to_dot_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without XDG_CONFIG_HOME, user kernels live in ~/.config/convcli/kernels."""
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    write(tmp_path / ".config" / "convcli" / "kernels", "mine.txt", "1 2 3\n")
    np.testing.assert_array_equal(plain("mine").weights, [[1, 2, 3]])


def test_user_kernels_add_new_names(user_kernels: Path) -> None:
    """A user file with a new name is found by name and listed with the built-ins."""
    write(user_kernels, "My_Blur.yaml", "weights: [[1, 1]]\nscale: 1/2\ndescription: Mine.\n")
    kernel = plain("my-blur")
    assert kernel.scale == 0.5
    assert "my-blur" in library_names()
    entry = next(e for e in library_entries() if e.source == "user library")
    assert entry.kernel is not None
    assert entry.kernel.description == "Mine."


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".txt", ".kernel", ".csv", ".mat"])
def test_user_kernels_in_any_format(user_kernels: Path, suffix: str) -> None:
    """User kernels may be written in any supported format."""
    text = {
        ".yaml": "weights: [[1, 2]]\n",
        ".yml": "weights: [[1, 2]]\n",
        ".mat": "2 1\n1 2\n",
    }.get(suffix, "1, 2\n")
    write(user_kernels, f"custom{suffix}", text)
    np.testing.assert_array_equal(plain("custom").weights, [[1, 2]])


def test_npy_user_kernel(user_kernels: Path) -> None:
    """A .npy file in a user folder is a kernel named after its stem."""
    np.save(user_kernels / "saved.npy", np.array([[1.0, -1.0]]))
    np.testing.assert_array_equal(plain("saved").weights, [[1, -1]])


def test_kernel_path_comes_before_the_config_folder(user_kernels: Path) -> None:
    """CONVCLI_KERNEL_PATH folders are searched before $XDG_CONFIG_HOME/convcli/kernels."""
    write(config_kernels(), "pick.txt", "2\n")
    write(user_kernels, "pick.txt", "1\n")
    np.testing.assert_array_equal(plain("pick").weights, [[1]])


def test_earlier_kernel_path_folder_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Of two CONVCLI_KERNEL_PATH folders, the first listed wins and the second is shadowed."""
    first, second = tmp_path / "first", tmp_path / "second"
    write(first, "pick.txt", "1\n")
    write(second, "pick.txt", "2\n")
    write(second, "only-second.txt", "3\n")
    monkeypatch.setenv("CONVCLI_KERNEL_PATH", os.pathsep.join([str(first), str(second)]))
    np.testing.assert_array_equal(plain("pick").weights, [[1]])
    np.testing.assert_array_equal(plain("only-second").weights, [[3]])
    monkeypatch.setenv("CONVCLI_KERNEL_PATH", os.pathsep.join([str(second), str(first)]))
    np.testing.assert_array_equal(plain("pick").weights, [[2]])


def test_kernel_path_ignores_empty_and_missing_entries(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Empty entries and folders that do not exist in CONVCLI_KERNEL_PATH are harmless."""
    real = tmp_path / "real"
    write(real, "here.txt", "5\n")
    value = os.pathsep.join(["", str(tmp_path / "missing"), str(real), ""])
    monkeypatch.setenv("CONVCLI_KERNEL_PATH", value)
    np.testing.assert_array_equal(plain("here").weights, [[5]])
    assert resolve_kernel("sobel").name == "sobel"


def test_entries_mark_shadowed_names(user_kernels: Path) -> None:
    """library_entries lists the user's override first and marks the built-in as shadowed."""
    write(user_kernels, "sharpen.yaml", "weights: [[1]]\n")
    sharpen = [e for e in library_entries() if e.name == "sharpen"]
    assert [(e.source, e.shadowed) for e in sharpen] == [
        ("user library", False),
        ("built-in", True),
    ]
    assert all(e.kernel is not None and e.error is None for e in sharpen)


def test_entries_without_user_kernels_have_no_shadows() -> None:
    """With no user kernels, every entry is a built-in and none is shadowed."""
    entries = library_entries()
    assert {e.source for e in entries} == {"built-in"}
    assert not any(e.shadowed for e in entries)
    assert sorted(e.name for e in entries) == sorted(BUILTIN_NAMES)


def test_shadowing_follows_normalised_names(user_kernels: Path) -> None:
    """A user file ``Sharpen_Strong.txt`` shadows the built-in ``sharpen-strong``."""
    write(user_kernels, "Sharpen_Strong.txt", "1\n")
    np.testing.assert_array_equal(plain("sharpen-strong").weights, [[1]])
    builtin = next(
        e for e in library_entries() if e.name == "sharpen-strong" and e.source == "built-in"
    )
    assert builtin.shadowed


def test_kernels_in_user_list_files_are_found_by_name(user_kernels: Path) -> None:
    """Kernels defined in a user list file are found by their own names."""
    write(
        user_kernels,
        "my-set.yaml",
        "- {name: soft, weights: [[1, 1]], scale: 1/2}\n- {name: hard, weights: [[-1, 3, -1]]}\n",
    )
    np.testing.assert_array_equal(plain("hard").weights, [[-1, 3, -1]])
    assert plain("soft").scale == 0.5
    names = {e.name for e in library_entries() if e.source == "user library"}
    assert names == {"soft", "hard"}


def test_yaml_name_differs_from_stem(user_kernels: Path) -> None:
    """A one-kernel YAML file is found by its ``name:``."""
    write(user_kernels, "file-stem.yaml", "name: real-name\nweights: [[4]]\n")
    np.testing.assert_array_equal(plain("real-name").weights, [[4]])


def test_hidden_and_foreign_files_are_ignored(user_kernels: Path) -> None:
    """Hidden files and files with other extensions are not kernels."""
    write(user_kernels, ".hidden.txt", "1\n")
    write(user_kernels, "notes.md", "# not a kernel\n")
    write(user_kernels, "sobel.bak", "1\n")
    (user_kernels / "folder.yaml").mkdir()
    assert [e for e in library_entries() if e.source == "user library"] == []
    assert resolve_kernel("sobel").source == "built-in"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("broken.yaml", "weights: [[1, 2]\n"),
        ("broken.txt", "1 2\n3\n"),
        ("broken.mat", "3 3 0\n"),
        ("broken.npy", "not numpy"),
        ("broken.yml", "!!python/object/apply:os.system ['true']\n"),
    ],
)
def test_broken_user_file_does_not_break_other_lookups(
    user_kernels: Path, name: str, text: str, raises_kernel_error: Callable[..., str]
) -> None:
    """A broken user file is listed with its error; other names still resolve."""
    write(user_kernels, name, text)
    write(user_kernels, "fine.txt", "1 2 1\n")
    np.testing.assert_array_equal(plain("fine").weights, [[1, 2, 1]])
    assert resolve_kernel("sobel").name == "sobel"
    assert "fine" in library_names()
    (entry,) = [e for e in library_entries() if e.name == "broken"]
    assert entry.kernel is None
    assert entry.error
    assert str(user_kernels / name) in entry.error
    raises_kernel_error(lambda: resolve_kernel("broken"), str(user_kernels / name))


def test_broken_user_file_does_not_hide_suggestions(
    user_kernels: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """Unknown-name suggestions still work with a broken user file present."""
    write(user_kernels, "broken.yaml", "weights: [[1, 2]\n")
    raises_kernel_error(lambda: resolve_kernel("sobel-z"), "did you mean", "sobel-x")


def test_user_combine_of_an_unknown_name_does_not_break_lookups(
    user_kernels: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """A user kernel combining a name that does not exist breaks only itself."""
    # Resolving it (or any other name) must not recurse forever through the "did you mean"
    # suggestions, which re-read the same file.
    write(user_kernels, "bad.yaml", "combine: sum\nkernels: [no-such-kernel-zz]\n")
    started = time.perf_counter()
    assert resolve_kernel("sobel").name == "sobel"
    raises_kernel_error(lambda: resolve_kernel("bad"), "bad.yaml", "no-such-kernel-zz")
    raises_kernel_error(lambda: resolve_kernel("sobell"), "did you mean")
    (entry,) = [e for e in library_entries() if e.name == "bad"]
    assert entry.kernel is None
    assert entry.error
    assert "no-such-kernel-zz" in entry.error
    assert time.perf_counter() - started < 5


def test_user_file_with_a_huge_integer_does_not_break_lookups(user_kernels: Path) -> None:
    """A user YAML file with a 400-digit weight is listed as broken; sobel still resolves."""
    write(user_kernels, "big.yaml", "weights: [[1" + "0" * 400 + "]]\n")
    assert resolve_kernel("sobel").name == "sobel"
    (entry,) = [e for e in library_entries() if e.name == "big"]
    assert entry.kernel is None


def test_user_kernels_may_combine_builtins(user_kernels: Path) -> None:
    """A user kernel can refer to built-ins by name."""
    write(
        user_kernels,
        "edges.yaml",
        "combine: max\nkernels: [sobel-x, sobel-y, 'gaussian:sigma=1']\n",
    )
    kernel = resolve_kernel("edges")
    assert isinstance(kernel, CombinedKernel)
    assert [part.source for part in kernel.parts] == ["built-in", "built-in", "generator"]


def test_user_override_is_used_by_builtin_combinations(user_kernels: Path) -> None:
    """Built-in operators refer to names, so overriding sobel-x changes sobel too."""
    write(user_kernels, "sobel-x.txt", "-1 1\n")
    kernel = resolve_kernel("sobel")
    assert isinstance(kernel, CombinedKernel)
    assert kernel.parts[0].source == "user library"


# --- names, suggestions and cycles ----------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["sobel-x", "SOBEL-X", "Sobel_X", "sobel x", "  sobel-x  ", "sobel__x", "Sobel X"]
)
def test_names_ignore_case_underscores_and_spaces(spelling: str) -> None:
    """Library names match ignoring case, with ``_`` and spaces counting as ``-``."""
    assert resolve_kernel(spelling).name == "sobel-x"


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("sobel-z", "sobel-x"),
        ("sobl", "sobel"),
        ("gausian-3", "gaussian-3"),
        ("laplacan-8", "laplacian-8"),
        ("sharpne", "sharpen"),
        ("emboss-gray", "emboss-grey"),
    ],
)
def test_unknown_names_suggest_close_names(
    typo: str, suggestion: str, raises_kernel_error: Callable[..., str]
) -> None:
    """An unknown name is an error suggesting the closest library names."""
    raises_kernel_error(
        lambda: resolve_kernel(typo), f"unknown kernel {typo!r}", "did you mean", suggestion
    )


def test_unknown_name_lists_kernels_with_that_tag(raises_kernel_error: Callable[..., str]) -> None:
    """An unknown name that is a tag lists the kernels carrying it."""
    raises_kernel_error(lambda: resolve_kernel("blur"), "tagged 'blur'", "box-3", "gaussian-3")


def test_unknown_name_suggests_user_kernels(
    user_kernels: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """Suggestions include the user's own kernels."""
    write(user_kernels, "my-special-edge.txt", "1\n")
    raises_kernel_error(lambda: resolve_kernel("my-special-edg"), "my-special-edge")


def test_completely_unknown_name_says_where_to_look(
    raises_kernel_error: Callable[..., str],
) -> None:
    """A name with no close match still says how to see the library."""
    raises_kernel_error(lambda: resolve_kernel("qqqqqqqq"), "unknown kernel 'qqqqqqqq'", "list")


def test_generator_name_alone_asks_for_parameters(raises_kernel_error: Callable[..., str]) -> None:
    """A bare generator name asks for its parameters."""
    raises_kernel_error(lambda: resolve_kernel("gaussian"), "generator", "gaussian:sigma=")


def test_self_referencing_combine_is_a_clear_error(
    user_kernels: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """a.yaml combining ``a`` is a KernelError naming the cycle, not a RecursionError."""
    write(user_kernels, "a.yaml", "combine: sum\nkernels: [a]\n")
    raises_kernel_error(lambda: resolve_kernel("a"), "a.yaml", "refers to itself")
    (entry,) = [e for e in library_entries() if e.name == "a"]
    assert entry.kernel is None
    assert entry.error is not None
    assert "refers to itself" in entry.error
    assert resolve_kernel("sobel").name == "sobel"


def test_mutually_referencing_combines_are_a_clear_error(
    user_kernels: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """p combining q combining p is a KernelError that shows the cycle."""
    write(user_kernels, "p.yaml", "combine: sum\nkernels: [q]\n")
    write(user_kernels, "q.yaml", "combine: sum\nkernels: ['1', p]\n")
    raises_kernel_error(lambda: resolve_kernel("p"), "refers to itself", "p → q → p")


def test_long_reference_chains_are_limited(
    user_kernels: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """A chain of kernels referring to each other more than 8 deep is refused."""
    for index in range(12):
        write(user_kernels, f"c{index}.yaml", f"combine: sum\nkernels: [c{index + 1}]\n")
    write(user_kernels, "c12.txt", "1\n")
    raises_kernel_error(lambda: resolve_kernel("c0"), "more than 8 deep")


def test_short_reference_chains_work(user_kernels: Path) -> None:
    """A few levels of kernels referring to each other resolve."""
    for index in range(3):
        write(user_kernels, f"c{index}.yaml", f"combine: sum\nkernels: [c{index + 1}]\n")
    write(user_kernels, "c3.txt", "1\n")
    assert isinstance(resolve_kernel("c0"), CombinedKernel)

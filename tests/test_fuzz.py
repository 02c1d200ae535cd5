"""Fuzzing with hypothesis: no input escapes as anything but a clean convcli error.

Five targets, each run for at least 2,000 examples in every test run and for 50,000 under
``pytest -m fuzz``:

1. random bytes (also behind real file signatures) into ``convcli.images.imageio.read_picture``;
2. real images (PNG 8 and 16 bit, palette, JPEG, GIF, TIFF, BMP, WebP, NPY, text) with bytes
   flipped, set, inserted, deleted, duplicated or cut, into ``read_picture``;
3. random text into the kernel parsers (``parse_grid``, ``parse_inline``, ``parse_vips_matrix``,
   ``resolve_kernel``, ``resolve_chain``, ``parse_yaml_kernels``);
4. the built-in YAML kernel files with characters and lines mutated, into
   ``parse_yaml_kernels``;
5. random combinations of options into ``convcli apply`` on tiny images, through CliRunner.

"Clean" means: the call returns, or raises a ConvcliError whose message is one line; nothing
else is raised, and no Python warning (Pillow's UserWarnings, NumPy's RuntimeWarnings) is
emitted that Python shows by default, since a user would see it on stderr around the one
``Error:`` line. Warnings are recorded rather than raised here, so the code under test runs
exactly as it does for a user.
"""

from __future__ import annotations

import io
import shutil
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import typer.main
import typer.testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pictures import REPOSITORY, png16_bytes, ramp, save
from PIL import Image

from convcli.cli import app
from convcli.errors import ConvcliError
from convcli.images.imageio import read_picture
from convcli.kernels import (
    GENERATORS,
    MAX_KERNEL_SIDE,
    CombinedKernel,
    Kernel,
    library,
    resolve_kernel,
)
from convcli.kernels.resolver import resolve_chain
from convcli.kernels.text import parse_grid, parse_inline, parse_vips_matrix
from convcli.kernels.yamlfile import parse_yaml_kernels

EXAMPLES = 300
LONG_EXAMPLES = 50_000
_HEALTH = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.function_scoped_fixture,  # only the autouse environment, shared harmlessly
]
DEFAULT = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=_HEALTH)
LONG = settings(max_examples=LONG_EXAMPLES, deadline=None, suppress_health_check=_HEALTH)

#: Random headers may claim large images; this keeps a claim that passes the guard cheap.
MAX_PIXELS = 1 << 20
#: Warnings Python does not show by default: a user never sees them.
HIDDEN = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


def shown(caught: list[warnings.WarningMessage]) -> list[str]:
    """The recorded warnings a user would see on stderr."""
    return [
        f"{w.category.__name__}: {w.message}" for w in caught if not issubclass(w.category, HIDDEN)
    ]


def clean(action: Callable[[], object], quoted: str = "") -> object:
    """Run ``action``: it returns, or raises a one-line ConvcliError; it emits no warning.

    A message may break a line only where it quotes ``quoted`` input that holds a line break
    (the command line escapes those when it prints the message)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = action()
        except ConvcliError as exc:
            message = str(exc)
            assert message.strip(), f"{type(exc).__name__} without a message"
            assert "\n" not in message or "\n" in quoted, f"a multi-line message: {message!r}"
            result = None
    escaped = shown(caught)
    assert not escaped, f"a warning would reach the user: {escaped}"
    return result


# -- 1. random bytes into the image reader --------------------------------------------------------

NAMES = ["f.png", "f.jpg", "f.gif", "f.tif", "f.npy", "f.txt", "f.csv", "f.bmp", "f.webp", "-"]
MAGIC = [
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",
    b"MM\x00*",
    b"BM",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    b"\x93NUMPY\x01\x00",
    b"\x93NUMPY\x02\x00",
    b"P5\n",
    b"8BPS",
    b"\x00\x00\x01\x00",
]
random_bytes = st.one_of(
    st.binary(max_size=600),
    st.tuples(st.sampled_from(MAGIC), st.binary(max_size=600)).map(b"".join),
)


def check_read(data: bytes, name: str) -> None:
    picture = clean(lambda: read_picture(data, name, max_pixels=MAX_PIXELS))
    if picture is not None:
        assert picture.pixels.ndim == 3 and picture.pixels.size <= 4 * MAX_PIXELS


@DEFAULT
@given(data=random_bytes, name=st.sampled_from(NAMES))
def test_random_bytes_are_read_or_refused_cleanly(data, name):
    """Random bytes, bare or behind a real signature, under any image name."""
    check_read(data, name)


@pytest.mark.fuzz
@LONG
@given(data=random_bytes, name=st.sampled_from(NAMES))
def test_random_bytes_are_read_or_refused_cleanly_long(data, name):
    """The same, for 50,000 examples."""
    check_read(data, name)


# -- 2. real images, mutated, into the image reader -----------------------------------------------


def _encoded(pixels: np.ndarray | Image.Image, fmt: str, **params: object) -> bytes:
    image = pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)
    stream = io.BytesIO()
    image.save(stream, fmt, **params)
    return stream.getvalue()


def _seeds() -> list[tuple[str, bytes]]:
    """Small valid files of every format convcli reads."""
    rgb, gray = ramp(6, 7, 3, seed=1), ramp(6, 7, seed=2)
    frames = [Image.fromarray(ramp(4, 5, seed=s)) for s in (3, 4)]
    palette = Image.fromarray(rgb).quantize(6)
    exif = Image.Exif()
    exif[0x0112] = 6
    npy, text = io.BytesIO(), ramp(3, 4).astype(int)
    np.save(npy, ramp(4, 5, 3, seed=5))
    return [
        ("rgb.png", _encoded(rgb, "PNG")),
        ("gray.png", _encoded(gray, "PNG")),
        ("rgba.png", _encoded(ramp(5, 6, 4, seed=6), "PNG")),
        ("palette.png", _encoded(palette, "PNG", transparency=0)),
        ("wide.png", png16_bytes(ramp(5, 6, 3, seed=7, high=65536), "RGB")),
        ("gray16.png", _encoded(ramp(5, 6, seed=8, high=65536), "PNG")),
        ("photo.jpg", _encoded(ramp(8, 8, 3, seed=9), "JPEG", quality=90)),
        ("turned.jpg", _encoded(ramp(8, 8, 3, seed=10), "JPEG", exif=exif)),
        ("frames.gif", _encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])),
        ("pages.tif", _encoded(frames[0], "TIFF", save_all=True, append_images=frames[1:])),
        ("rgb.tif", _encoded(rgb, "TIFF")),
        ("float.tif", _encoded(Image.fromarray(np.linspace(-1, 1, 20).reshape(4, 5)), "TIFF")),
        ("rgb.bmp", _encoded(rgb, "BMP")),
        ("rgb.webp", _encoded(rgb, "WEBP", lossless=True)),
        ("array.npy", npy.getvalue()),
        ("matrix.txt", "\n".join(" ".join(map(str, row)) for row in text).encode()),
    ]


SEEDS = _seeds()
MUTATIONS = ["flip", "set", "insert", "delete", "duplicate", "truncate"]


@st.composite
def mutated_images(draw: st.DrawFn) -> tuple[str, bytes]:
    """A seed file with one to eight byte-level mutations, biased towards the header."""
    name, original = draw(st.sampled_from(SEEDS))
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        last = len(data) - 1
        at = draw(st.one_of(st.integers(0, min(last, 63)), st.integers(0, last)))
        kind = draw(st.sampled_from(MUTATIONS))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            data[at] = draw(
                st.one_of(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF]), st.integers(0, 255))
            )
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif kind == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 16))]
        else:
            del data[at:]
    return name, bytes(data)


@DEFAULT
@given(case=mutated_images())
def test_mutated_images_are_read_or_refused_cleanly(case):
    """Valid files of every format with bytes flipped, set, inserted, deleted or cut."""
    check_read(case[1], case[0])


@pytest.mark.fuzz
@LONG
@given(case=mutated_images())
def test_mutated_images_are_read_or_refused_cleanly_long(case):
    """The same, for 50,000 examples."""
    check_read(case[1], case[0])


# -- 3. random text into the kernel parsers -------------------------------------------------------


@pytest.fixture(scope="module")
def small_library(tmp_path_factory) -> tuple[Path, Path]:
    """A library of four built-in kernels and an empty working folder (see ``parsing``)."""
    folder = tmp_path_factory.mktemp("library")
    for name in ("sharpen", "sobel-x", "sobel-y", "sobel"):
        shutil.copy(REPOSITORY / "kernels" / f"{name}.yaml", folder)
    return folder, tmp_path_factory.mktemp("cwd")


@contextmanager
def parsing(small_library: tuple[Path, Path]) -> Iterator[None]:
    """While parsing random text: the small library, so that an unknown name (most random
    text) costs reading four files for its suggestions rather than all 43, and an empty working
    folder, so that random text never names a real file."""
    folder, cwd = small_library
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(library, "builtin_folder", lambda: folder)
        patch.chdir(cwd)
        yield


NUMBERS = [
    "0", "1", "-1", "2.5", "1/16", "1/0", "0/0", "1e308", "1e309", "-1e999", "1e-320", "nan",
    "inf", "-inf", ".5", "5.", "1e", "--1", "0x10", "1_000", "١", "½", "", " ",
]  # fmt: skip
KERNEL_ALPHABET = list("0123456789 ,;.-+eE/[]x:#\n\t|=%{}'\"&*!?") + ["nan", "inf", ": ", "- "]


#: Sizes and scales at the edges: 0, tiny, huge, past the float range.
EXTREMES = ["0", "1e-3", "1e-4", "0.5", "2", "1025", "1e9", "1e154", "1e307", "1e308", "-1e308",
            "1.7976931348623157e308", "1e309"]  # fmt: skip


@st.composite
def generator_specs(draw: st.DrawFn) -> str:
    """``name:key=value,...``: mostly a real generator with its own parameters, at ordinary and
    extreme values; sometimes unknown names and keys."""
    name = draw(st.sampled_from([*sorted(GENERATORS), "gaussian ", "x"]))
    generator = GENERATORS.get(name.strip())
    own = [*generator.required, *generator.optional] if generator else ["sigma"]
    keys = st.one_of(st.sampled_from(own), st.sampled_from(["bogus", "", "SIGMA", " size "]))
    values = st.one_of(
        st.sampled_from(EXTREMES),
        st.sampled_from(NUMBERS),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(-(10**6), 10**6).map(str),
    )
    pairs = draw(st.lists(st.tuples(keys, values), max_size=4))
    return f"{name}:{','.join(f'{key}={value}' for key, value in pairs)}"


kernel_text = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(KERNEL_ALPHABET), max_size=40).map("".join),
    st.lists(st.sampled_from(NUMBERS), max_size=12).map(" ".join),
    st.lists(st.lists(st.sampled_from(NUMBERS[:8]), max_size=5).map(" ".join), max_size=5).map(
        "; ".join
    ),
    st.lists(st.lists(st.sampled_from(NUMBERS[:8]), max_size=5).map(" ".join), max_size=5).map(
        "\n".join
    ),
    generator_specs(),
    generator_specs(),
    st.tuples(st.integers(0, 2000), st.integers(0, 2000), st.text(max_size=30)).map(
        lambda t: f"{t[0]}x{t[1]}: {t[2]}"
    ),
)


def check_kernel(kernel: object) -> None:
    """A kernel that was built is usable: finite weights no larger than the limit."""
    if isinstance(kernel, CombinedKernel):
        for part in kernel.parts:
            check_kernel(part)
    elif isinstance(kernel, Kernel):
        assert max(kernel.shape) <= MAX_KERNEL_SIDE
        assert np.all(np.isfinite(kernel.weights))
    elif isinstance(kernel, np.ndarray):
        assert kernel.ndim == 2 and max(kernel.shape) <= MAX_KERNEL_SIDE
        assert np.all(np.isfinite(kernel))


def check_kernel_text(text: str) -> None:
    for parse in (
        lambda: parse_grid(text, "k.txt"),
        lambda: parse_inline(text),
        lambda: parse_vips_matrix(text, "k.mat")[0],
        lambda: resolve_kernel(text),
        lambda: resolve_chain(text),
        lambda: parse_yaml_kernels(text, where="k.yaml", default_name="k", resolve=resolve_kernel),
    ):
        built = clean(parse, quoted=text)
        for kernel in built if isinstance(built, list) else [built]:
            check_kernel(kernel)


@DEFAULT
@given(text=kernel_text)
def test_random_text_into_the_kernel_parsers_is_parsed_or_refused_cleanly(small_library, text):
    """Any text, kernel-like or not, as a grid, inline matrix, .mat, spec, chain and YAML."""
    with parsing(small_library):
        check_kernel_text(text)


@pytest.mark.fuzz
@LONG
@given(text=kernel_text)
def test_random_text_into_the_kernel_parsers_long(small_library, text):
    """The same, for 50,000 examples."""
    with parsing(small_library):
        check_kernel_text(text)


# -- 4. the built-in YAML files, mutated ----------------------------------------------------------

YAML_FILES = sorted((REPOSITORY / "kernels").glob("*.yaml"))
YAML_TEXTS = [path.read_text(encoding="utf-8") for path in YAML_FILES]
YAML_PIECES = [
    ": ", "- ", "  ", "\t", "#", "'", '"', "[", "]", "{", "}", ",", "|", ">", "&a ", "*a",
    "!!python/object/apply:os.system ['true']", "!!binary ", "!!set ", "<<: ", "? ", "~",
    "null", "true", "yes", ".nan", ".inf", "-.inf", "1e999", "1/0", "0x1F", "0o17",
    "2001-12-14", "%YAML 1.1\n---\n", "---\n", "...\n", "\\u0000", "weights: ", "combine: ",
    "kernels: ", "generate: ", "scale: ", "normalize: ", "offset: ", "name: ", "9" * 50,
]  # fmt: skip


@st.composite
def mutated_yaml(draw: st.DrawFn) -> str:
    """A built-in kernel file with characters and whole lines replaced, inserted or removed."""
    text = draw(st.sampled_from(YAML_TEXTS))
    for _ in range(draw(st.integers(1, 6))):
        lines = text.split("\n")
        kind = draw(st.sampled_from(["insert", "replace", "delete", "line-dup", "line-del",
                                     "line-swap", "indent"]))  # fmt: skip
        at = draw(st.integers(0, len(text)))
        row = draw(st.integers(0, len(lines) - 1))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(YAML_PIECES)) + text[at:]
        elif kind == "replace":
            text = text[:at] + draw(st.sampled_from(YAML_PIECES)) + text[at + 1 :]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 10)) :]
        elif kind == "line-dup":
            text = "\n".join(lines[: row + 1] + lines[row:])
        elif kind == "line-del":
            text = "\n".join(lines[:row] + lines[row + 1 :])
        elif kind == "line-swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[row], lines[other] = lines[other], lines[row]
            text = "\n".join(lines)
        else:
            lines[row] = " " * draw(st.integers(1, 4)) + lines[row]
            text = "\n".join(lines)
    return text


def check_yaml(text: str) -> None:
    built = clean(
        lambda: parse_yaml_kernels(text, where="k.yaml", default_name="k", resolve=resolve_kernel),
        quoted=text,
    )
    for kernel in built or []:
        check_kernel(kernel)


@DEFAULT
@given(text=mutated_yaml())
def test_mutated_yaml_kernel_files_are_parsed_or_refused_cleanly(small_library, text):
    """The 43 built-in YAML files with characters and lines mutated."""
    with parsing(small_library):
        check_yaml(text)


@pytest.mark.fuzz
@LONG
@given(text=mutated_yaml())
def test_mutated_yaml_kernel_files_long(small_library, text):
    """The same, for 50,000 examples."""
    with parsing(small_library):
        check_yaml(text)


# -- 5. random option combinations into ``convcli apply`` -----------------------------------------


@pytest.fixture(scope="module")
def tiny_images(tmp_path_factory):
    """Tiny inputs of every layout and depth, and a CliRunner that builds Typer's command once
    (building it is two thirds of a run's cost through CliRunner)."""
    folder = tmp_path_factory.mktemp("tiny")
    save(folder / "gray.png", ramp(5, 6))
    save(folder / "rgba.png", ramp(4, 5, 4, seed=1))
    save(folder / "la.png", ramp(4, 5, 2, seed=2), "LA")
    save(folder / "gray16.png", ramp(4, 5, seed=3, high=65536))
    (folder / "rgb16.png").write_bytes(png16_bytes(ramp(4, 5, 3, seed=4, high=65536), "RGB"))
    save(folder / "float.tif", np.linspace(-1, 2, 20, dtype=np.float32).reshape(4, 5), "F")
    save(folder / "cmyk.jpg", ramp(4, 4, 4, seed=5), "CMYK")
    Image.fromarray(ramp(5, 5, 3, seed=6)).quantize(4).save(folder / "palette.png", transparency=0)
    np.save(folder / "array.npy", np.linspace(-3, 3, 12).reshape(3, 4))
    (folder / "matrix.txt").write_text("1 2 3\n4 5 6\n")
    (folder / "edge.txt").write_text("-1 0 1\n-2 0 2\n-1 0 1\n")
    (folder / "blur.yaml").write_text("weights: [[1, 2, 1]]\nnormalize: true\n")
    command = typer.main.get_command(app)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", lambda typer_app: command)
        yield folder, typer.testing.CliRunner()


INPUTS = ["gray.png", "rgba.png", "la.png", "gray16.png", "rgb16.png", "float.tif", "cmyk.jpg",
          "palette.png", "array.npy", "matrix.txt"]  # fmt: skip
OUTPUTS = ["out.png", "out.tif", "out.jpg", "out.npy", "out.txt", "out.csv", "out.webp",
           "out.bmp", "out.gif", "-"]  # fmt: skip
KERNELS = [
    "identity", "sharpen", "sobel", "sobel-x", "box-3", "gaussian-5", "kirsch", "emboss",
    "log-sigma-2", "gaussian:sigma=1", "motion:length=4,angle=30", "unsharp:sigma=1,amount=2",
    "0 -1 0; -1 5 -1; 0 -1 0", "[[1, 2], [3, 4]]", "3x3+0+0: 1,0,0,0,0,0,0,0,-1", "1 2 1",
    "1/3 1/3 1/3", "gaussian-3 | sharpen", "sobel-x|sobel-y", "edge.txt", "blur.yaml", "1e-30",
    "1e30", "-1e20 1e20", "nope", "", "gaussian:sigma=0", "1 2; 3",
]  # fmt: skip
#: Each option's values: mostly valid, some garbage.
OPTIONS = {
    "--border": ["reflect", "mirror", "nearest", "wrap", "constant", "zero", "replicate",
                 "reflect101", "periodic", "REFLECT", "grid-wrap", "bogus", "", "wrap "],
    "--fill": ["0", "1", "-5", "255", "0.5", "1e30", "-1e30", "nan", "inf", "x"],
    "--padding": ["same", "valid", "full", "none"],
    "--stride": ["1", "2", "3", "7", "0", "-1", "x"],
    "--dilation": ["1", "2", "3", "9", "0", "-2"],
    "--depth": ["8", "16", "float", "12"],
    "--scale": ["1", "2", "-1", "1/16", "0.5", "1e-3", "1e6", "1e30", "1e300", "0", "nan",
                "abc", "1/0"],
    "--offset": ["0", "10", "-10", "50%", "-50%", "100%", "0.5", "1e30", "1e300", "inf", "x%"],
    "--channels": ["R", "G", "RGB", "A", "RA", "L", "LA", "CMY", "K", "Q", "", "rgb"],
    "--format": ["png", "tif", "jpg", "npy", "txt", "csv", "webp", "bmp", "gif", "PNG", ".png",
                 "xyz"],
    "--repeat": ["1", "2", "3"],
    "--method": ["auto", "direct", "separable", "fft", "magic"],
    "--compression": ["0", "1", "9", "10"],
    "--quality": ["1", "50", "100", "0"],
    "--threads": ["1", "2", "0"],
    "--max-pixels": ["1", "20", "1000000"],
}  # fmt: skip
FLAGS = ["--gray", "--premultiply", "--abs", "--normalize", "--convolve", "--explain", "-q"]

options = st.fixed_dictionaries(
    {}, optional={name: st.sampled_from(values) for name, values in OPTIONS.items()}
)
flags = st.lists(st.sampled_from(FLAGS), unique=True, max_size=4)


def check_apply(folder: Path, runner, kernel, source, output, chosen, set_flags) -> None:
    args = [
        "apply",
        kernel,
        str(folder / source),
        "-o",
        output if output == "-" else str(folder / output),
    ]
    for name, value in chosen.items():
        args += [name, value]
    args += set_flags
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = runner.invoke(app, args, env={"COLUMNS": "100", "LINES": "40"})
    escaped = shown(caught)
    assert not escaped, f"a warning would reach the user: {escaped}"
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    if result.exit_code:
        assert len(errors) == 1, result.stderr
        assert "unexpected" not in errors[0], errors[0]
    else:
        assert errors == [], result.stderr


apply_cases = {
    "kernel": st.sampled_from(KERNELS),
    "source": st.sampled_from(INPUTS),
    "output": st.sampled_from(OUTPUTS),
    "chosen": options,
    "set_flags": flags,
}


@DEFAULT
@given(**apply_cases)
def test_random_option_combinations_exit_cleanly(
    tiny_images, kernel, source, output, chosen, set_flags
):
    """Any kernel, input, output and options: exit 0, 1 or 2, at most one Error line (a clean
    one), no traceback, no warning."""
    check_apply(*tiny_images, kernel, source, output, chosen, set_flags)


@pytest.mark.fuzz
@LONG
@given(**apply_cases)
def test_random_option_combinations_long(tiny_images, kernel, source, output, chosen, set_flags):
    """The same, for 50,000 examples."""
    check_apply(*tiny_images, kernel, source, output, chosen, set_flags)


# -- the fuzzers' own pieces ----------------------------------------------------------------------


def test_every_seed_image_is_readable():
    """The mutation fuzzer starts from valid files: each seed decodes as it is."""
    for name, data in SEEDS:
        assert read_picture(data, name).pixels.size > 0, name

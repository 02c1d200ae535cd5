"""Hostile kernels given to ``convcli apply``: empty, non-numeric, ragged, non-finite, absurdly
large, YAML that tries to run code or to explode, wrong types, and names that do not exist.

Each ends in exactly one clean ``Error:`` line (never the "unexpected ... please report it"
catch-all), exit 1 or 2, nothing on stdout, nothing created or changed in the folder, within
seconds; sizes are refused before anything of that size is allocated, and nothing in a YAML
file ever runs.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from pictures import error_line, ramp, save, snapshot

from convcli.errors import KernelError
from convcli.kernels import MAX_KERNEL_SIDE, resolve_kernel

PROMPT = 5.0
LIMIT = str(MAX_KERNEL_SIDE)


def refused(cli, folder: Path, *args: object, code: int, fragments: tuple[str, ...] = ()) -> str:
    """Run ``convcli ARGS``: one clean Error line, exit ``code``, the folder as it was, fast."""
    before = snapshot(folder)
    started = time.perf_counter()
    result = cli(*args)
    elapsed = time.perf_counter() - started
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert isinstance(result.exception, SystemExit), result.exception
    line = error_line(result.stderr, *fragments)
    assert "unexpected" not in line, f"not a clean convcli error: {line}"
    assert result.stdout_bytes == b""
    assert snapshot(folder) == before, "a file was created, changed or left behind"
    assert elapsed < PROMPT, f"took {elapsed:.1f} s"
    return line


def kernel_refused(cli, folder: Path, kernel: object, *fragments: str, code: int = 1) -> str:
    """``convcli apply KERNEL in.png -o out.png`` must be refused as above."""
    image = folder / "in.png"
    if not image.exists():
        save(image, ramp(9, 12))
    args = ["apply", kernel, image, "-o", folder / "out.png"]
    return refused(cli, folder, *args, code=code, fragments=fragments)


def kernel_file(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    return path


def cost(action) -> tuple[float, int]:
    """Seconds ``action`` takes, and its peak of traced memory in bytes (measured in a second
    run, since tracing slows allocation down)."""
    started = time.perf_counter()
    action()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    try:
        action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return elapsed, peak


def refusal(spec: str):
    """An action resolving ``spec``, which must fail with the size limit in its message."""

    def action() -> None:
        with pytest.raises(KernelError, match=LIMIT):
            resolve_kernel(spec)

    return action


def npy_bytes(array: np.ndarray) -> bytes:
    import io

    stream = io.BytesIO()
    np.save(stream, array, allow_pickle=False)
    return stream.getvalue()


# -- empty kernels --------------------------------------------------------------------------------

EMPTY_FILES = {
    "empty.txt": "",
    "empty.csv": "",
    "empty.kernel": "",
    "empty.yaml": "",
    "empty.yml": "\n\n",
    "empty.mat": "",
    "comments-only.txt": "# nothing but a comment\n\n   \n# and another\n",
    "comments-only.yaml": "# a kernel was going to be here\n",
    "separators-only.txt": " , ,\n",
    "null.yaml": "~\n",
    "empty-list.yaml": "[]\n",
    "empty-weights.yaml": "weights: []\n",
    "empty-rows.yaml": "weights: [[]]\n",
    "empty-block.yaml": "weights: |\n  # no rows\n",
}


@pytest.mark.parametrize("name", EMPTY_FILES)
def test_an_empty_kernel_file_is_refused(cli, tmp_path, name):
    """Zero bytes, blank lines, comments or an empty list: 'empty', naming the file."""
    path = kernel_file(tmp_path, name, EMPTY_FILES[name])
    line = kernel_refused(cli, tmp_path, path, name)
    assert "empty" in line or "no weights" in line


@pytest.mark.parametrize(
    "array", [np.zeros((0, 0)), np.zeros((0, 3)), np.zeros(0)], ids=["0x0", "0x3", "flat-0"]
)
def test_an_empty_npy_kernel_is_refused(cli, tmp_path, array):
    """A .npy kernel with no weights is refused as empty."""
    path = kernel_file(tmp_path, "empty.npy", npy_bytes(array))
    kernel_refused(cli, tmp_path, path, "empty.npy", "empty")


def test_a_zero_byte_npy_kernel_is_refused(cli, tmp_path):
    """A zero-byte .npy kernel is not a readable array."""
    path = kernel_file(tmp_path, "zero.npy", b"")
    kernel_refused(cli, tmp_path, path, "zero.npy")


@pytest.mark.parametrize("spec", ["", "   ", "\t\n"])
def test_an_empty_kernel_argument_is_refused(cli, tmp_path, spec):
    """An empty or blank KERNEL argument says that no kernel was given."""
    kernel_refused(cli, tmp_path, spec, "no kernel given")


# -- non-numeric entries --------------------------------------------------------------------------

NON_NUMERIC = {
    "word.txt": ("1 a 1\n", ["'a'", "line 1"]),
    "later-line.txt": ("1 2 1\n2 four 2\n1 2 1\n", ["'four'", "line 2"]),
    "comma.csv": ("1,x,1\n", ["'x'"]),
    "half-fraction.txt": ("1/ 2\n", []),
    "divide-by-zero.txt": ("1/0 1\n", ["'1/0'"]),
    "hex.txt": ("0x10 1\n", ["'0x10'"]),
    "word.yaml": ("weights: [[1, x, 1]]\n", ["line 1", "'x'"]),
    "block.yaml": ("weights: |\n  1 2\n  3 four\n", ["line 3", "'four'"]),
    "bool.yaml": ("weights: [[1, true]]\n", ["True"]),
    "null.yaml": ("weights: [[1, null]]\n", ["None"]),
    "nested.yaml": ("weights: [[1, [2]]]\n", ["line 1"]),
    "mapping-cell.yaml": ("weights: [[1, {a: 2}]]\n", ["line 1"]),
    "word.mat": ("3 1\n1 two 3\n", ["'two'", "line 2"]),
    "header.mat": ("three 1\n1 2 3\n", ["line 1"]),
}


@pytest.mark.parametrize("name", NON_NUMERIC)
def test_a_non_numeric_weight_is_refused_with_its_place(cli, tmp_path, name):
    """Words, booleans, nulls, hex and 1/0 where a number belongs: the file, line and token."""
    content, fragments = NON_NUMERIC[name]
    path = kernel_file(tmp_path, name, content)
    kernel_refused(cli, tmp_path, path, name, *fragments)


@pytest.mark.parametrize(
    "spec, fragments",
    [
        ('[[1, "a"], [2, 3]]', ['[[1, "a"], [2, 3]]']),
        ("[[1, true]]", ["[[1, true]]"]),
        ("[[1, 2], [3, null]]", ["[[1, 2], [3, null]]"]),
        ("[[1, 2], [3, 4]", ["not a valid"]),
        ("[[1, 2], [3, 4]]]", ["not a valid"]),
        ("[[1, 2], 3]", ["list of rows"]),
        ("2x1: 1,a", ["'a'"]),
        ("1 2; 3 /", ["'/'"]),
        ("1 2 3 e", ["'e'"]),
    ],
)
def test_a_non_numeric_inline_kernel_is_refused(cli, tmp_path, spec, fragments):
    """Inline matrices in any of the three spellings reject what is not a number."""
    kernel_refused(cli, tmp_path, spec, *fragments)


# -- ragged rows ----------------------------------------------------------------------------------

RAGGED = {
    "ragged.txt": ("1 0 -1\n2 0\n1 0 -1\n", ["line 2", "expected 3", "got 2"]),
    "ragged-longer.csv": ("1,0\n2,0,-2\n", ["line 2", "expected 2", "got 3"]),
    "ragged.yaml": ("weights:\n  - [1, 0, -1]\n  - [2, 0]\n", ["line 3", "expected 3"]),
    "ragged-block.yaml": ("weights: |\n  1 0 -1\n  2 0\n", ["line 3", "expected 3"]),
    "ragged.mat": ("3 2\n1 0 -1\n2 0\n", ["line 3", "expected 3"]),
    "rows-missing.mat": ("3 3\n1 0 -1\n2 0 -2\n", ["3 rows", "2"]),
}


@pytest.mark.parametrize("name", RAGGED)
def test_ragged_rows_in_a_kernel_file_name_the_line(cli, tmp_path, name):
    """A row of the wrong length names its line and both lengths."""
    content, fragments = RAGGED[name]
    path = kernel_file(tmp_path, name, content)
    kernel_refused(cli, tmp_path, path, name, *fragments)


@pytest.mark.parametrize(
    "spec, fragments",
    [
        ("1 2 3; 4 5", ["different lengths", "3, 2"]),
        ("[[1, 2], [3]]", ["different lengths"]),
        ("2x2: 1,2,3", ["needs 4 values", "got 3"]),
        ("3x1: 1,2,3,4", ["needs 3 values", "got 4"]),
    ],
)
def test_ragged_inline_kernels_are_refused(cli, tmp_path, spec, fragments):
    """Inline rows of different lengths, and ImageMagick value counts that do not fit."""
    kernel_refused(cli, tmp_path, spec, *fragments)


# -- NaN and infinite weights ---------------------------------------------------------------------

NON_FINITE_FILES = {
    "nan.txt": "nan 1\n",
    "inf.txt": "1 inf\n",
    "minus-inf.csv": "1,-inf\n",
    "overflow.txt": "1 1e999\n",
    "overflowing-fraction.txt": "1e308/1e-308 1\n",
    "nan.yaml": "weights: [[.nan, 1]]\n",
    "inf.yaml": "weights: [[1, -.inf]]\n",
    "overflow.yaml": "weights: [[1e999]]\n",
    "text-nan.yaml": "weights: [[1, 'nan']]\n",
    "block-inf.yaml": "weights: |\n  1 inf\n",
    "nan-scale.yaml": "weights: [[1]]\nscale: .nan\n",
    "inf-scale.yaml": "weights: [[1]]\nscale: .inf\n",
    "inf-offset.yaml": "weights: [[1]]\noffset: .inf\n",
    "nan.mat": "2 1\n1 nan\n",
    "inf-scale.mat": "1 1 inf\n1\n",
}


@pytest.mark.parametrize("name", NON_FINITE_FILES)
def test_nan_and_infinite_weights_in_files_are_refused(cli, tmp_path, name):
    """NaN, ±inf and overflowing numbers, as weights, scales or offsets, are refused by name."""
    path = kernel_file(tmp_path, name, NON_FINITE_FILES[name])
    kernel_refused(cli, tmp_path, path, name)


@pytest.mark.parametrize(
    "array",
    [np.array([[1.0, np.nan]]), np.array([[np.inf, 1.0]]), np.array([[-np.inf]])],
    ids=["nan", "inf", "minus-inf"],
)
def test_nan_and_infinite_weights_in_npy_kernels_are_refused(cli, tmp_path, array):
    """A .npy kernel holding NaN or infinity is refused."""
    path = kernel_file(tmp_path, "k.npy", npy_bytes(array))
    kernel_refused(cli, tmp_path, path, "k.npy", "finite")


@pytest.mark.parametrize(
    "spec",
    [
        "1 1e999",
        "[[1, 1e999]]",
        "[[1, -1e400]]",
        "2x1: inf,1",
        "gaussian:sigma=nan",
        "gaussian:sigma=inf",
        "motion:length=3,angle=inf",
        "unsharp:sigma=1,amount=-inf",
        "dog:sigma1=1,sigma2=1e999",
    ],
)
def test_nan_and_infinite_inline_and_generated_kernels_are_refused(cli, tmp_path, spec):
    """Inline matrices and generator parameters reject non-finite numbers."""
    line = kernel_refused(cli, tmp_path, spec)
    assert "finite" in line


# -- absurd sizes: refused with the limit, before anything that size exists -----------------------

ABSURD_GENERATORS = [
    "gaussian:sigma=1e9",
    "gaussian:sigma=1,size=100001",
    "box:size=1e9",
    "disk:radius=1e9",
    "motion:length=1e9",
    "motion:length=1e9,angle=45",
    "log:sigma=1e9",
    "dog:sigma1=1,sigma2=1e9",
    "unsharp:sigma=1e9",
    "gaussian:sigma=1e308",
    "log:sigma=1e308",
    "dog:sigma1=1,sigma2=1e308",
    "unsharp:sigma=1e308",
]


@pytest.mark.parametrize("spec", ABSURD_GENERATORS)
def test_an_absurd_generator_size_is_refused_with_the_limit(cli, tmp_path, spec):
    """A generator whose size would be billions of taps is refused, naming the 1025 limit."""
    kernel_refused(cli, tmp_path, spec, LIMIT)


@pytest.mark.parametrize("spec", ABSURD_GENERATORS)
def test_an_absurd_generator_size_costs_no_time_or_memory(spec):
    """The size is computed from the parameters, so refusing it is instant and allocates nothing."""
    elapsed, peak = cost(refusal(spec))
    assert elapsed < 0.5
    assert peak < 1024 * 1024


def absurd_files(folder: Path) -> dict[str, Path]:
    """Kernel files promising far more than 1025 rows or columns (each well under 4 MiB)."""
    header = np.lib.format.header_data_from_array_1_0(np.zeros((1, 1)))
    header["shape"] = (100000, 1)
    with open(folder / "tall.npy", "wb") as stream:
        np.lib.format.write_array_header_1_0(stream, header)
        stream.write(bytes(64))
    files = {
        "tall.txt": "1\n" * 100000,
        "wide.txt": " ".join(["1"] * 100000) + "\n",
        "wide.csv": ",".join(["0"] * 100000) + "\n",
        "tall.mat": "1 100000\n" + "1\n" * 100000,
        "wide.mat": "100000 1\n" + " ".join(["1"] * 100000) + "\n",
        "tall.yaml": "weights:\n" + "  - [1]\n" * 2000,
        "wide.yaml": "weights: [[" + ", ".join(["1"] * 2000) + "]]\n",
        "tall-block.yaml": "weights: |\n" + "  1\n" * 100000,
    }
    paths = {name: kernel_file(folder, name, text) for name, text in files.items()}
    paths["tall.npy"] = folder / "tall.npy"
    return paths


ABSURD_FILES = [
    "tall.txt",
    "wide.txt",
    "wide.csv",
    "tall.mat",
    "wide.mat",
    "tall.yaml",
    "wide.yaml",
    "tall-block.yaml",
    "tall.npy",
]


@pytest.mark.parametrize("name", ABSURD_FILES)
def test_a_kernel_file_beyond_the_size_limit_is_refused_with_the_limit(cli, tmp_path, name):
    """A 100000×1 (or 1×100000) kernel in any file format is refused, naming 1025."""
    path = absurd_files(tmp_path)[name]
    kernel_refused(cli, tmp_path, path, name, LIMIT)


@pytest.mark.parametrize("name", ABSURD_FILES)
def test_a_kernel_file_beyond_the_size_limit_is_refused_before_it_is_all_parsed(tmp_path, name):
    """Rows and values are counted while reading: refusing costs little time and memory
    (tracemalloc peak < 4 MiB; parsing the whole 100000 rows would take far more)."""
    elapsed, peak = cost(refusal(str(absurd_files(tmp_path)[name])))
    assert elapsed < 1.0
    assert peak < 4 * 1024 * 1024, f"{peak / 2**20:.0f} MiB"


@pytest.mark.parametrize(
    "spec",
    [
        "100000x1: 1",
        "1x100000: 1",
        "[[" + ", ".join(["1"] * 1100) + "]]",
        "; ".join(["1"] * 1100),
        " ".join(["1"] * 1100),
    ],
    ids=["imagemagick-tall", "imagemagick-wide", "json-row", "rows", "one-row"],
)
def test_an_inline_kernel_beyond_the_size_limit_is_refused(cli, tmp_path, spec):
    """Inline matrices are held to the same 1025 limit."""
    kernel_refused(cli, tmp_path, spec, LIMIT)


def test_a_kernel_file_over_4_mib_is_refused_unread(cli, tmp_path, monkeypatch):
    """A kernel file over the 4 MiB limit (sparse, so it costs no disk) is refused from its
    size: its content is never read."""
    save(tmp_path / "in.png", ramp(9, 12))
    path = tmp_path / "huge.txt"
    with open(path, "wb") as stream:
        stream.truncate(4 * 1024 * 1024 + 1)
    reads: list[Path] = []
    real_read_bytes = Path.read_bytes

    def read_bytes(self):
        reads.append(self)
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = cli("apply", path, tmp_path / "in.png", "-o", tmp_path / "out.png")
    monkeypatch.undo()
    assert result.exit_code == 1
    error_line(result.stderr, "huge.txt", "too large", "4 MiB")
    assert path not in reads
    assert not (tmp_path / "out.png").exists()


#: The size of the files below: a quarter of the 4 MiB limit keeps the test quick.
ROOM = 1024 * 1024


def many_short_rows(folder: Path, name: str) -> Path:
    """A 1 MiB kernel file of short rows: about 350000 of them."""
    room = ROOM - 64
    if name.endswith(".mat"):
        return kernel_file(folder, name, "1 100000\n" + "10\n" * (room // 3))
    if name.endswith(".yaml"):
        return kernel_file(folder, name, "weights: |\n" + "  10\n" * (room // 5))
    return kernel_file(folder, name, "10\n" * (room // 3))


@pytest.mark.parametrize("name", ["rows.txt", "rows.csv", "rows.mat", "rows.yaml"])
def test_the_largest_allowed_kernel_file_is_refused_cheaply(tmp_path, name):
    """A 1 MiB file of 350000 short rows is refused at row 1026, not after materialising every
    line: under a second, and at most 8× the file's size in memory."""
    elapsed, peak = cost(refusal(str(many_short_rows(tmp_path, name))))
    assert elapsed < 1.0
    assert peak < 8 * ROOM, f"{peak / 2**20:.0f} MiB to refuse a {ROOM / 2**20:.0f} MiB file"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_is_not_read_as_a_kernel_file(cli, tmp_path, device):
    """An endless or empty device is not a regular file: refused at once, never read."""
    if not Path(device).exists():
        pytest.skip(f"no {device} here")
    kernel_refused(cli, tmp_path, device, device, "not a regular file")


# -- YAML that tries to run code, or to explode ---------------------------------------------------

CODE_TAGS = {
    "weights-apply": 'weights: !!python/object/apply:os.system ["touch {pwned}"]\n',
    "top-level-apply": '!!python/object/apply:os.system ["touch {pwned}"]\n',
    "name-apply": 'name: !!python/object/apply:os.system ["touch {pwned}"]\nweights: [[1]]\n',
    "cell-apply": 'weights: [[1, !!python/object/apply:os.system ["touch {pwned}"]]]\n',
    "description-subprocess": (
        'description: !!python/object/apply:subprocess.check_call [["touch", "{pwned}"]]\n'
        "weights: [[1]]\n"
    ),
    "list-item-new": (
        '- name: a\n  weights: [[1]]\n- !!python/object/new:os.system ["touch {pwned}"]\n'
    ),
    "combine-part": (
        'combine: sum\nkernels:\n  - !!python/object/apply:os.system ["touch {pwned}"]\n'
    ),
    "python-name": "weights: !!python/name:os.system\n",
    "key-apply": '? !!python/object/apply:os.system ["touch {pwned}"]\n: 1\nweights: [[1]]\n',
    "local-tag": 'weights: !pwn ["touch {pwned}"]\n',
    "verbatim-tag": (
        'weights: !<tag:yaml.org,2002:python/object/apply:os.system> ["touch {pwned}"]\n'
    ),
}


@pytest.mark.parametrize("case", CODE_TAGS)
def test_yaml_object_tags_run_nothing(cli, tmp_path, monkeypatch, case):
    """``!!python/object/apply:os.system ["touch .../pwned"]`` anywhere in a kernel file:
    refused with the tag and its line, and the command never runs (pwned is not created)."""
    pwned = tmp_path / "pwned"
    calls: list[object] = []
    monkeypatch.setattr(os, "system", lambda *args: calls.append(args) or 0)
    monkeypatch.setattr(subprocess, "check_call", lambda *args, **kw: calls.append(args) or 0)
    path = kernel_file(tmp_path, "evil.yaml", CODE_TAGS[case].format(pwned=pwned))
    kernel_refused(cli, tmp_path, path, "evil.yaml", "tag", "line")
    assert not pwned.exists()
    assert calls == []


def billion_laughs(levels: int = 9) -> str:
    """The classic alias bomb: 9 levels of 9 references, 9**9 (387 million) leaves expanded."""
    lines = ['lol0: &lol0 "lol"']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*lol{level - 1}"] * 9)
        lines.append(f"lol{level}: &lol{level} [{refs}]")
    lines.append(f"weights: *lol{levels}")
    return "\n".join(lines) + "\n"


YAML_BOMBS = {
    "billion-laughs": billion_laughs(),
    "laughs-in-weights": "weights: &row [[1, 2], [3, 4]]\ndescription: *row\n",
    "anchored-row": "weights:\n  - &r [1, 2, 3]\n  - *r\n  - *r\n",
    "quadratic": "a: &a '" + "x" * 100000 + "'\nweights: [[1]]\n" + "b: *a\n" * 1,
    "self-referencing": "weights: &w [*w]\n",
    "deep-sequences": "weights: " + "[" * 100000 + "]" * 100000 + "\n",
    "deep-mappings": "weights: " + "{a: " * 50000 + "1" + "}" * 50000 + "\n",
}


@pytest.mark.parametrize("case", YAML_BOMBS)
def test_yaml_bombs_are_refused_quickly(cli, tmp_path, case):
    """Alias bombs (billion laughs), self-references and 100000-deep nesting: refused by name
    in well under a second, whatever they would expand to."""
    path = kernel_file(tmp_path, "bomb.yaml", YAML_BOMBS[case])
    started = time.perf_counter()
    kernel_refused(cli, tmp_path, path, "bomb.yaml")
    assert time.perf_counter() - started < 1.0


def test_the_billion_laughs_message_says_aliases_are_not_allowed(cli, tmp_path):
    """The refusal names the cause: YAML aliases."""
    path = kernel_file(tmp_path, "bomb.yaml", billion_laughs())
    kernel_refused(cli, tmp_path, path, "bomb.yaml", "aliases")


# -- YAML of the wrong shape ----------------------------------------------------------------------

WRONG_TYPES = {
    "weights-number": ("weights: 42\n", ["line 1", "'weights'", "42"]),
    "weights-mapping": ("weights: {a: 1}\n", ["line 1", "'weights'"]),
    "weights-3d": ("weights: [[[1]]]\n", ["line 1"]),
    "weights-bool": ("weights: true\n", ["line 1", "'weights'"]),
    "scale-word": ("weights: [[1]]\nscale: abc\n", ["line 2", "'scale'"]),
    "scale-zero": ("weights: [[1]]\nscale: 0\n", ["line 2", "'scale'"]),
    "scale-list": ("weights: [[1]]\nscale: [1]\n", ["line 2"]),
    "normalize-number": ("weights: [[1]]\nnormalize: 3\n", ["line 2", "'normalize'"]),
    "offset-list": ("weights: [[1]]\noffset: [1]\n", ["line 2"]),
    "offset-word": ("weights: [[1]]\noffset: half\n", ["line 2", "'offset'"]),
    "name-list": ("name: [a]\nweights: [[1]]\n", ["line 1"]),
    "tags-number": ("weights: [[1]]\ntags: 5\n", ["line 2", "'tags'"]),
    "combine-number": ("combine: 3\nkernels: [sobel-x]\n", ["line 1", "'combine'"]),
    "combine-unknown": ("combine: average\nkernels: [sobel-x]\n", ["line 1", "average"]),
    "kernels-number": ("combine: sum\nkernels: 5\n", ["line 2", "'kernels'"]),
    "generate-number": ("generate: 42\n", ["line 1", "'generate'"]),
    "top-level-number": ("42\n", ["line 1", "mapping"]),
    "top-level-text": ("just some words\n", ["line 1", "mapping"]),
    "list-of-numbers": ("[1, 2, 3]\n", ["line 1", "mapping"]),
    "misspelt-key": ("weigths: [[1]]\n", ["line 1", "'weigths'", "did you mean 'weights'"]),
    "two-bodies": ("weights: [[1]]\ngenerate: box:size=3\n", ["exactly one"]),
    "no-body": ("name: lonely\n", ["exactly one"]),
    "duplicate-key": ("weights: [[1]]\nweights: [[2]]\n", ["line 2", "twice"]),
    "not-yaml": ("weights: [[1, 2]\n", ["not valid YAML"]),
    "tab-indent": ("weights:\n\t- [1]\n", ["not valid YAML"]),
}


@pytest.mark.parametrize("case", WRONG_TYPES)
def test_wrong_types_in_a_yaml_kernel_name_the_line_and_key(cli, tmp_path, case):
    """``weights: 42``, a word for a scale, a list for a name ...: the file, the line, the key."""
    content, fragments = WRONG_TYPES[case]
    path = kernel_file(tmp_path, "k.yaml", content)
    kernel_refused(cli, tmp_path, path, "k.yaml", *fragments)


def test_a_yaml_file_that_is_not_utf8_is_refused(cli, tmp_path):
    """Latin-1 bytes in a kernel file are refused, not guessed."""
    path = kernel_file(
        tmp_path, "latin.yaml", "description: café\nweights: [[1]]\n".encode("latin-1")
    )
    kernel_refused(cli, tmp_path, path, "latin.yaml", "UTF-8")


# -- names that do not exist ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, suggestions",
    [
        ("sharpn", ["sharpen"]),
        ("gausian-3", ["gaussian-3"]),
        ("Sobel_Xx", ["sobel-x"]),
        ("lapalcian-4", ["laplacian-4"]),
        ("embos", ["emboss"]),
        ("prewit", ["prewitt"]),
    ],
)
def test_an_unknown_library_name_suggests_the_closest_names(cli, tmp_path, name, suggestions):
    """A misspelt library name is refused with 'did you mean' and the nearest real names."""
    line = kernel_refused(cli, tmp_path, name, f"{name!r}", "did you mean")
    for suggestion in suggestions:
        assert suggestion in line


def test_an_unknown_name_that_is_a_tag_lists_the_tagged_kernels(cli, tmp_path):
    """A word that is a tag ('blur') lists the kernels carrying it."""
    line = kernel_refused(cli, tmp_path, "blur", "'blur'", "tagged")
    assert "box-3" in line and "gaussian-3" in line


def test_a_generator_name_without_parameters_says_how_to_give_them(cli, tmp_path):
    """'gaussian' alone is a generator: the message shows gaussian:sigma=2."""
    kernel_refused(cli, tmp_path, "gaussian", "generator", "gaussian:sigma=")


def test_an_unknown_generator_lists_the_real_ones(cli, tmp_path):
    """'gausian:sigma=2' names the generators that exist."""
    line = kernel_refused(cli, tmp_path, "gausian:sigma=2", "'gausian'")
    assert "gaussian" in line and "motion" in line


def test_a_name_far_from_everything_is_refused_without_suggestions(cli, tmp_path):
    """Nothing close: no 'did you mean', but still where to look."""
    line = kernel_refused(cli, tmp_path, "zzzqqqxxx", "'zzzqqqxxx'", "kernels list")
    assert "did you mean" not in line


def test_kernels_show_suggests_too(cli, tmp_path):
    """``convcli kernels show sharpn`` gives the same suggestion."""
    refused(cli, tmp_path, "kernels", "show", "sharpn", code=1, fragments=("did you mean sharpen",))


def test_a_missing_kernel_file_is_named(cli, tmp_path):
    """A path-like spec that does not exist says so, rather than suggesting library names."""
    kernel_refused(cli, tmp_path, tmp_path / "nothere.yaml", "nothere.yaml", "does not exist")


def test_a_missing_member_of_a_kernel_set_lists_the_members(cli, tmp_path):
    """``set.yaml#nope`` lists the kernels the file does hold."""
    path = kernel_file(
        tmp_path, "set.yaml", "- name: a\n  weights: [[1]]\n- name: b\n  weights: [[2]]\n"
    )
    kernel_refused(cli, tmp_path, f"{path}#nope", "'nope'", "a, b")


# -- corrupt .npy kernel headers (bug: they escape as "unexpected" errors) ------------------------


def npy_with_header(header: str) -> bytes:
    text = header.encode("latin-1")
    text += b" " * ((64 - (10 + len(text) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + bytes(72)


@pytest.mark.parametrize(
    "header",
    [
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 3), ",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 3), '''}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 3), b'x': 1}",
    ],
    ids=["unclosed-dict", "unclosed-string", "bytes-key"],
)
def test_a_corrupt_npy_kernel_header_is_a_clean_kernel_error(cli, tmp_path, header):
    """A .npy kernel whose header does not parse is refused as 'not a readable .npy array'."""
    path = kernel_file(tmp_path, "broken.npy", npy_with_header(header))
    with pytest.raises(KernelError, match="broken.npy"):
        resolve_kernel(str(path))
    kernel_refused(cli, tmp_path, path, "broken.npy")


# -- weights too large for the engine's float32 (bug: NaN and inf results, exit 0) ----------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "kernel, options",
    [
        ("1e39", []),
        ("1e37 1e37; 1e37 1e37", []),
        ("unsharp:sigma=1,amount=1e308", []),
        ("identity", ["--scale", "1e300"]),
        ("identity", ["--offset", "1e300"]),
    ],
    ids=["weight-1e39", "sum-overflows", "unsharp-amount", "scale-1e300", "offset-1e300"],
)
def test_weights_too_large_for_float32_are_refused_or_give_finite_values(
    run_convcli, tmp_path, kernel, options
):
    """Finite weights, scales or offsets whose results overflow float32: either one clean Error
    line (exit 1 or 2, no output) or finite values without NumPy warnings (checked in a real
    process, where warnings are printed rather than raised)."""
    save(tmp_path / "in.png", ramp(9, 12))
    finished = run_convcli("apply", kernel, "in.png", "-o", "out.npy", *options, "-q", cwd=tmp_path)
    stderr = finished.stderr.decode()
    assert "Warning" not in stderr, stderr
    if finished.returncode == 0:
        assert np.all(np.isfinite(np.load(tmp_path / "out.npy"))), "NaN or inf written"
    else:
        assert finished.returncode in (1, 2)
        error_line(stderr)
        assert not (tmp_path / "out.npy").exists()

"""The YAML kernel format: the schema, errors with file and line, and safe loading.

YAML is read with safe machinery only: object-constructing tags, aliases and oversized files are
refused before anything is built, and every problem is a one-line KernelError.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from convcli.kernels import CombinedKernel, Kernel, resolve_kernel
from convcli.kernels.yamlfile import parse_yaml_kernels

SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]


def parse(text: str) -> list[Kernel | CombinedKernel]:
    """The kernels in YAML ``text``, as if read from a file called ``k.yaml``."""
    return parse_yaml_kernels(
        textwrap.dedent(text), where="k.yaml", default_name="k", resolve=resolve_kernel
    )


def parse_one(text: str) -> Kernel:
    """The single plain kernel in YAML ``text``."""
    (kernel,) = parse(text)
    assert isinstance(kernel, Kernel)
    return kernel


def write(folder: Path, name: str, text: str) -> Path:
    """Write a kernel file and return its path."""
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- the schema: good cases -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("weights: [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]", id="flow-rows"),
        pytest.param(
            """
            weights:
              - [-1, 0, 1]
              - [-2, 0, 2]
              - [-1, 0, 1]
            """,
            id="block-rows",
        ),
        pytest.param(
            """
            weights:
              - - -1
                - 0
                - 1
              - [-2, 0, 2]
              - [-1, "0", 1]
            """,
            id="nested-block-and-quoted",
        ),
        pytest.param(
            """
            weights: |
              # a comment line
              -1 0 1

              -2, 0, 2   # commas work too
              -1 0 1
            """,
            id="text-block",
        ),
        pytest.param('weights: "-1 0 1\\n-2 0 2\\n-1 0 1"', id="quoted-text"),
    ],
)
def test_weights_as_rows_or_text_block(text: str) -> None:
    """``weights`` may be a list of rows or a block of text rows, with comments."""
    np.testing.assert_array_equal(parse_one(text).weights, SOBEL_X)


def test_flat_weights_list_is_one_row() -> None:
    """A flat list of numbers is a single row."""
    np.testing.assert_array_equal(parse_one("weights: [1, 2, 1]").weights, [[1, 2, 1]])


def test_text_block_fractions_and_scale_fraction() -> None:
    """Fractions work in text rows, list cells and ``scale``."""
    kernel = parse_one(
        """
        weights: |
          1/16 2/16 1/16
        scale: 1/2
        """
    )
    np.testing.assert_array_equal(kernel.weights, [[0.0625, 0.125, 0.0625]])
    assert kernel.scale == 0.5
    assert parse_one("weights: [['1/4', 1/2]]").weights.tolist() == [[0.25, 0.5]]


@pytest.mark.parametrize(
    ("scale_text", "scale"),
    [("1/16", 1 / 16), ("0.5", 0.5), ("2", 2.0), ("-1/9", -1 / 9), ("'1/4'", 0.25), ("1e-2", 0.01)],
)
def test_scale_accepts_numbers_and_fractions(scale_text: str, scale: float) -> None:
    """``scale`` is a number or a fraction and multiplies the result; weights stay as written."""
    kernel = parse_one(f"weights: [[1, 2, 1]]\nscale: {scale_text}")
    assert kernel.scale == pytest.approx(scale, rel=1e-15)
    np.testing.assert_array_equal(kernel.weights, [[1, 2, 1]])


def test_defaults_apply_weights_exactly_as_written() -> None:
    """Without scale or normalize, the scale is 1: nothing is normalised silently."""
    kernel = parse_one("weights: [[1, 1, 1]]")
    assert kernel.scale == 1
    assert kernel.offset == 0
    assert not kernel.offset_relative
    assert kernel.weight_sum == 3
    assert kernel.effective_sum == 3


@pytest.mark.parametrize(
    ("weights", "scale"),
    [("[[1, 2, 1]]", 0.25), ("[[1, 1], [1, 1]]", 0.25), ("[[-1, 3]]", 0.5), ("[[-2]]", -0.5)],
)
def test_normalize_sets_scale_to_one_over_the_sum(weights: str, scale: float) -> None:
    """``normalize: true`` sets scale = 1/sum, so the effective sum is 1."""
    kernel = parse_one(f"weights: {weights}\nnormalize: true")
    assert kernel.scale == scale
    assert kernel.effective_sum == pytest.approx(1)


def test_normalize_false_leaves_the_scale_alone() -> None:
    """``normalize: false`` keeps scale 1."""
    assert parse_one("weights: [[1, 2, 1]]\nnormalize: false").scale == 1


@pytest.mark.parametrize(
    ("offset_text", "offset", "relative"),
    [
        ('"50%"', 0.5, True),
        ("50%", 0.5, True),
        ("-25%", -0.25, True),
        ("12.5%", 0.125, True),
        ("128", 128.0, False),
        ("-0.5", -0.5, False),
        ("1/2", 0.5, False),
    ],
)
def test_offset_in_units_or_percent(offset_text: str, offset: float, relative: bool) -> None:
    """``offset`` is in image units, or a percentage of the full range."""
    kernel = parse_one(f"weights: [[1]]\noffset: {offset_text}")
    assert (kernel.offset, kernel.offset_relative) == (offset, relative)


def test_relative_offset_scales_with_the_full_range() -> None:
    """A 50% offset is 127.5 for 8-bit images and 32767.5 for 16-bit ones."""
    kernel = parse_one('weights: [[1]]\noffset: "50%"')
    assert kernel.offset_for(255) == 127.5
    assert kernel.offset_for(65535) == 32767.5


def test_name_description_and_tags() -> None:
    """name, description and tags are read; names and tags are lower-cased and trimmed."""
    kernel = parse_one(
        """
        name: My-Edge
        description: "  Finds edges.  "
        weights: [[1]]
        tags: [Edges, ' gradient ']
        """
    )
    assert kernel.name == "my-edge"
    assert kernel.description == "Finds edges."
    assert kernel.tags == ("edges", "gradient")


def test_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    """A one-kernel file without ``name`` is named after its stem, and remembers its path."""
    path = write(tmp_path, "Blur_Me.yaml", "weights: [[1, 1]]\nscale: 1/2\n")
    kernel = resolve_kernel(str(path))
    assert kernel.name == "blur_me"
    assert kernel.source == "file"
    assert kernel.path == str(path)


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".YAML"])
def test_yaml_suffixes(tmp_path: Path, suffix: str) -> None:
    """Both .yaml and .yml files are YAML."""
    path = write(tmp_path, f"k{suffix}", "weights: [[1, 2]]\n")
    np.testing.assert_array_equal(resolve_kernel(str(path)).weights, [[1, 2]])


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    """A UTF-8 byte order mark at the start of a YAML file is ignored."""
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfweights: [[1, 2]]\n")
    np.testing.assert_array_equal(resolve_kernel(str(path)).weights, [[1, 2]])


@pytest.mark.parametrize(
    ("spec", "shape", "total"),
    [
        ("gaussian:sigma=1", (7, 7), 1.0),
        ("box:size=3", (3, 3), 1.0),
        ("log:sigma=1", (9, 9), 0.0),
        ("dog:sigma1=1,sigma2=1.6", (11, 11), 0.0),
    ],
)
def test_generate_builds_a_parametric_kernel(
    spec: str, shape: tuple[int, int], total: float
) -> None:
    """``generate`` builds the kernel from a generator spec, named after the file."""
    kernel = parse_one(f'generate: "{spec}"')
    assert kernel.shape == shape
    assert kernel.effective_sum == pytest.approx(total, abs=1e-12)
    assert kernel.name == "k"


def test_generate_keeps_the_generators_scale_and_multiplies_by_scale() -> None:
    """A generated box keeps its 1/n² scale, times the file's own ``scale``."""
    kernel = parse_one("generate: box:size=2\nscale: 4")
    np.testing.assert_array_equal(kernel.weights, np.ones((2, 2)))
    assert kernel.scale == 1.0


def test_generate_with_normalize() -> None:
    """``normalize`` also applies to generated kernels."""
    kernel = parse_one("generate: box:size=3\nnormalize: true")
    assert kernel.effective_sum == pytest.approx(1)


def test_combine_accepts_names_inline_generators_and_mappings() -> None:
    """``kernels`` items may be library names, inline matrices, generators or mappings."""
    (kernel,) = parse(
        """
        combine: sum
        kernels:
          - sobel-x
          - "1 2 1; 2 4 2; 1 2 1"
          - "3x1: 1,2,3"
          - "[[5]]"
          - "box:size=3"
          - weights: [[7, 8]]
            scale: 1/2
          - name: inner
            generate: "gaussian:sigma=0.5"
        scale: 1/4
        offset: 50%
        """
    )
    assert isinstance(kernel, CombinedKernel)
    assert kernel.combine == "sum"
    assert kernel.scale == 0.25
    assert (kernel.offset, kernel.offset_relative) == (0.5, True)
    parts = kernel.parts
    assert len(parts) == 7
    assert all(isinstance(part, Kernel) for part in parts)
    np.testing.assert_array_equal(parts[0].weights, SOBEL_X)
    assert parts[0].source == "built-in"
    np.testing.assert_array_equal(parts[1].weights, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    np.testing.assert_array_equal(parts[2].weights, [[1, 2, 3]])
    np.testing.assert_array_equal(parts[3].weights, [[5]])
    assert parts[4].source == "generator"
    np.testing.assert_array_equal(parts[5].weights, [[7, 8]])
    assert parts[5].scale == 0.5
    assert parts[5].name == "k[6]"
    assert parts[6].name == "inner"


@pytest.mark.parametrize("combine", ["magnitude", "max", "sum", "MAX", " sum "])
def test_combine_modes(combine: str) -> None:
    """``combine`` is magnitude, max or sum, in any case."""
    (kernel,) = parse(f"combine: '{combine}'\nkernels: [sobel-x, sobel-y]")
    assert isinstance(kernel, CombinedKernel)
    assert kernel.combine == combine.strip().lower()


def test_combined_kernels_nest() -> None:
    """A part of a combined kernel may itself be a combined mapping."""
    (kernel,) = parse(
        """
        combine: max
        kernels:
          - combine: magnitude
            kernels: [sobel-x, sobel-y]
          - "[[1]]"
        """
    )
    assert isinstance(kernel, CombinedKernel)
    assert isinstance(kernel.parts[0], CombinedKernel)


def test_list_file_holds_several_kernels() -> None:
    """A YAML list holds several named kernels, in order, each with its own body."""
    kernels = parse(
        """
        - name: a
          weights: [[1]]
        - name: B
          weights: [[2, 2]]
          scale: 1/2
        - name: c
          combine: sum
          kernels: ["3", "1 1"]
        """
    )
    assert [k.name for k in kernels] == ["a", "b", "c"]
    assert isinstance(kernels[2], CombinedKernel)


def test_hash_name_selects_one_kernel_from_a_list_file(tmp_path: Path) -> None:
    """``file.yaml#name`` picks one kernel from a list file, ignoring case and _ vs -."""
    path = write(
        tmp_path,
        "set.yaml",
        """
        - name: soft-blur
          weights: [[1, 1]]
          scale: 1/2
        - name: edge
          weights: [[-1, 1]]
        """,
    )
    np.testing.assert_array_equal(resolve_kernel(f"{path}#edge").weights, [[-1, 1]])
    assert resolve_kernel(f"{path}#Soft_Blur").name == "soft-blur"
    assert resolve_kernel(f"{path}#edge").path == str(path)


def test_hash_name_works_on_a_single_kernel_file(tmp_path: Path) -> None:
    """``#name`` also selects the only kernel of a one-kernel file."""
    path = write(tmp_path, "one.yaml", "weights: [[3]]\n")
    np.testing.assert_array_equal(resolve_kernel(f"{path}#one").weights, [[3]])


# --- errors that name the file and line ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        pytest.param(
            "weights: [[1]]\nscal: 2\n",
            ["line 2", "unknown key 'scal'", "did you mean 'scale'"],
            id="unknown-key-scale",
        ),
        pytest.param(
            "weight: [[1]]\n", ["line 1", "unknown key 'weight'", "'weights'"], id="weight"
        ),
        pytest.param(
            "weights: [[1]]\nnormalise: true\n", ["line 2", "did you mean 'normalize'"], id="uk"
        ),
        pytest.param(
            "weights: [[1]]\ncolour: red\n", ["line 2", "unknown key 'colour'", "allowed"], id="far"
        ),
        pytest.param("weights: [[1]]\n7: x\n", ["line 2", "unknown key 7"], id="number-key"),
    ],
)
def test_unknown_keys_are_named_with_a_suggestion(
    text: str, fragments: list[str], raises_kernel_error: Callable[..., str]
) -> None:
    """An unknown key is an error with its line and, when close, a "did you mean"."""
    raises_kernel_error(lambda: parse(text), "k.yaml", *fragments)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        pytest.param("weights: 42", ["line 1", "'weights'", "42"], id="weights-number"),
        pytest.param("weights: true", ["line 1", "'weights'"], id="weights-bool"),
        pytest.param("weights: {a: 1}", ["line 1", "'weights'"], id="weights-mapping"),
        pytest.param("weights: []", ["line 1", "non-empty"], id="weights-empty"),
        pytest.param("weights: [[]]", ["line 1", "empty"], id="weights-empty-row"),
        pytest.param("weights: [[1, x]]", ["line 1", "a weight", "'x'"], id="weights-word"),
        pytest.param("weights: [[1, true]]", ["line 1", "a weight", "True"], id="weights-bool"),
        pytest.param("weights: [[1, null]]", ["line 1", "a weight", "None"], id="weights-null"),
        pytest.param("weights: [[1, .nan]]", ["line 1", "finite"], id="weights-nan"),
        pytest.param("weights: [[1, .inf]]", ["line 1", "finite"], id="weights-inf"),
        pytest.param("weights: [[1, 1/0]]", ["line 1", "a weight"], id="weights-div-zero"),
        pytest.param("weights: [[1], 2]", ["line 1", "row"], id="weights-mixed"),
        pytest.param("weights:\n  - [[1]]\n", ["line 2", "single value"], id="weights-3d"),
        pytest.param("weights: [[1]]\nscale: abc", ["line 2", "'scale'", "'abc'"], id="scale-word"),
        pytest.param("weights: [[1]]\nscale: 0", ["line 2", "'scale'", "not be 0"], id="scale-0"),
        pytest.param("weights: [[1]]\nscale: 0/5", ["line 2", "not be 0"], id="scale-0-frac"),
        pytest.param("weights: [[1]]\nscale: .inf", ["line 2", "finite"], id="scale-inf"),
        pytest.param("weights: [[1]]\nscale: [2]", ["line 2", "single value"], id="scale-list"),
        pytest.param("weights: [[1]]\nscale: true", ["line 2", "'scale'"], id="scale-bool"),
        pytest.param("weights: [[1]]\nnormalize: 1", ["line 2", "true or false"], id="norm-int"),
        pytest.param("weights: [[1]]\nnormalize: maybe", ["line 2", "true or false"], id="norm-w"),
        pytest.param("weights: [[1]]\noffset: true", ["line 2", "'offset'"], id="offset-bool"),
        pytest.param("weights: [[1]]\noffset: abc%", ["line 2", "'offset'"], id="offset-word"),
        pytest.param("weights: [[1]]\noffset: .nan", ["line 2", "'offset'"], id="offset-nan"),
        pytest.param("weights: [[1]]\noffset: [1]", ["line 2", "single value"], id="offset-list"),
        pytest.param("weights: [[1]]\nname: 5", ["line 2", "'name' must be text"], id="name-int"),
        pytest.param("weights: [[1]]\nname: [a]", ["line 2", "single value"], id="name-list"),
        pytest.param("weights: [[1]]\ndescription: 3", ["line 2", "'description'"], id="desc"),
        pytest.param("weights: [[1]]\ntags: edges", ["line 2", "'tags'"], id="tags-word"),
        pytest.param("weights: [[1]]\ntags: [1]", ["line 2", "'tags'"], id="tags-number"),
        pytest.param("generate: 5", ["line 1", "'generate' must be text"], id="generate-int"),
        pytest.param(
            "generate: gaussian:sigma=0", ["line 1", "sigma", "greater than 0"], id="gen-bad"
        ),
        pytest.param("generate: blur:r=1", ["line 1", "unknown kernel generator"], id="gen-unk"),
        pytest.param("combine: sum", ["line 1", "'kernels'"], id="combine-no-kernels"),
        pytest.param("combine: sum\nkernels: []", ["line 2", "'kernels'"], id="combine-empty"),
        pytest.param("combine: sum\nkernels: sobel", ["line 2", "'kernels'"], id="kernels-word"),
        pytest.param(
            "combine: avg\nkernels: [sobel-x]", ["line 1", "magnitude, max, sum", "'avg'"], id="cb"
        ),
        pytest.param("combine: sum\nkernels: [true]", ["line 2", "a name"], id="kernels-bool"),
        pytest.param(
            "combine: sum\nkernels: [no-such-kernel-zz]", ["line 2", "unknown kernel"], id="unk"
        ),
        pytest.param(
            "combine: sum\nkernels: [sobel-x]\nnormalize: true",
            ["line 3", "'normalize'", "combined"],
            id="combine-normalize",
        ),
        pytest.param(
            "weights: [[1]]\nkernels: [sobel-x]", ["line 2", "'kernels' goes with"], id="kernels"
        ),
        pytest.param("42", ["line 1", "mapping"], id="top-level-number"),
        pytest.param("- 42", ["line 1", "mapping"], id="list-of-numbers"),
        pytest.param("'just text'", ["line 1", "mapping"], id="top-level-text"),
    ],
)
def test_wrong_types_are_errors_with_the_line(
    text: str, fragments: list[str], raises_kernel_error: Callable[..., str]
) -> None:
    """A value of the wrong type is a one-line error naming the file, the line and the key."""
    raises_kernel_error(lambda: parse(text), "k.yaml", *fragments)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        pytest.param(
            "weights:\n  - [1, 2, 3]\n  - [4, 5]\n",
            ["line 3", "expected 3 values", "got 2"],
            id="list-rows",
        ),
        pytest.param(
            "name: x\nweights: [[1, 2], [3, 4],\n  [5]]\n",
            ["line 3", "expected 2 values", "got 1"],
            id="flow-rows",
        ),
        pytest.param(
            "# header\nweights: |\n  1 2 3\n\n  4 5 6\n  7 8\n",
            ["line 6", "expected 3 values", "got 2"],
            id="text-block",
        ),
        pytest.param(
            "weights: |\n  1 2\n  3 x\n",
            ["line 3", "'x' is not a number"],
            id="text-block-word",
        ),
    ],
)
def test_ragged_rows_name_the_line(
    text: str, fragments: list[str], raises_kernel_error: Callable[..., str]
) -> None:
    """Rows of different lengths are reported at the line of the offending row."""
    raises_kernel_error(lambda: parse(text), "k.yaml", *fragments)


def test_duplicate_keys_are_errors(raises_kernel_error: Callable[..., str]) -> None:
    """A key given twice is an error at the second occurrence."""
    raises_kernel_error(
        lambda: parse("weights: [[1]]\nscale: 2\nscale: 3\n"),
        "k.yaml line 3",
        "'scale' appears twice",
    )


def test_scale_and_normalize_together_are_an_error(raises_kernel_error: Callable[..., str]) -> None:
    """``scale`` and ``normalize`` together are refused, even with normalize: false."""
    for normalize in ("true", "false"):
        raises_kernel_error(
            lambda normalize=normalize: parse(
                f"weights: [[1]]\nscale: 2\nnormalize: {normalize}\n"
            ),
            "k.yaml line 3",
            "either 'scale' or 'normalize'",
        )


def test_normalize_of_a_zero_sum_kernel_is_an_error(
    raises_kernel_error: Callable[..., str],
) -> None:
    """``normalize: true`` on weights summing to 0 is an error (there is no 1/0 scale)."""
    raises_kernel_error(
        lambda: parse("weights: [[-1, 0, 1]]\nnormalize: true\n"), "k.yaml line 2", "sum", "0"
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("name: x\n", "none of them", id="missing"),
        pytest.param("description: only words\n", "none of them", id="description-only"),
        pytest.param("weights: [[1]]\ngenerate: box:size=3\n", "weights and generate", id="two"),
        pytest.param(
            "weights: [[1]]\ncombine: sum\nkernels: [sobel-x]\n", "weights and combine", id="wc"
        ),
    ],
)
def test_exactly_one_body_is_required(
    text: str, found: str, raises_kernel_error: Callable[..., str]
) -> None:
    """A kernel needs exactly one of weights, generate or combine."""
    raises_kernel_error(lambda: parse(text), "k.yaml line 1", "exactly one", found)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        pytest.param("", ["empty"], id="empty"),
        pytest.param("# just a comment\n", ["empty"], id="only-comment"),
        pytest.param("[]", ["line 1", "empty"], id="empty-list"),
        pytest.param("- weights: [[1]]\n", ["line 1", "needs a 'name'"], id="list-item-no-name"),
        pytest.param(
            "- {name: a, weights: [[1]]}\n- {name: A, weights: [[2]]}\n",
            ["'a'", "more than once"],
            id="duplicate-names",
        ),
        pytest.param("weights: [[1, 2]\n", ["line 2", "not valid YAML"], id="unclosed"),
        pytest.param("a: b: c\n", ["line 1", "not valid YAML"], id="bad-mapping"),
        pytest.param("weights: [[1]]\n---\nweights: [[2]]\n", ["not valid YAML"], id="two-docs"),
        pytest.param("weights: [[1]]\x07\n", ["not valid YAML"], id="control-character"),
    ],
)
def test_structural_errors(
    text: str, fragments: list[str], raises_kernel_error: Callable[..., str]
) -> None:
    """Empty documents, bad lists and YAML syntax errors are one-line KernelErrors."""
    raises_kernel_error(lambda: parse(text), "k.yaml", *fragments)


def test_combined_nesting_is_limited(raises_kernel_error: Callable[..., str]) -> None:
    """Combined kernels nested more than 8 deep are refused."""
    text = "{weights: [[1]]}"
    for _ in range(10):
        text = "{combine: sum, kernels: [" + text + "]}"
    raises_kernel_error(lambda: parse(text), "k.yaml", "nest more than 8")


def test_combined_nesting_within_the_limit_is_fine() -> None:
    """Combined kernels nested a few levels deep are accepted."""
    text = "{weights: [[1]]}"
    for _ in range(4):
        text = "{combine: sum, kernels: [" + text + "]}"
    (kernel,) = parse(text)
    assert isinstance(kernel, CombinedKernel)


def test_number_of_parts_is_limited(raises_kernel_error: Callable[..., str]) -> None:
    """At most 64 kernels can be combined."""
    text = "combine: sum\nkernels: [" + ", ".join(["'1'"] * 65) + "]"
    raises_kernel_error(lambda: parse(text), "k.yaml line 2", "at most 64")


def test_file_errors_name_the_path(tmp_path: Path, raises_kernel_error: Callable[..., str]) -> None:
    """Errors in a YAML file read by path name that path and the line."""
    path = write(tmp_path, "edge.yaml", "weights: [[1]]\nscal: 2\n")
    raises_kernel_error(lambda: resolve_kernel(str(path)), f"{path} line 2", "did you mean")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("weights: [[1" + "0" * 400 + "]]", id="400-digit-weight"),
        pytest.param("weights: [[" + "1" * 5000 + "]]", id="5000-digit-weight"),
        pytest.param("weights: [[1]]\nscale: 1" + "0" * 400, id="400-digit-scale"),
    ],
)
def test_huge_integers_are_kernel_errors(
    text: str, raises_kernel_error: Callable[..., str]
) -> None:
    """An integer too large for a float is a KernelError with the line, not an OverflowError."""
    raises_kernel_error(lambda: parse(text), "k.yaml line")


# --- safety ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        pytest.param('!!python/object/apply:os.system ["touch {marker}"]', id="top-level"),
        pytest.param('weights: !!python/object/apply:os.system ["touch {marker}"]', id="value"),
        pytest.param(
            'weights: [[1, !!python/object/apply:os.system ["touch {marker}"]]]', id="cell"
        ),
        pytest.param(
            '? !!python/object/apply:os.system ["touch {marker}"]\n: 1\nweights: [[1]]', id="key"
        ),
        pytest.param(
            'combine: sum\nkernels:\n  - !!python/object/apply:os.system ["touch {marker}"]\n',
            id="part",
        ),
        pytest.param(
            'weights: !!python/object/new:subprocess.check_call [["touch", "{marker}"]]',
            id="object-new",
        ),
    ],
)
def test_python_tags_run_nothing(
    tmp_path: Path, template: str, raises_kernel_error: Callable[..., str]
) -> None:
    """Tags that would construct Python objects raise KernelError and have no side effect."""
    marker = tmp_path / "pwned"
    path = write(tmp_path, "evil.yaml", template.format(marker=marker))
    raises_kernel_error(lambda: resolve_kernel(str(path)), str(path), "tag")
    assert not marker.exists()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("weights: !!python/name:os.system", id="python-name"),
        pytest.param("weights: !!python/tuple [1, 2]", id="python-tuple"),
        pytest.param("weights: !!binary aGVsbG8=", id="binary"),
        pytest.param("weights: !!set {a, b}", id="set"),
        pytest.param("weights: !!omap [a: 1]", id="omap"),
        pytest.param("weights: !!pairs [a: 1]", id="pairs"),
        pytest.param("weights: [[1]]\ndescription: !!timestamp 2001-12-14", id="timestamp"),
        pytest.param("weights: !custom [[1]]", id="local-tag"),
        pytest.param("weights: !<tag:example.com,2000:x> [[1]]", id="verbatim-tag"),
        pytest.param("weights: [[1]]\n<<: {scale: 2}", id="merge-key"),
    ],
)
def test_non_plain_tags_are_refused(text: str, raises_kernel_error: Callable[..., str]) -> None:
    """Only plain YAML types are allowed: every other tag is refused with its line."""
    raises_kernel_error(lambda: parse(text), "k.yaml line", "tag")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("x: &w [[1, 2]]\nweights: *w", id="mapping-value"),
        pytest.param("weights: [&r [1, 2], *r]", id="row"),
        pytest.param("weights: [[&one 1, *one]]", id="scalar"),
        pytest.param("- &k {name: a, weights: [[1]]}\n- *k", id="list-item"),
    ],
)
def test_aliases_are_refused(text: str, raises_kernel_error: Callable[..., str]) -> None:
    """YAML aliases are refused, even harmless ones."""
    raises_kernel_error(lambda: parse(text), "k.yaml line", "aliases")


def _billion_laughs(levels: int = 9, fanout: int = 10) -> str:
    """A YAML alias bomb expanding to fanout**levels strings."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * fanout)
        lines.append(f"a{level}: &a{level} [{refs}]")
    lines.append(f"weights: *a{levels}")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_quickly(
    tmp_path: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """An alias bomb is refused in well under two seconds, without expanding it."""
    path = write(tmp_path, "bomb.yaml", _billion_laughs())
    started = time.perf_counter()
    raises_kernel_error(lambda: resolve_kernel(str(path)), str(path), "aliases")
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("weights: " + "[" * 100_000 + "]" * 100_000, id="sequences"),
        pytest.param("{a: " * 100_000 + "}" * 100_000, id="mappings"),
        pytest.param("weights: " + "[" * 100_000, id="unclosed"),
    ],
)
def test_deep_nesting_is_refused_quickly(
    tmp_path: Path, text: str, raises_kernel_error: Callable[..., str]
) -> None:
    """Absurdly nested YAML is a KernelError (not a crash or RecursionError), quickly."""
    path = write(tmp_path, "deep.yaml", text)
    started = time.perf_counter()
    raises_kernel_error(lambda: resolve_kernel(str(path)), str(path))
    assert time.perf_counter() - started < 2


def test_moderately_nested_weights_are_a_type_error(
    raises_kernel_error: Callable[..., str],
) -> None:
    """Weights nested three levels deep are refused as not a list of numbers."""
    raises_kernel_error(lambda: parse("weights: [[[[[[1]]]]]]"), "k.yaml line 1", "single value")


def test_huge_file_is_refused_before_parsing(
    tmp_path: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """A YAML file over 4 MiB is refused quickly, with the limit in the message."""
    path = tmp_path / "huge.yaml"
    path.write_text("weights: [[1]]\n# " + "x" * (4 * 1024 * 1024) + "\n", encoding="utf-8")
    started = time.perf_counter()
    raises_kernel_error(lambda: resolve_kernel(str(path)), str(path), "4 MiB")
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"weights: [[1]]\n# \xff\xfe\n", id="invalid-utf8"),
        pytest.param("weights: [[1]]\n# café\n".encode("latin-1"), id="latin-1"),
        pytest.param("weights: [[1]]\n".encode("utf-16"), id="utf-16"),
    ],
)
def test_non_utf8_yaml_is_refused(
    tmp_path: Path, content: bytes, raises_kernel_error: Callable[..., str]
) -> None:
    """A YAML file that is not UTF-8 is refused with a KernelError naming the file."""
    path = tmp_path / "enc.yaml"
    path.write_bytes(content)
    raises_kernel_error(lambda: resolve_kernel(str(path)), str(path))


def test_utf8_text_is_fine() -> None:
    """Non-ASCII UTF-8 text in descriptions is kept."""
    kernel = parse_one("description: 'σ≈0.7 — café'\nweights: [[1]]")
    assert kernel.description == "σ≈0.7 — café"

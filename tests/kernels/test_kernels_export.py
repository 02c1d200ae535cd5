"""Kernels written for other tools read back into convcli as the same filter."""

from __future__ import annotations

import numpy as np
import pytest

from convcli.engine import correlate
from convcli.errors import KernelError
from convcli.kernels import Kernel, library_names, resolve_kernel
from convcli.kernels.export import FORMATS, export_kernel

SUFFIXES = {"vips": ".mat", "gimp": ".gegl", "text": ".txt", "yaml": ".yaml", "npy": ".npy"}
IMAGE = np.random.default_rng(0).random((17, 19)) * 255


def response(kernel: Kernel) -> np.ndarray:
    """What the kernel does to an 8-bit image, in float64: weights, scale and offset."""
    return correlate(IMAGE, kernel.weights, border="mirror") * kernel.scale + kernel.offset_for(255)


def read_back(data: bytes, to: str, tmp_path) -> Kernel:
    if to == "imagemagick":
        kernel = resolve_kernel(data.decode().strip())
    else:
        path = tmp_path / f"exported{SUFFIXES[to]}"
        path.write_bytes(data)
        kernel = resolve_kernel(str(path))
    assert isinstance(kernel, Kernel)
    return kernel


def plain_builtins() -> list[Kernel]:
    found = [resolve_kernel(name) for name in library_names()]
    return [k for k in found if isinstance(k, Kernel) and k.source == "built-in"]


KERNELS = {
    **{kernel.name: kernel for kernel in plain_builtins()},
    "even 2×4": Kernel(name="even", weights=np.arange(8.0).reshape(2, 4) - 3),
    "scaled 1/7": Kernel(name="sevenths", weights=np.ones((3, 3)), scale=1 / 7),
    "absolute offset": Kernel(name="shift", weights=np.eye(3), offset=12.5),
    "relative offset": Kernel(
        name="rel", weights=np.array([[1.0, 0, -1]]), offset=0.5, offset_relative=True
    ),
    "irrational": Kernel(name="pi", weights=np.array([[np.pi, -np.e], [1 / 3, 2.0]])),
}


@pytest.mark.parametrize("to", FORMATS)
@pytest.mark.parametrize("name", list(KERNELS))
def test_every_format_reads_back_as_the_same_filter(name, to, tmp_path):
    kernel = KERNELS[name]
    if to == "gimp" and max(kernel.shape) > 5:
        with pytest.raises(KernelError, match="at most 5×5"):
            export_kernel(kernel, to)
        return
    data, notes = export_kernel(kernel, to)
    back = read_back(data, to, tmp_path)
    kept_offset = to in ("yaml", "vips", "gimp")
    if kernel.offset and not kept_offset:
        assert any("offset" in note for note in notes)
        kernel = Kernel(name=kernel.name, weights=kernel.weights, scale=kernel.scale)
    np.testing.assert_allclose(response(back), response(kernel), rtol=1e-12, atol=1e-9)


def test_the_imagemagick_string_gives_its_origin():
    data, _ = export_kernel(Kernel(name="k", weights=np.arange(8.0).reshape(2, 4)), "imagemagick")
    assert data == b"4x2+2+1: 0,1,2,3 4,5,6,7\n"


def test_vips_keeps_an_integer_divisor():
    data, _ = export_kernel(resolve_kernel("gaussian-3"), "vips")
    assert data.splitlines()[:2] == [b"3 3 16 0", b"1 2 1"]


def test_gimp_names_columns_by_letter_and_rows_by_digit():
    data, _ = export_kernel(
        Kernel(name="k", weights=np.array([[0.0, 0, 0], [0, 0, 7], [0, 0, 0]])), "gimp"
    )
    assert b" d3=7 " in data and b"normalize=false" in data


def test_gegl_normalize_is_applied_as_gegl_does():
    kernel = resolve_kernel("gegl:convolution-matrix b2=1 b3=1 c2=1 c3=1 normalize=true")
    assert kernel.scale == 1 / 4 and kernel.offset == 0
    zero_sum = resolve_kernel("convolution-matrix b3=-1 d3=1 c3=0")
    assert zero_sum.scale == 1 and zero_sum.offset == 0.5 and zero_sum.offset_relative


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("gegl:convolution-matrix a1", "not key=value"),
        ("gegl:convolution-matrix z9=1", "unknown convolution-matrix property 'z9'"),
        ("gegl:convolution-matrix divisor=0", "divisor must not be 0"),
        ("gegl:convolution-matrix a1=x", "is not a finite number"),
        ("gegl:convolution-matrix normalize=maybe", "true or false"),
    ],
)
def test_bad_gegl_strings_are_kernel_errors(spec, message):
    with pytest.raises(KernelError, match=message):
        resolve_kernel(spec)


def test_an_unknown_format_is_refused():
    with pytest.raises(KernelError, match="unknown kernel format"):
        export_kernel(resolve_kernel("sharpen"), "photoshop")

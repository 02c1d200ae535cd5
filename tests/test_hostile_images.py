"""Hostile and odd images, and hostile options, given to ``convcli apply`` and ``convcli show``.

A hostile input ends in exactly one ``Error:`` line on stderr (no traceback, and never the
"unexpected ... please report it" catch-all: a clean convcli error), exit 1 or 2, nothing on
stdout, no file created or changed in its folder (hidden ``.name.*.part`` temporaries
included), the input's bytes and mtime untouched, and all of it within seconds. Odd but valid
inputs simply work, and their outputs decode to the engine's result.
"""

from __future__ import annotations

import errno
import io
import os
import struct
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage
from pictures import (
    PNG_SIGNATURE,
    SAMPLES,
    bomb_png,
    decode,
    decode_png,
    error_line,
    golden,
    mode_of,
    png16_bytes,
    ramp,
    save,
    snapshot,
)
from PIL import Image, ImageOps

from convcli.engine.modes import BORDERS
from convcli.errors import ImageReadError
from convcli.filtering.pipeline import FilterOptions
from convcli.images.imageio import read_picture
from convcli.kernels import resolve_chain, resolve_kernel
from convcli.runs import batch
from convcli.runs.jobs import OutputOptions

#: Everything hostile must be over well within this many seconds.
PROMPT = 5.0


def refused(cli, folder: Path, *args: object, code: int, fragments: tuple[str, ...] = ()) -> str:
    """Run ``convcli ARGS``; check the refusal contract above and return the error line."""
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


def pillow_bytes(pixels: np.ndarray, fmt: str, **params: object) -> bytes:
    stream = io.BytesIO()
    Image.fromarray(pixels).save(stream, fmt, **params)
    return stream.getvalue()


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


# -- empty, truncated, random and mislabelled files -----------------------------------------------


@pytest.mark.parametrize("extension", [".png", ".jpg", ".gif", ".tif", ".webp", ".npy", ".txt"])
def test_a_zero_byte_file_is_refused_as_empty(cli, tmp_path, extension):
    """A zero-byte file of any image extension is 'empty', not a crash."""
    source = tmp_path / f"empty{extension}"
    source.write_bytes(b"")
    args = ["apply", "identity", source, "-o", tmp_path / "out.png"]
    refused(cli, tmp_path, *args, code=1, fragments=(source.name, "empty"))


PNG_RGB = pillow_bytes(ramp(64, 64, 3, seed=11), "PNG")
#: Cut points: inside the signature, inside IHDR, right after IHDR, inside the IDAT header,
#: and a quarter, half, three quarters and nearly all of the way through the pixel data.
PNG_CUTS = [4, 8, 20, 33, 37, 45, len(PNG_RGB) // 4, len(PNG_RGB) // 2, 3 * len(PNG_RGB) // 4]
PNG_CUTS.append(len(PNG_RGB) - 300)


@pytest.mark.parametrize("cut", PNG_CUTS)
def test_a_truncated_png_is_refused_at_every_cut_point(cli, tmp_path, cut):
    """An 8-bit PNG cut anywhere before the end of its pixel data is refused by name."""
    source = tmp_path / "cut.png"
    source.write_bytes(PNG_RGB[:cut])
    args = ["apply", "sharpen", source, "-o", tmp_path / "out.png"]
    refused(cli, tmp_path, *args, code=1, fragments=("cut.png",))


PNG_WIDE = png16_bytes(ramp(40, 40, 3, seed=12, high=65536), "RGB")


@pytest.mark.parametrize(
    "cut", [16, 33, 45, len(PNG_WIDE) // 2, len(PNG_WIDE) - 20, len(PNG_WIDE) - 5]
)
def test_a_truncated_16_bit_png_is_refused_at_every_cut_point(cli, tmp_path, cut):
    """convcli's own 16-bit decoder refuses a cut file too, even one missing only its IEND."""
    source = tmp_path / "cut16.png"
    source.write_bytes(PNG_WIDE[:cut])
    args = ["apply", "sharpen", source, "-o", tmp_path / "out.png"]
    refused(cli, tmp_path, *args, code=1, fragments=("cut16.png",))


JPEG_RGB = pillow_bytes(ramp(48, 48, 3, seed=13), "JPEG", quality=90)


@pytest.mark.parametrize(
    "cut", [2, 20, 150, len(JPEG_RGB) // 3, len(JPEG_RGB) // 2, len(JPEG_RGB) - 2]
)
def test_a_truncated_jpeg_is_refused_at_every_cut_point(cli, tmp_path, cut):
    """A JPEG cut in its headers, its scan data, or just before its end marker is refused."""
    source = tmp_path / "cut.jpg"
    source.write_bytes(JPEG_RGB[:cut])
    args = ["apply", "sharpen", source, "-o", tmp_path / "out.png"]
    refused(cli, tmp_path, *args, code=1, fragments=("cut.jpg",))


@pytest.mark.parametrize("extension", [".png", ".jpg", ".jpeg", ".gif", ".tif", ".bmp", ".webp"])
def test_random_bytes_with_an_image_extension_are_refused(cli, tmp_path, extension):
    """Noise named like an image is 'not an image convcli can read'."""
    source = tmp_path / f"noise{extension}"
    source.write_bytes(np.random.default_rng(len(extension)).bytes(2000))
    args = ["apply", "identity", source, "-o", tmp_path / "out.png"]
    refused(cli, tmp_path, *args, code=1, fragments=(source.name,))


@pytest.mark.parametrize(
    "magic, extension",
    [
        (PNG_SIGNATURE, ".png"),
        (PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)), ".png"),
        (b"\xff\xd8\xff\xe0", ".jpg"),
        (b"GIF89a", ".gif"),
        (b"BM", ".bmp"),
        (b"RIFF\x00\x10\x00\x00WEBPVP8 ", ".webp"),
        (b"\x93NUMPY", ".npy"),
    ],
    ids=["png-signature", "png-ihdr", "jpeg-soi", "gif", "bmp", "webp", "npy"],
)
def test_random_bytes_behind_a_real_magic_number_are_refused(cli, tmp_path, magic, extension):
    """A genuine file signature followed by noise gets as far as the decoder, and no further."""
    source = tmp_path / f"fake{extension}"
    source.write_bytes(magic + np.random.default_rng(5).bytes(1500))
    args = ["apply", "identity", source, "-o", tmp_path / "out.png"]
    refused(cli, tmp_path, *args, code=1, fragments=(source.name,))


@pytest.mark.parametrize("extension", [".png", ".jpg", ".tif"])
def test_a_text_file_named_like_an_image_is_refused(cli, tmp_path, extension):
    """A README saved as picture.png is not a picture."""
    source = tmp_path / f"picture{extension}"
    source.write_text("# Holiday photos\n\nThese are my notes, not a picture.\n" * 20)
    args = ["apply", "identity", source, "-o", tmp_path / "out.png"]
    refused(cli, tmp_path, *args, code=1, fragments=(source.name, "not an image"))


# -- corrupt headers the decoders choke on (bugs: they escape as "unexpected" errors) -------------


def gif_with_a_broken_second_frame() -> bytes:
    """A valid one-frame GIF whose trailer byte ';' became ',' (an image descriptor, cut)."""
    image = Image.fromarray(ramp(6, 7, 3)).quantize(8)
    stream = io.BytesIO()
    image.save(stream, "GIF")
    return stream.getvalue()[:-1] + b","


def tiff_with_strip_offsets_of_type(field_type: int) -> bytes:
    """A valid TIFF whose StripOffsets entry (tag 273) claims another field type."""
    data = bytearray(pillow_bytes(ramp(6, 7, 3), "TIFF"))
    (first_ifd,) = struct.unpack_from("<I", data, 4)
    (entries,) = struct.unpack_from("<H", data, first_ifd)
    for index in range(entries):
        entry = first_ifd + 2 + 12 * index
        if struct.unpack_from("<H", data, entry)[0] == 273:
            struct.pack_into("<H", data, entry + 2, field_type)
            return bytes(data)
    raise AssertionError("no StripOffsets entry")


def npy_with_header(header: str) -> bytes:
    """An .npy file (format 1.0) with this header text, padded as NumPy pads it."""
    text = header.encode("latin-1")
    text += b" " * ((64 - (10 + len(text) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + bytes(64)


CORRUPT_HEADERS = {
    "gif-cut-descriptor": ("broken.gif", gif_with_a_broken_second_frame()),
    "tiff-rational-strip-offsets": ("broken.tif", tiff_with_strip_offsets_of_type(5)),
    "tiff-undefined-strip-offsets": ("broken.tif", tiff_with_strip_offsets_of_type(7)),
    "tiff-double-strip-offsets": ("broken.tif", tiff_with_strip_offsets_of_type(12)),
    "npy-unclosed-header": (
        "broken.npy",
        npy_with_header("{'descr': '|u1', 'fortran_order': False, 'shape': (5, 6), "),
    ),
    "npy-unclosed-string": (
        "broken.npy",
        npy_with_header("{'descr': '|u1', 'fortran_order': False, 'shape': (5, 6), '''}"),
    ),
    "npy-bytes-key": (
        "broken.npy",
        npy_with_header("{'descr': '|u1', 'fortran_order': False, 'shape': (5, 6), b'x': 1}"),
    ),
}


@pytest.mark.parametrize("case", CORRUPT_HEADERS)
def test_a_corrupt_header_is_a_clean_read_error_in_the_library(case):
    """read_picture raises ImageReadError, never TypeError, struct.error or TokenError."""
    name, data = CORRUPT_HEADERS[case]
    with pytest.raises(ImageReadError, match=name):
        read_picture(data, name)


@pytest.mark.parametrize(
    "case", ["gif-cut-descriptor", "tiff-rational-strip-offsets", "npy-unclosed-header"]
)
def test_a_corrupt_header_is_one_clean_error_line(cli, tmp_path, case):
    """The same files on the command line: 'Error: broken.tif: ...', exit 1, not 'unexpected'."""
    name, data = CORRUPT_HEADERS[case]
    (tmp_path / name).write_bytes(data)
    args = ["apply", "identity", tmp_path / name, "-o", tmp_path / "out.png"]
    refused(cli, tmp_path, *args, code=1, fragments=(name,))


def tiff_with_a_metadata_warning() -> bytes:
    """A TIFF whose ImageWidth entry claims 3 values: Pillow warns, then fails to decode it."""
    data = bytearray(pillow_bytes(ramp(6, 7, 3), "TIFF"))
    (first_ifd,) = struct.unpack_from("<I", data, 4)
    struct.pack_into("<I", data, first_ifd + 2 + 4, 3)  # entry 0 is ImageWidth: count 1 -> 3
    return bytes(data)


@pytest.mark.slow
def test_decoder_warnings_do_not_add_lines_to_the_error(run_convcli, tmp_path):
    """In a real process, Pillow's UserWarnings must not print around the one Error line."""
    (tmp_path / "odd.tif").write_bytes(tiff_with_a_metadata_warning())
    before = snapshot(tmp_path)
    finished = run_convcli("apply", "identity", "odd.tif", "-o", "out.png", cwd=tmp_path)
    assert finished.returncode == 1
    error_line(finished.stderr.decode(), "odd.tif")
    assert snapshot(tmp_path) == before


# -- decompression bombs and the pixel limit ------------------------------------------------------


def gif_bomb() -> bytes:
    """A GIF whose logical screen is 65535×65535, holding one 1×1 frame."""
    screen = b"GIF89a" + struct.pack("<HHBBB", 65535, 65535, 0, 0, 0)
    frame = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return screen + frame + b";"


def bmp_bomb() -> bytes:
    """A BMP header claiming 60000×60000 24-bit pixels, followed by 16 bytes."""
    file_header = struct.pack("<2sIHHI", b"BM", 54 + 16, 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, 60000, 60000, 1, 24, 0, 16, 2835, 2835, 0, 0)
    return file_header + info + bytes(16)


def tiff_bomb() -> bytes:
    """A 6×7 TIFF (a few hundred bytes) whose ImageWidth and ImageLength now claim 60000×60000."""
    data = bytearray(pillow_bytes(ramp(6, 7), "TIFF"))
    (first_ifd,) = struct.unpack_from("<I", data, 4)
    (entries,) = struct.unpack_from("<H", data, first_ifd)
    for index in range(entries):
        entry = first_ifd + 2 + 12 * index
        tag, kind = struct.unpack_from("<HH", data, entry)
        if tag in (256, 257):
            struct.pack_into("<H" if kind == 3 else "<I", data, entry + 8, 60000)
    return bytes(data)


BOMBS = {
    "png-gray": ("bomb.png", bomb_png(60000, 60000)),
    "png-rgb": ("bomb.png", bomb_png(60000, 60000, colour=2)),
    "png-rgba-16-bit": ("bomb.png", bomb_png(60000, 60000, depth=16, colour=6)),
    "png-wide-strip": ("bomb.png", bomb_png(2**31 - 1, 1)),
    "gif": ("bomb.gif", gif_bomb()),
    "bmp": ("bomb.bmp", bmp_bomb()),
}


@pytest.mark.parametrize("case", BOMBS)
def test_a_decompression_bomb_is_refused_quickly_and_names_max_pixels(cli, tmp_path, case):
    """A header claiming billions of pixels is refused from the header, in well under a second."""
    name, data = BOMBS[case]
    (tmp_path / name).write_bytes(data)
    started = time.perf_counter()
    args = ["apply", "identity", tmp_path / name, "-o", tmp_path / "out.png"]
    line = refused(cli, tmp_path, *args, code=1, fragments=(name, "--max-pixels"))
    assert time.perf_counter() - started < 1.0
    assert "89,478,485" in line


def test_a_png_claiming_60000x60000_costs_almost_no_memory():
    """Refusing the bomb allocates nothing like its 3.6 gigapixels (tracemalloc peak < 4 MiB)."""
    data = bomb_png(60000, 60000, colour=2)
    tracemalloc.start()
    try:
        with pytest.raises(ImageReadError, match="60000×60000"):
            read_picture(data, "bomb.png")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024


def test_show_refuses_a_bomb_too(cli, tmp_path):
    """``convcli show`` applies the same guard."""
    (tmp_path / "bomb.png").write_bytes(bomb_png(60000, 60000, colour=2))
    args = ["show", tmp_path / "bomb.png"]
    refused(cli, tmp_path, *args, code=1, fragments=("bomb.png", "--max-pixels"))


@pytest.mark.parametrize("extension", [".png", ".tif", ".npy"])
def test_a_tiff_bomb_is_refused_whatever_the_output(cli, tmp_path, extension):
    """A TIFF header claiming 60000×60000 is refused by the same guard, naming --max-pixels,
    whether or not the output format could be written tile by tile."""
    (tmp_path / "bomb.tif").write_bytes(tiff_bomb())
    args = ["apply", "identity", tmp_path / "bomb.tif", "-o", tmp_path / f"out{extension}"]
    refused(cli, tmp_path, *args, code=1, fragments=("bomb.tif", "--max-pixels"))


def test_a_compressed_tiff_above_max_pixels_is_refused_too(cli, tmp_path):
    """A few KB of deflated zeros claiming 2048×2048 pixels, with --max-pixels 1000000: refused
    like every other image above the limit, not filtered tile by tile into a 4 MB output."""
    source = tmp_path / "zeros.tif"
    Image.new("L", (2048, 2048)).save(source, compression="tiff_adobe_deflate")
    assert source.stat().st_size < 64 * 1024
    args = ["apply", "identity", source, "-o", tmp_path / "out.tif", "--max-pixels", "1000000"]
    refused(cli, tmp_path, *args, code=1, fragments=("zeros.tif", "--max-pixels"))


@pytest.fixture(scope="module")
def large_png(tmp_path_factory) -> Path:
    """A genuine 3000×3000 gray PNG (9,000,000 pixels)."""
    rows = np.arange(3000, dtype=np.uint32)[:, np.newaxis]
    columns = np.arange(3000, dtype=np.uint32)[np.newaxis, :]
    pixels = ((rows * 7 + columns * 3) % 251).astype(np.uint8)
    path = tmp_path_factory.mktemp("large") / "large.png"
    Image.fromarray(pixels).save(path, compress_level=1)
    return path


def test_max_pixels_below_a_genuine_image_refuses_it(cli, large_png):
    """With --max-pixels one below its 9,000,000 pixels, a real 3000×3000 image is refused."""
    fragments = ("large.png", "3000×3000", "9,000,000", "8,999,999", "--max-pixels")
    out = large_png.parent / "out.png"
    args = ["apply", "identity", large_png, "-o", out, "--max-pixels", "8999999"]
    refused(cli, large_png.parent, *args, code=1, fragments=fragments)


def test_max_pixels_at_a_genuine_images_size_lets_it_through(cli, large_png, tmp_path):
    """With --max-pixels 9000000 the same image is filtered, and every pixel comes out."""
    out = tmp_path / "out.png"
    result = cli("apply", "identity", large_png, "-o", out, "--max-pixels", "9000000")
    assert result.exit_code == 0, result.stderr
    np.testing.assert_array_equal(decode(out), decode(large_png))


# -- endless inputs ------------------------------------------------------------------------------


def limited_memory() -> None:
    """In the child: at most 1 GiB of address space, so reading without end fails in a second
    instead of exhausting the machine."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.mark.slow
@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize(
    "command, name",
    [("show", "/dev/zero"), ("show", "zero.png"), ("apply", "zero.txt"), ("apply", "zero.png")],
)
def test_an_endless_input_is_refused_without_reading_it_all(tmp_path, command, name):
    """/dev/zero, or a link to it named like an image or a text matrix: its first bytes already
    show it is no image, so it is refused at once, by name, not after 'not enough memory'."""
    import subprocess
    import sys

    for link in ("zero.png", "zero.txt"):
        (tmp_path / link).symlink_to("/dev/zero")
    args = ["show", name] if command == "show" else ["apply", "identity", name, "-o", "out.txt"]
    script = Path(sys.executable).with_name("convcli")
    environment = {**os.environ, "COLUMNS": "100", "OPENBLAS_NUM_THREADS": "1"}
    started = time.perf_counter()
    finished = subprocess.run(
        [str(script), *args],
        capture_output=True,
        cwd=tmp_path,
        env=environment,
        preexec_fn=limited_memory,
        timeout=60,
        check=False,
    )
    elapsed = time.perf_counter() - started
    line = error_line(finished.stderr.decode(), name)
    assert finished.returncode == 1
    assert "memory" not in line, line
    assert elapsed < PROMPT, f"took {elapsed:.1f} s"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["zero.png", "zero.txt"]


# -- files that vanish or become unreadable in the middle of a batch ------------------------------


def three_inputs(folder: Path) -> list[Path]:
    sources = folder / "in"
    sources.mkdir()
    return [save(sources / f"{name}.png", ramp(6, 7, seed=i)) for i, name in enumerate("abc")]


SETTINGS = batch.Settings(resolve_chain("box-3"), FilterOptions(), OutputOptions())


def run_library_batch(jobs: list[batch.Job]) -> list[batch.Result]:
    results: list[batch.Result] = []
    batch.run(jobs, SETTINGS, None, on_result=results.append)
    return results


def test_a_source_deleted_before_its_job_runs_fails_alone(tmp_path):
    """The vanished file is reported by name; the files before and after it are written."""
    sources = three_inputs(tmp_path)
    jobs = [batch.Job(source, tmp_path / "out" / source.name) for source in sources]
    sources[1].unlink()
    results = run_library_batch(jobs)
    assert [r.status for r in results] == ["written", "failed", "written"]
    assert "b.png" in results[1].message and "No such file" in results[1].message
    assert not jobs[1].target.exists()
    for job in (jobs[0], jobs[2]):
        np.testing.assert_array_equal(decode(job.target), golden(decode(job.source), "box-3"))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "c.png"]


def test_a_source_that_becomes_unreadable_fails_alone(tmp_path, monkeypatch):
    """A PermissionError opening one file fails that file only, with the reason."""
    sources = three_inputs(tmp_path)
    jobs = [batch.Job(source, tmp_path / "out" / source.name) for source in sources]
    real_open = Path.open

    def guarded(self, *args, **kwargs):
        if self.name == "b.png":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded)
    results = run_library_batch(jobs)
    monkeypatch.undo()
    assert [r.status for r in results] == ["written", "failed", "written"]
    assert "b.png" in results[1].message and "Permission denied" in results[1].message
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "c.png"]


def test_a_file_vanishing_mid_batch_is_one_error_line_and_the_batch_goes_on(
    cli, tmp_path, monkeypatch
):
    """On the command line: one Error line for the vanished file, the summary, exit 1."""
    sources = three_inputs(tmp_path)
    real_run_job = batch.run_job

    def run_job(job, settings):
        if job.source.name == "b.png":
            job.source.unlink()  # gone between planning and decoding
        return real_run_job(job, settings)

    monkeypatch.setattr(batch, "run_job", run_job)
    out = tmp_path / "out"
    result = cli("apply", "box-3", *sources, "-o", out, "--jobs", "1")
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in result.stderr
    assert lines[0].startswith("Error: ") and "b.png" in lines[0] and "No such file" in lines[0]
    assert lines[1].startswith("2 written, 0 skipped, 1 failed")
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "c.png"]


# -- hostile options ------------------------------------------------------------------------------


@pytest.fixture
def gray(tmp_path) -> Path:
    return save(tmp_path / "in.png", ramp(9, 12))


@pytest.mark.parametrize(
    "option, value",
    [
        ("--stride", "0"),
        ("--stride", "-3"),
        ("--dilation", "-2"),
        ("--dilation", "0"),
        ("--border", "bogus"),
        ("--border", "reflect-ish"),
        ("--border", ""),
        ("--padding", "huge"),
        ("--repeat", "0"),
        ("--max-pixels", "0"),
    ],
)
def test_impossible_engine_options_are_usage_errors(cli, tmp_path, gray, option, value):
    """Stride 0, negative dilation, unknown borders ... exit 2 naming the option."""
    args = ["apply", "identity", gray, "-o", tmp_path / "out.png", option, value]
    refused(cli, tmp_path, *args, code=2, fragments=(option,))


def test_an_unknown_border_lists_the_real_ones(cli, tmp_path, gray):
    """The message for a misspelt border names the five that exist."""
    args = ["apply", "identity", gray, "-o", tmp_path / "out.png", "--border", "reflekt"]
    line = refused(cli, tmp_path, *args, code=2, fragments=("'reflekt'",))
    assert all(border in line for border in BORDERS)


@pytest.mark.parametrize(
    "region, mode",
    [
        ("12,0,3,3", ["--as-array"]),
        ("0,9,3,3", ["--as-array"]),
        ("500,500,10,10", ["--as-array"]),
        ("12,0,3,3", ["--format", "csv"]),
        ("0,9,2,2", ["--format", "json"]),
    ],
)
def test_a_region_outside_the_image_is_a_usage_error(cli, tmp_path, gray, region, mode):
    """``show --region`` that lies wholly outside the 12×9 image says so and exits 2."""
    refused(cli, tmp_path, "show", gray, *mode, "--region", region, code=2, fragments=("--region",))


@pytest.mark.parametrize("spelling", ["same", "dot-slash", "dot-dot", "symlink", "hard-link"])
def test_an_output_equal_to_the_input_is_refused(cli, tmp_path, gray, monkeypatch, spelling):
    """The input is never overwritten, however the same file is spelt."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    output = {
        "same": str(gray),
        "dot-slash": "./in.png",
        "dot-dot": "sub/../in.png",
        "symlink": "link.png",
        "hard-link": "hard.png",
    }[spelling]
    if spelling == "symlink":
        (tmp_path / "link.png").symlink_to(gray)
    if spelling == "hard-link":
        os.link(gray, tmp_path / "hard.png")
    args = ["apply", "sharpen", "in.png", "-o", output]
    refused(cli, tmp_path, *args, code=2, fragments=("in.png", "overwrite"))


@pytest.mark.parametrize("depth", [0, 2])
def test_an_output_folder_under_a_regular_file_is_refused(cli, tmp_path, gray, depth):
    """``-o afile/.../out.png`` where afile is a file: exit 1 naming it, nothing created."""
    (tmp_path / "afile").write_text("a file, not a folder")
    output = tmp_path.joinpath("afile", *(["sub"] * depth), "out.png")
    args = ["apply", "identity", gray, "-o", output]
    refused(cli, tmp_path, *args, code=1, fragments=("afile", "not a folder"))


def test_an_output_folder_under_a_regular_file_is_refused_before_any_filtering(cli, tmp_path):
    """The folder cannot exist whatever the image holds, so no word about the (never written)
    result comes before the one Error line: here, no clipping warning for sharpen."""
    gray = save(tmp_path / "in.png", ramp(9, 12))
    (tmp_path / "afile").write_text("a file, not a folder")
    args = ["apply", "sharpen", gray, "-o", tmp_path / "afile" / "out.png"]
    refused(cli, tmp_path, *args, code=1, fragments=("afile", "not a folder"))


def test_a_batch_output_folder_under_a_regular_file_fails_each_file_once(cli, tmp_path):
    """In a batch, every file reports the same cause on its own line; nothing is created."""
    sources = three_inputs(tmp_path)
    (tmp_path / "afile").write_text("a file, not a folder")
    before = snapshot(tmp_path)
    result = cli("apply", "sharpen", *sources, "-o", f"{tmp_path / 'afile' / 'out'}/", "-j", "1")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 4 and "Traceback" not in result.stderr
    assert all(line.startswith("Error: ") and "not a folder" in line for line in lines[:3])
    assert lines[3].startswith("0 written, 0 skipped, 3 failed")
    assert snapshot(tmp_path) == before


# -- file names with spaces, newlines and other characters ----------------------------------------

ODD_NAMES = [
    "with space.png",
    "new\nline.png",
    "tab\there.png",
    "ünïcødé ✓.png",
    "日本語の写真.png",
    'quote\'s "double".png',
    "#hash;semi&amp$dollar.png",
    ".hidden-looking.png",
]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_an_odd_file_name_works_in_single_file_mode(cli, tmp_path, name):
    """Spaces, control characters and non-ASCII in input and output names are just names."""
    source = save(tmp_path / name, ramp(6, 8, 3, seed=len(name)))
    out = tmp_path / "out" / name
    result = cli("apply", "sharpen", source, "-o", out)
    assert result.exit_code == 0, result.stderr
    np.testing.assert_array_equal(decode(out), golden(decode(source), "sharpen"))


def test_odd_file_names_work_in_a_batch(cli, tmp_path):
    """A folder of oddly named files is mirrored under -o with the very same names."""
    folder = tmp_path / "odd"
    folder.mkdir()
    for seed, name in enumerate(ODD_NAMES):
        save(folder / name, ramp(5, 6, seed=seed))
    out = tmp_path / "out"
    result = cli("apply", "sharpen", folder, "-o", out, "-j", "1")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(ODD_NAMES)
    for name in ODD_NAMES:
        np.testing.assert_array_equal(decode(out / name), golden(decode(folder / name), "sharpen"))


def test_odd_file_names_work_in_a_batch_with_worker_processes(cli, tmp_path):
    """The same names cross to worker processes and back intact."""
    sources = [save(tmp_path / name, ramp(5, 6, seed=i)) for i, name in enumerate(ODD_NAMES[:4])]
    out = tmp_path / "out"
    result = cli("apply", "box-3", *sources, "-o", out, "-j", "2")
    assert result.exit_code == 0, result.stderr
    for source in sources:
        np.testing.assert_array_equal(decode(out / source.name), golden(decode(source), "box-3"))


def test_an_unreadable_file_with_a_newline_in_its_name_is_still_one_error_line(cli, tmp_path):
    """The name is shown escaped, so 'one Error line per failure' holds for any file name."""
    source = tmp_path / "bad\nname.png"
    source.write_bytes(b"not a picture at all")
    args = ["apply", "identity", source, "-o", tmp_path / "out.png"]
    refused(cli, tmp_path, *args, code=1, fragments=("name.png",))


def test_a_failing_file_with_a_newline_in_its_name_is_one_line_in_a_batch(cli, tmp_path):
    """In a batch too: one Error line for the file, then the summary."""
    good = save(tmp_path / "good.png", ramp(5, 6))
    bad = tmp_path / "bad\nname.png"
    bad.write_bytes(b"not a picture at all")
    result = cli("apply", "identity", good, bad, "-o", tmp_path / "out", "-j", "1")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("Error: ") and "name.png" in lines[0]


# -- odd images that must simply work -------------------------------------------------------------


def applied(cli, *args):
    result = cli("apply", *args)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr and result.stdout_bytes == b""
    return result


def test_a_palette_png_with_transparency_is_filtered_as_rgba(cli, tmp_path):
    """P with a transparent index: colour filtered, alpha carried through, written as RGBA."""
    source = tmp_path / "palette.png"
    Image.fromarray(ramp(8, 9, 3, seed=21)).quantize(6).save(source, transparency=0)
    with Image.open(source) as image:
        assert image.mode == "P"
        rgba = np.asarray(image.convert("RGBA"))
    out = tmp_path / "out.png"
    applied(cli, "box-3", source, "-o", out)
    result = decode(out)
    assert mode_of(out) == "RGBA"
    np.testing.assert_array_equal(result[:, :, 3], rgba[:, :, 3])
    np.testing.assert_array_equal(result[:, :, :3], golden(rgba[:, :, :3], "box-3"))


def test_the_sample_palette_logo_works(cli, tmp_path):
    """The repository's own palette sample goes through with its transparency."""
    out = tmp_path / "out.png"
    applied(cli, "sharpen", SAMPLES / "logo-palette.png", "-o", out)
    assert mode_of(out) == "RGBA"


def test_gray_with_alpha_is_filtered_as_la(cli, tmp_path):
    """LA: the gray channel filtered, alpha untouched, written as LA."""
    pixels = ramp(8, 9, 2, seed=22)
    source = save(tmp_path / "la.png", pixels, "LA")
    out = tmp_path / "out.png"
    applied(cli, "sharpen", source, "-o", out)
    result = decode(out)
    assert mode_of(out) == "LA"
    np.testing.assert_array_equal(result[:, :, 1], pixels[:, :, 1])
    np.testing.assert_array_equal(result[:, :, 0], golden(pixels[:, :, 0], "sharpen"))


def test_a_cmyk_jpeg_is_filtered_per_channel_and_stays_cmyk(cli, tmp_path):
    """Each of C, M, Y and K is filtered; a TIFF output keeps CMYK exactly."""
    source = save(tmp_path / "cmyk.jpg", ramp(8, 8, 4, seed=23), "CMYK", quality=95)
    with Image.open(source) as image:
        assert image.mode == "CMYK"
        decoded = np.asarray(image)
    out = tmp_path / "out.tif"
    applied(cli, "box-3", source, "-o", out)
    assert mode_of(out) == "CMYK"
    np.testing.assert_array_equal(decode(out), golden(decoded, "box-3"))


def test_a_cmyk_jpeg_written_as_png_becomes_rgb_with_one_warning(cli, tmp_path):
    """PNG cannot hold CMYK: the result is converted, and one warning line says so."""
    source = save(tmp_path / "cmyk.jpg", ramp(8, 8, 4, seed=24), "CMYK", quality=95)
    out = tmp_path / "out.png"
    result = applied(cli, "identity", source, "-o", out)
    assert mode_of(out) == "RGB"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning:") and "CMYK" in lines[0]


def test_a_16_bit_gray_png_is_filtered_at_16_bits(cli, tmp_path):
    """I;16 in, 16-bit out, equal to the engine's result rounded at 16 bits."""
    pixels = ramp(9, 11, seed=25, high=65536)
    source = save(tmp_path / "gray16.png", pixels)
    out = tmp_path / "out.png"
    applied(cli, "gaussian-3", source, "-o", out)
    result = decode(out)
    assert result.dtype == np.uint16
    np.testing.assert_array_equal(result, golden(pixels, "gaussian-3", 65535, 65535.0))


def test_a_16_bit_rgb_png_is_filtered_at_16_bits(cli, tmp_path):
    """A 16-bit RGB PNG (which Pillow would truncate) stays 16-bit through a filter."""
    pixels = ramp(7, 10, 3, seed=26, high=65536)
    source = tmp_path / "rgb16.png"
    source.write_bytes(png16_bytes(pixels, "RGB"))
    out = tmp_path / "out.png"
    applied(cli, "gaussian-3", source, "-o", out)
    result, layout, depth = decode_png(out.read_bytes())
    assert (layout, depth) == ("RGB", 16)
    np.testing.assert_array_equal(result, golden(pixels, "gaussian-3", 65535, 65535.0))


def scipy_reference(pixels: np.ndarray, spec: str, border: str) -> np.ndarray:
    """scipy.ndimage's correlation of every channel, rounded and clipped to 8 bits."""
    kernel = resolve_kernel(spec)
    weights = kernel.weights * kernel.scale
    values = pixels.astype(np.float64)
    if values.ndim == 3:
        weights = weights[:, :, np.newaxis]
    result = scipy.ndimage.correlate(values, weights, mode=border, cval=0.0)
    return np.clip(np.rint(result), 0, 255)


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize(
    "shape, kernel",
    [
        ((1, 1), "gaussian-7"),
        ((1, 1), "sharpen"),
        ((3, 3), "gaussian-7"),
        ((2, 5), "box-7"),
        ((1, 50, 3), "sobel-x"),
        ((1, 50, 3), "gaussian:sigma=2"),
        ((40, 1), "sharpen"),
    ],
    ids=[
        "1x1-gaussian-7",
        "1x1-sharpen",
        "3x3-gaussian-7",
        "2x5-box-7",
        "strip-sobel-x",
        "strip-gaussian",
        "column-sharpen",
    ],
)
def test_an_image_smaller_than_the_kernel_works_with_every_border(
    cli, tmp_path, border, shape, kernel
):
    """1×1, 3×3 and one-pixel-high images, kernels wider than the image, every border mode:
    the output is the engine's result and agrees with scipy.ndimage."""
    pixels = ramp(*shape, seed=27)
    source = save(tmp_path / "small.png", pixels)
    out = tmp_path / "out.png"
    applied(cli, kernel, source, "-o", out, "--border", border)
    result = decode(out).reshape(pixels.shape)
    np.testing.assert_array_equal(result, golden(pixels, kernel, border=border))
    difference = np.abs(result.astype(np.float64) - scipy_reference(pixels, kernel, border))
    assert difference.max() <= 1  # float rounding may tip a .5 either way


@pytest.mark.parametrize("padding", ["same", "full"])
def test_a_1x1_image_with_a_large_kernel_and_full_or_same_padding(cli, tmp_path, padding):
    """A single pixel through a 7×7 kernel has the size that padding promises."""
    source = save(tmp_path / "dot.png", np.array([[200]], np.uint8))
    out = tmp_path / "out.png"
    applied(cli, "gaussian-7", source, "-o", out, "--padding", padding, "--border", "constant")
    assert decode(out).shape == ((1, 1) if padding == "same" else (7, 7))


def test_padding_valid_on_an_image_smaller_than_the_kernel_is_a_clear_usage_error(cli, tmp_path):
    """'valid' leaves nothing when the kernel does not fit: exit 2, saying why."""
    source = save(tmp_path / "small.png", ramp(3, 3))
    args = ["apply", "gaussian-7", source, "-o", tmp_path / "out.png", "--padding", "valid"]
    refused(cli, tmp_path, *args, code=2, fragments=("valid", "7", "3"))


@pytest.mark.parametrize("extension, separator", [(".txt", None), (".csv", ",")])
def test_huge_whole_number_results_are_written_as_text_exactly(cli, tmp_path, extension, separator):
    """Results beyond 2**63 (here 1e20 and -3e25, whole numbers in float32) are written as the
    numbers they are, not wrapped to -9223372036854775808 by a cast to int64."""
    values = np.array([[1e20, -3e25], [5.0, 7.0]], dtype=np.float32)
    np.save(tmp_path / "huge.npy", values)
    out = tmp_path / f"out{extension}"
    applied(cli, "identity", tmp_path / "huge.npy", "-o", out)
    written = np.loadtxt(out, delimiter=separator, ndmin=2)
    np.testing.assert_allclose(written, values.astype(np.float64), rtol=1e-6)


@pytest.mark.parametrize("fmt, extension", [("GIF", ".gif"), ("TIFF", ".tif")])
def test_only_the_first_frame_is_filtered_with_a_one_line_warning(cli, tmp_path, fmt, extension):
    """An animated GIF or multi-page TIFF: the first frame filtered, one warning line saying so."""
    frames = [Image.fromarray(ramp(6, 8, seed=seed)) for seed in (31, 32, 33)]
    source = tmp_path / f"many{extension}"
    frames[0].save(source, fmt, save_all=True, append_images=frames[1:])
    with Image.open(source) as image:
        assert image.n_frames == 3
        first = np.asarray(image.convert("L")) if fmt == "GIF" else np.asarray(image)
    out = tmp_path / "out.png"
    result = applied(cli, "box-3", source, "-o", out)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("warning:") and "3 frames" in lines[0] and "first" in lines[0]
    decoded = decode(out)
    expected = golden(first, "box-3")
    if decoded.ndim == 3:  # a palette GIF is read as RGB
        assert np.all(decoded == decoded[:, :, :1])
        decoded = decoded[:, :, 0]
    np.testing.assert_array_equal(decoded, expected)


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_an_exif_rotated_jpeg_comes_out_upright(cli, tmp_path, orientation):
    """EXIF orientation is applied on reading: the output stands as the camera meant it."""
    pixels = np.zeros((16, 32, 3), np.uint8)
    pixels[:, 16:] = 250  # dark left half, bright right half
    exif = Image.Exif()
    exif[0x0112] = orientation
    source = tmp_path / "rotated.jpg"
    Image.fromarray(pixels).save(source, exif=exif, quality=95)
    with Image.open(source) as image:
        upright = np.asarray(ImageOps.exif_transpose(image))
    out = tmp_path / "out.png"
    applied(cli, "identity", source, "-o", out)
    np.testing.assert_array_equal(decode(out), upright)
    if orientation == 6:  # turned 90° clockwise: the left half is now the top
        assert decode(out).shape == (32, 16, 3)
        assert decode(out)[:16].mean() < 50 < 200 < decode(out)[16:].mean()


def test_an_exif_rotated_jpeg_written_as_jpeg_carries_no_stale_orientation(cli, tmp_path):
    """A JPEG output is upright in its pixels and does not claim to need turning again."""
    exif = Image.Exif()
    exif[0x0112] = 6
    source = tmp_path / "rotated.jpg"
    Image.fromarray(ramp(16, 32, 3)).save(source, exif=exif, quality=95)
    out = tmp_path / "out.jpg"
    applied(cli, "identity", source, "-o", out)
    with Image.open(out) as image:
        assert image.size == (16, 32)
        assert image.getexif().get(0x0112, 1) == 1

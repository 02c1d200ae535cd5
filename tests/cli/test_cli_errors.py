"""Every way ``convcli`` can fail: the exit code (1 failure while working, 2 bad usage), exactly
one ``Error:`` line on stderr naming the file and the problem, no traceback, nothing on stdout,
and the folder exactly as it was: no output, no hidden ``.name.*.part`` temporary, the input's
bytes and mtime untouched. Then the atomic writes, made to fail midway on purpose.
"""

from __future__ import annotations

import errno
import os
import pty
import select
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import typer.testing
from pictures import SAMPLES, bomb_png, error_line, png16_bytes, ramp, save, snapshot

Case = Callable[[Path], tuple[list[object], int, list[str]]]
CASES: dict[str, Case] = {}


def case(function: Case) -> Case:
    """Register a failing command: ``function(folder)`` makes its files and returns
    (arguments, exit code, fragments the error line must contain)."""
    CASES[function.__name__] = function
    return function


def gray(folder: Path, name: str = "in.png") -> Path:
    return save(folder / name, ramp(9, 12))


# -- unreadable inputs (exit 1) ---------------------------------------------------------------


@case
def missing_input(d):
    return ["apply", "identity", d / "missing.png", "-o", d / "out.png"], 1, ["missing.png"]


@case
def zero_byte_file(d):
    (d / "empty.png").write_bytes(b"")
    return ["apply", "identity", d / "empty.png", "-o", d / "out.png"], 1, ["empty.png", "empty"]


@case
def random_bytes_named_png(d):
    (d / "noise.png").write_bytes(np.random.default_rng(0).bytes(600))
    return ["apply", "identity", d / "noise.png", "-o", d / "out.png"], 1, ["noise.png"]


@case
def truncated_png(d):
    whole = (SAMPLES / "test-card.png").read_bytes()
    (d / "cut.png").write_bytes(whole[: len(whole) // 2])
    return ["apply", "identity", d / "cut.png", "-o", d / "out.png"], 1, ["cut.png", "truncated"]


@case
def truncated_16_bit_png(d):
    whole = png16_bytes(ramp(20, 20, 3, high=65536), "RGB")
    (d / "cut16.png").write_bytes(whole[: len(whole) - 40])
    return ["apply", "identity", d / "cut16.png", "-o", d / "out.png"], 1, ["cut16.png"]


@case
def text_file_named_png(d):
    (d / "notes.png").write_text("these are my notes, not a picture\n")
    return ["apply", "identity", d / "notes.png", "-o", d / "out.png"], 1, ["notes.png"]


@case
def input_is_a_folder(d):
    (d / "pictures").mkdir()
    return ["apply", "identity", d / "pictures", "-o", d / "out.png"], 2, ["pictures", "folder"]


@case
def ragged_text_image(d):
    (d / "ragged.txt").write_text("1 2 3\n4 5\n")
    args = ["apply", "identity", d / "ragged.txt", "-o", d / "out.png"]
    return args, 1, ["ragged.txt", "line 2"]


@case
def npy_with_nan(d):
    np.save(d / "nan.npy", np.array([[1.0, np.nan]]))
    return ["apply", "identity", d / "nan.npy", "-o", d / "out.npy"], 1, ["nan.npy", "NaN"]


@case
def show_missing_input(d):
    return ["show", d / "missing.png"], 1, ["missing.png"]


@case
def show_random_bytes(d):
    (d / "noise.png").write_bytes(np.random.default_rng(0).bytes(600))
    return ["show", d / "noise.png", "--as-array"], 1, ["noise.png"]


# -- kernels that cannot be found or read -----------------------------------------------------


@case
def unknown_kernel_name(d):
    gray(d)
    args = ["apply", "sharpn", d / "in.png", "-o", d / "out.png"]
    return args, 1, ["'sharpn'", "did you mean sharpen"]


@case
def ragged_kernel_file(d):
    gray(d)
    (d / "edge.txt").write_text("1 0 -1\n2 0\n")
    args = ["apply", d / "edge.txt", d / "in.png", "-o", d / "out.png"]
    return args, 1, ["edge.txt", "line 2"]


@case
def missing_kernel_file(d):
    gray(d)
    args = ["apply", d / "nothere.txt", d / "in.png", "-o", d / "out.png"]
    return args, 1, ["nothere.txt", "does not exist"]


@case
def empty_chain_step(d):
    gray(d)
    return ["apply", "sharpen |", d / "in.png", "-o", d / "out.png"], 1, ["empty step"]


@case
def kernels_show_unknown(d):
    return ["kernels", "show", "sobbel"], 1, ["'sobbel'", "did you mean"]


# -- bad usage (exit 2) -----------------------------------------------------------------------


@case
def unknown_border(d):
    gray(d)
    args = ["apply", "identity", d / "in.png", "-o", d / "out.png", "--border", "bogus"]
    return args, 2, ["--border", "'bogus'", "reflect"]


@case
def unknown_padding(d):
    gray(d)
    args = ["apply", "identity", d / "in.png", "-o", d / "out.png", "--padding", "huge"]
    return args, 2, ["--padding", "huge"]


@case
def stride_zero(d):
    gray(d)
    return (
        ["apply", "identity", d / "in.png", "-o", d / "out.png", "--stride", "0"],
        2,
        ["--stride"],
    )


@case
def negative_dilation(d):
    gray(d)
    args = ["apply", "identity", d / "in.png", "-o", d / "out.png", "--dilation", "-2"]
    return args, 2, ["--dilation"]


@case
def repeat_zero(d):
    gray(d)
    return (
        ["apply", "identity", d / "in.png", "-o", d / "out.png", "--repeat", "0"],
        2,
        ["--repeat"],
    )


@case
def scale_not_a_number(d):
    gray(d)
    args = ["apply", "identity", d / "in.png", "-o", d / "out.png", "--scale", "abc"]
    return args, 2, ["--scale", "abc"]


@case
def scale_zero(d):
    gray(d)
    return ["apply", "identity", d / "in.png", "-o", d / "out.png", "--scale", "0"], 2, ["scale"]


@case
def offset_not_a_number(d):
    gray(d)
    args = ["apply", "identity", d / "in.png", "-o", d / "out.png", "--offset", "half"]
    return args, 2, ["--offset", "half"]


@case
def no_output_given(d):
    gray(d)
    return ["apply", "identity", d / "in.png"], 2, ["-o"]


@case
def missing_input_argument(d):
    return ["apply", "sharpen"], 2, ["INPUT"]


@case
def unknown_depth(d):
    gray(d)
    args = ["apply", "identity", d / "in.png", "-o", d / "out.png", "--depth", "12"]
    return args, 2, ["--depth", "12"]


@case
def unknown_output_extension(d):
    gray(d)
    return ["apply", "identity", d / "in.png", "-o", d / "out.xyz"], 2, ["out.xyz", "'.xyz'"]


@case
def output_without_extension(d):
    gray(d)
    return ["apply", "identity", d / "in.png", "-o", d / "out"], 2, ["out", "no extension"]


@case
def unknown_format(d):
    gray(d)
    args = ["apply", "identity", d / "in.png", "-o", d / "out.png", "--format", "bogus"]
    return args, 2, ["'bogus'"]


@case
def output_equal_to_input(d):
    gray(d)
    return ["apply", "identity", d / "in.png", "-o", d / "in.png"], 2, ["in.png", "another -o"]


@case
def output_equal_to_input_through_dot_dot(d):
    gray(d)
    (d / "sub").mkdir()
    args = ["apply", "identity", d / "in.png", "-o", d / "sub" / ".." / "in.png"]
    return args, 2, ["in.png", "overwrite"]


@case
def output_equal_to_input_through_a_symlink(d):
    gray(d)
    (d / "link.png").symlink_to(d / "in.png")
    return ["apply", "identity", d / "in.png", "-o", d / "link.png"], 2, ["overwrite"]


@case
def output_over_the_kernel_file(d):
    gray(d)
    (d / "kernel.txt").write_text("0 1 0\n")
    args = ["apply", d / "kernel.txt", d / "in.png", "-o", d / "kernel.txt"]
    return args, 2, ["kernel.txt", "overwrite"]


@case
def unknown_channel_letter(d):
    gray(d)
    args = ["apply", "identity", d / "in.png", "-o", d / "out.png", "--channels", "Q"]
    return args, 2, ["--channels", "'Q'"]


@case
def gray_of_a_cmyk_image(d):
    save(d / "in.tif", ramp(4, 4, 4), "CMYK")
    args = ["apply", "identity", d / "in.tif", "-o", d / "out.tif", "--gray"]
    return args, 2, ["--gray", "CMYK"]


@case
def region_outside_the_image(d):
    gray(d)
    args = ["show", d / "in.png", "--as-array", "--region", "12,0,3,3"]
    return args, 2, ["--region 12,0,3,3", "12×9"]


@case
def region_outside_the_image_for_format(d):
    gray(d)
    return ["show", d / "in.png", "--format", "csv", "--region", "0,9,3,3"], 2, ["--region"]


@case
def malformed_region(d):
    gray(d)
    return ["show", d / "in.png", "--as-array", "--region", "1,2,3"], 2, ["--region", "x,y"]


@case
def empty_region(d):
    gray(d)
    return ["show", d / "in.png", "--as-array", "--region", "0,0,0,3"], 2, ["--region", "width"]


@case
def unknown_show_channel(d):
    save(d / "rgb.png", ramp(4, 4, 3))
    args = ["show", d / "rgb.png", "--as-array", "--channel", "K"]
    return args, 2, ["--channel", "'K'", "RGB"]


@case
def unknown_show_format(d):
    gray(d)
    return ["show", d / "in.png", "--format", "xml"], 2, ["--format"]


@case
def unknown_command(d):
    return ["filter", "x.png"], 2, ["filter"]


@case
def unknown_option(d):
    gray(d)
    return ["apply", "identity", d / "in.png", "-o", d / "o.png", "--blur"], 2, ["--blur"]


# -- outputs that cannot hold the result (exit 1) ---------------------------------------------


@case
def output_folder_under_a_regular_file(d):
    gray(d)
    (d / "afile").write_text("not a folder")
    args = ["apply", "identity", d / "in.png", "-o", d / "afile" / "sub" / "out.png"]
    return args, 1, ["afile"]


@case
def float_result_to_png(d):
    save(d / "in.tif", np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), "F")
    args = ["apply", "identity", d / "in.tif", "-o", d / "out.png"]
    return args, 1, ["out.png", ".tif", ".npy", "--depth"]


@case
def float_rgb_to_tiff(d):
    np.save(d / "in.npy", np.full((3, 3, 3), 0.5))
    args = ["apply", "identity", d / "in.npy", "-o", d / "out.tif"]
    return args, 1, ["out.tif", "one channel"]


@case
def sixteen_bit_rgb_to_tiff(d):
    (d / "in.png").write_bytes(png16_bytes(ramp(4, 4, 3, high=65536), "RGB"))
    return ["apply", "identity", d / "in.png", "-o", d / "out.tif"], 1, ["out.tif", "16-bit"]


@case
def sixteen_bit_to_jpeg(d):
    gray(d)
    args = ["apply", "identity", d / "in.png", "-o", d / "out.jpg", "--depth", "16"]
    return args, 1, ["out.jpg", "16-bit"]


@case
def rgb_to_a_text_matrix(d):
    save(d / "in.png", ramp(4, 4, 3))
    return ["apply", "identity", d / "in.png", "-o", d / "out.txt"], 1, ["out.txt", "one channel"]


# -- decompression bombs and the pixel limit --------------------------------------------------


@case
def bomb_8_bit_gray(d):
    (d / "bomb.png").write_bytes(bomb_png(60000, 60000))
    args = ["apply", "identity", d / "bomb.png", "-o", d / "out.png"]
    return args, 1, ["bomb.png", "60000×60000", "--max-pixels"]


@case
def bomb_16_bit_rgb(d):
    (d / "bomb.png").write_bytes(bomb_png(60000, 60000, depth=16, colour=2))
    args = ["apply", "identity", d / "bomb.png", "-o", d / "out.png"]
    return args, 1, ["bomb.png", "60000×60000", "--max-pixels"]


@case
def bomb_shown(d):
    (d / "bomb.png").write_bytes(bomb_png(60000, 60000, colour=2))
    return ["show", d / "bomb.png"], 1, ["bomb.png", "--max-pixels"]


@case
def bomb_npy_header(d):
    header = {"descr": "|u1", "fortran_order": False, "shape": (60000, 60000)}
    with open(d / "bomb.npy", "wb") as stream:
        np.lib.format.write_array_header_1_0(stream, header)
    args = ["apply", "identity", d / "bomb.npy", "-o", d / "out.npy"]
    return args, 1, ["bomb.npy", "--max-pixels"]


@case
def text_matrix_over_the_limit(d):
    (d / "big.txt").write_text("1 2 3\n4 5 6\n7 8 9\n")
    args = ["apply", "identity", d / "big.txt", "-o", d / "out.txt", "--max-pixels", "5"]
    return args, 1, ["big.txt", "--max-pixels"]


@pytest.mark.parametrize("name", CASES)
def test_a_failure_is_one_error_line_and_leaves_everything_as_it_was(cli, tmp_path, name):
    """Exit 1 or 2, one ``Error:`` line naming the file and problem, no traceback, empty
    stdout, and no file created, changed or left behind (hidden temporaries included)."""
    args, code, fragments = CASES[name](tmp_path)
    before = snapshot(tmp_path)
    result = cli(*args)
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert isinstance(result.exception, SystemExit), result.exception
    error_line(result.stderr, *fragments)
    assert result.stdout_bytes == b""
    assert snapshot(tmp_path) == before


def test_relative_paths_to_the_input_are_refused_too(cli, tmp_path, monkeypatch):
    """``-o ./in.png`` and ``-o sub/../in.png`` from the input's folder name the input."""
    gray(tmp_path)
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    for output in ("./in.png", "sub/../in.png", str(tmp_path / "in.png")):
        result = cli("apply", "identity", "in.png", "-o", output)
        assert result.exit_code == 2
        error_line(result.stderr, "overwrite")
    assert snapshot(tmp_path) == before


def test_a_decompression_bomb_is_refused_before_decoding(cli, tmp_path):
    """A PNG claiming 60000×60000 is refused from its header, in well under a second."""
    (tmp_path / "bomb.png").write_bytes(bomb_png(60000, 60000))
    started = time.perf_counter()
    result = cli("apply", "identity", tmp_path / "bomb.png", "-o", tmp_path / "out.png")
    assert time.perf_counter() - started < 2.0
    assert result.exit_code == 1 and "--max-pixels" in result.stderr


def test_max_pixels_lets_a_genuine_large_image_through(cli, tmp_path):
    """The bomb guard is only a limit: --max-pixels raises it for a real image."""
    save(tmp_path / "wide.png", ramp(10, 20))
    refused = cli("show", tmp_path / "wide.png", "--max-pixels", "199")
    accepted = cli("show", tmp_path / "wide.png", "--max-pixels", "200")
    assert refused.exit_code == 1 and "--max-pixels" in refused.stderr
    assert accepted.exit_code == 0


# -- stdout and stdin that are terminals ------------------------------------------------------


def test_image_bytes_are_never_written_to_a_terminal(cli, tmp_path, monkeypatch):
    """``-o -`` with stdout on a terminal is refused (exit 2) before anything is read."""
    gray(tmp_path)
    monkeypatch.setattr(typer.testing._NamedTextIOWrapper, "isatty", lambda self: True)
    result = cli("apply", "identity", tmp_path / "in.png", "-o", "-")
    assert result.exit_code == 2
    error_line(result.stderr, "terminal")
    assert result.stdout_bytes == b""


def test_npy_values_are_never_written_to_a_terminal(cli, tmp_path, monkeypatch):
    """``show --format npy`` with stdout on a terminal is refused too."""
    gray(tmp_path)
    monkeypatch.setattr(typer.testing._NamedTextIOWrapper, "isatty", lambda self: True)
    result = cli("show", tmp_path / "in.png", "--format", "npy")
    assert result.exit_code == 2
    error_line(result.stderr, "terminal")
    assert result.stdout_bytes == b""


def run_on_a_terminal(stream: str, args: list[str], cwd: Path) -> tuple[int, bytes, bytes]:
    """Run convcli with ``stream`` ("stdin" or "stdout") on a pseudo-terminal: (code, what
    reached the terminal, stderr)."""
    import subprocess

    main, secondary = pty.openpty()
    streams = {"stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE, stream: secondary}
    environment = {**os.environ, "COLUMNS": "100"}
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "convcli", *args],
            stdin=streams["stdin"],
            stdout=streams["stdout"],
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=environment,
            timeout=60,
            check=False,
        )
    finally:
        os.close(secondary)
    seen = b""
    while select.select([main], [], [], 0.05)[0]:
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(main)
    return finished.returncode, seen, finished.stderr


@pytest.mark.slow
def test_a_real_terminal_on_stdout_is_refused(tmp_path):
    """In a real process with stdout on a pty, ``-o -`` exits 2 and writes nothing there."""
    gray(tmp_path)
    before = snapshot(tmp_path)
    code, seen, stderr = run_on_a_terminal(
        "stdout", ["apply", "identity", "in.png", "-o", "-"], tmp_path
    )
    assert code == 2
    error_line(stderr.decode(), "terminal")
    assert b"PNG" not in seen and seen.strip() == b""
    assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_a_terminal_on_stdin_is_not_read_as_an_image(tmp_path):
    """``apply K - ...`` with stdin on a terminal says to pipe an image in (exit 2)."""
    code, _, stderr = run_on_a_terminal(
        "stdin", ["apply", "identity", "-", "-o", "out.png"], tmp_path
    )
    assert code == 2
    error_line(stderr.decode(), "stdin")
    assert list(tmp_path.iterdir()) == []


def test_empty_stdin_is_an_error(cli, tmp_path):
    """Nothing piped in is a read failure, not a crash."""
    result = cli("apply", "identity", "-", "-o", tmp_path / "out.png", input=b"")
    assert result.exit_code == 1
    error_line(result.stderr, "empty")
    assert list(tmp_path.iterdir()) == []


# -- --debug ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_debug_shows_the_traceback(run_convcli, tmp_path):
    """``convcli --debug`` lets the traceback through, still exits 1 and leaves no file."""
    (tmp_path / "noise.png").write_bytes(np.random.default_rng(0).bytes(600))
    before = snapshot(tmp_path)
    finished = run_convcli(
        "--debug", "apply", "identity", "noise.png", "-o", "out.png", cwd=tmp_path
    )
    stderr = finished.stderr.decode()
    assert finished.returncode == 1
    assert "Traceback" in stderr and "ImageReadError" in stderr
    assert snapshot(tmp_path) == before


def test_debug_in_one_run_does_not_leak_into_the_next(cli, tmp_path):
    """In one process (as under CliRunner), --debug for one command does not stay on."""
    (tmp_path / "noise.png").write_bytes(np.random.default_rng(0).bytes(600))
    args = ["apply", "identity", tmp_path / "noise.png", "-o", tmp_path / "out.png"]
    first = cli("--debug", *args)
    assert not isinstance(first.exception, SystemExit)  # the error was let through
    second = cli(*args)
    assert second.exit_code == 1
    error_line(second.stderr, "noise.png")


# -- atomic writes: failures midway leave no trace --------------------------------------------


def failing(error: BaseException):
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    return fail


@pytest.mark.parametrize("step", ["fsync", "replace", "chmod"])
def test_a_write_failing_midway_leaves_the_old_output_and_no_temporary(
    cli, tmp_path, monkeypatch, step
):
    """If fsync, chmod or the final rename fails, the existing output keeps its bytes and no
    ``.out.png.*.part`` file remains; the error names the output."""
    gray(tmp_path)
    out = tmp_path / "out.png"
    out.write_bytes(b"the previous result")
    before = snapshot(tmp_path)
    monkeypatch.setattr(os, step, failing(OSError(errno.EIO, "Input/output error")))
    result = cli("apply", "identity", tmp_path / "in.png", "-o", out)
    monkeypatch.undo()
    assert result.exit_code == 1
    error_line(result.stderr, "out.png", "Input/output error")
    assert snapshot(tmp_path) == before


def test_a_disk_full_while_writing_leaves_nothing(cli, tmp_path, monkeypatch):
    """A write that fails after part of the data is on disk leaves neither output nor temporary."""
    import io as io_module

    gray(tmp_path)
    before = snapshot(tmp_path)
    real_fdopen = os.fdopen

    class HalfWriter(io_module.FileIO):
        def write(self, data):  # type: ignore[override]
            super().write(bytes(data)[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    def fdopen(fd, *args, **kwargs):
        if args and "w" in str(args[0]):
            return HalfWriter(fd, "wb")
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", fdopen)
    result = cli("apply", "identity", tmp_path / "in.png", "-o", tmp_path / "out.png")
    monkeypatch.undo()
    assert result.exit_code == 1
    error_line(result.stderr, "out.png", "No space left")
    assert snapshot(tmp_path) == before


def test_an_interrupt_while_writing_exits_130_and_cleans_up(cli, tmp_path, monkeypatch):
    """Ctrl-C during the rename exits 130 with 'Interrupted.' and removes the temporary."""
    gray(tmp_path)
    before = snapshot(tmp_path)
    monkeypatch.setattr(os, "replace", failing(KeyboardInterrupt()))
    result = cli("apply", "identity", tmp_path / "in.png", "-o", tmp_path / "out.png")
    monkeypatch.undo()
    assert result.exit_code == 130
    assert result.stderr.strip() == "Interrupted."
    assert snapshot(tmp_path) == before


def test_an_interrupt_outside_a_commands_guard_also_exits_130(cli, tmp_path, monkeypatch):
    """Ctrl-C while Click is still dispatching (here: in the root options' callback) is
    'Interrupted.' and exit 130 too, not a silent 130 or Click's 'Aborted!'."""
    from convcli.cli.console import RunState

    gray(tmp_path)
    monkeypatch.setattr(RunState, "set", failing(KeyboardInterrupt()))
    result = cli("apply", "identity", tmp_path / "in.png", "-o", tmp_path / "out.png")
    monkeypatch.undo()
    assert (result.exit_code, result.stderr.strip()) == (130, "Interrupted.")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


def test_once_the_command_is_done_a_late_signal_ends_the_process_as_a_signal_does(monkeypatch):
    """After the work (output written or cleaned up), Ctrl-C or SIGTERM during Python's own
    shutdown kills the process at once, instead of printing a KeyboardInterrupt traceback."""
    import signal

    from convcli.cli.app import main

    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    monkeypatch.setattr(sys, "argv", ["convcli", "--version"])
    try:
        with pytest.raises(SystemExit):
            main()
        assert signal.getsignal(signal.SIGINT) == signal.SIG_DFL
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


def test_a_successful_write_replaces_the_old_output_and_keeps_its_permissions(cli, tmp_path):
    """Writing over an existing output replaces its bytes, keeps its mode, leaves no temporary."""
    gray(tmp_path)
    out = tmp_path / "out.png"
    out.write_bytes(b"old")
    out.chmod(0o640)
    result = cli("apply", "identity", tmp_path / "in.png", "-o", out)
    assert result.exit_code == 0
    assert out.read_bytes().startswith(b"\x89PNG")
    assert out.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png", "out.png"]


def test_missing_output_folders_are_created(cli, tmp_path):
    """``-o results/2024/out.png`` creates the folders it needs."""
    gray(tmp_path)
    out = tmp_path / "results" / "2024" / "out.png"
    result = cli("apply", "identity", tmp_path / "in.png", "-o", out)
    assert result.exit_code == 0 and out.is_file()

"""``convcli apply`` on many files: folders mirrored into an output folder, file lists, naming
rules, collisions refused before any work, one ``Error:`` line per failing file and a summary,
identical bytes for any number of workers, and Ctrl-C/SIGTERM leaving only complete outputs.

Most tests run in-process through Typer's CliRunner; the ones marked slow start real processes
(pipes, signals, terminals, worker processes that die).
"""

from __future__ import annotations

import errno
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from pictures import TERMINAL, decode, error_line, filtered, golden, ramp, save, snapshot
from PIL import Image

from convcli.runs import batch

KERNEL = "box-3"  #: a blur: noise never clips, so stderr carries no warnings
SUMMARY = re.compile(
    r"(?P<written>[\d,]+) written, (?P<skipped>[\d,]+) skipped, (?P<failed>[\d,]+) failed "
    r"in \d+\.\d\d s \(\d+\.\d files/s\)(?P<stopped> \(stopped at the first failure\))?"
)


def image(path: Path, seed: int = 0, size: tuple[int, ...] = (6, 5)) -> Path:
    """A small PNG of noise at ``path`` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return save(path, ramp(*size, seed=seed))


def photos(root: Path) -> Path:
    """root/photos with images at three depths, and a note that is not an image."""
    for seed, name in enumerate(["a/b.png", "c.png", "d/e/f.png"]):
        image(root / "photos" / name, seed=seed)
    (root / "photos/notes.txt").write_text("not an image")
    return root / "photos"


def files_under(folder: Path) -> list[str]:
    """Every file under ``folder`` (hidden ones too), relative, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def counts(stderr: str) -> dict[str, int]:
    """The summary, which must be stderr's last line, as {written, skipped, failed}."""
    last = stderr.rstrip("\n").splitlines()[-1]
    match = SUMMARY.fullmatch(last)
    assert match, f"the last line of stderr is not the summary: {last!r}"
    return {key: int(match[key].replace(",", "")) for key in ("written", "skipped", "failed")}


def assert_filtered(source: Path, output: Path, kernel: str = KERNEL) -> None:
    """``output`` decodes to ``source`` filtered by ``kernel``."""
    assert output.is_file(), f"{output} was not written"
    np.testing.assert_array_equal(decode(output), golden(decode(source), kernel))


def applied(cli, *args, input: bytes | None = None):
    """Run ``convcli apply KERNEL ARGS`` in-process; it must succeed with nothing on stdout."""
    result = cli("apply", KERNEL, *args, input=input)
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == b""
    return result


# -- what goes where --------------------------------------------------------------------------


def test_a_folder_is_mirrored_into_the_output_folder(cli, tmp_path):
    """photos/a/b.png → OUT/a/b.png at every depth; files Pillow cannot read are skipped."""
    source = photos(tmp_path)
    result = applied(cli, source, "-o", tmp_path / "out")
    assert files_under(tmp_path / "out") == ["a/b.png", "c.png", "d/e/f.png"]
    for name in ["a/b.png", "c.png", "d/e/f.png"]:
        assert_filtered(source / name, tmp_path / "out" / name)
    assert counts(result.stderr) == {"written": 3, "skipped": 0, "failed": 0}
    assert result.stderr.count("\n") == 1, "nothing but the summary on stderr"


def test_file_arguments_land_in_the_output_folder_by_name(cli, tmp_path):
    """Several files (as xargs passes them) become OUT/<name>, whatever their folders."""
    a, b, c = (image(tmp_path / n, seed=i) for i, n in enumerate(["x/a.png", "y/z/b.png", "c.png"]))
    applied(cli, a, b, c, "-o", tmp_path / "out")
    assert files_under(tmp_path / "out") == ["a.png", "b.png", "c.png"]
    assert_filtered(b, tmp_path / "out/b.png")


@pytest.mark.parametrize("trailing_slash", [False, True])
def test_a_single_file_into_a_folder_is_a_batch(cli, tmp_path, trailing_slash):
    """One file with -o naming an existing folder, or ending in /, lands as OUT/<name>."""
    a = image(tmp_path / "a.png")
    out = tmp_path / "out"
    if not trailing_slash:
        out.mkdir()
    applied(cli, a, "-o", f"{out}/" if trailing_slash else out)
    assert_filtered(a, out / "a.png")


def test_a_missing_output_folder_is_created_with_its_parents(cli, tmp_path):
    """OUTDIR and any missing parents are created."""
    source = photos(tmp_path)
    applied(cli, source, "-o", tmp_path / "new/deeper/out")
    assert files_under(tmp_path / "new/deeper/out") == ["a/b.png", "c.png", "d/e/f.png"]


def test_an_output_folder_inside_the_input_is_never_walked_into(cli, tmp_path):
    """Run twice into photos/out: no photos/out/out appears and both runs do the same files."""
    source = photos(tmp_path)
    first = applied(cli, source, "-o", source / "out")
    second = applied(cli, source, "-o", source / "out")
    assert not (source / "out/out").exists()
    assert (
        counts(first.stderr) == counts(second.stderr) == {"written": 3, "skipped": 0, "failed": 0}
    )
    assert files_under(source / "out") == ["a/b.png", "c.png", "d/e/f.png"]


def test_the_same_file_given_twice_is_filtered_once(cli, tmp_path, monkeypatch):
    """One file under two spellings is one job, not a collision."""
    monkeypatch.chdir(tmp_path)
    image(tmp_path / "a.png")
    result = applied(cli, "a.png", "./a.png", tmp_path / "a.png", "-o", "out")
    assert counts(result.stderr)["written"] == 1
    assert files_under(tmp_path / "out") == ["a.png"]


# -- naming rules and formats -----------------------------------------------------------------


def test_a_suffix_without_output_folder_writes_beside_the_inputs(cli, tmp_path):
    """--suffix alone puts photo_blur.png next to photo.png, in every folder."""
    source = photos(tmp_path)
    applied(cli, source, "--suffix", "_blur")
    assert files_under(source) == [
        "a/b.png",
        "a/b_blur.png",
        "c.png",
        "c_blur.png",
        "d/e/f.png",
        "d/e/f_blur.png",
        "notes.txt",
    ]
    assert_filtered(source / "a/b.png", source / "a/b_blur.png")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--suffix", "_s"], ["a/b_s.png", "c_s.png", "d/e/f_s.png"]),
        (["--name", "{stem}-edges.{ext}"], ["a/b-edges.png", "c-edges.png", "d/e/f-edges.png"]),
        (["--name", "{name}.png"], ["a/b.png.png", "c.png.png", "d/e/f.png.png"]),
        (["--format", "tif"], ["a/b.tif", "c.tif", "d/e/f.tif"]),
        (["--suffix", "_s", "--format", "jpeg"], ["a/b_s.jpg", "c_s.jpg", "d/e/f_s.jpg"]),
    ],
)
def test_naming_rules_apply_inside_the_output_folder(cli, tmp_path, options, expected):
    """--suffix, --name and --format rename outputs under -o, keeping the mirrored layout."""
    source = photos(tmp_path)
    applied(cli, source, "-o", tmp_path / "out", *options)
    assert files_under(tmp_path / "out") == expected
    first = tmp_path / "out" / expected[0]
    with Image.open(first) as written:
        assert written.format == {".png": "PNG", ".tif": "TIFF", ".jpg": "JPEG"}[first.suffix]


def test_format_npy_converts_every_output_to_float_arrays(cli, tmp_path):
    """--format npy writes OUT/<stem>.npy holding the unrounded float results."""
    source = photos(tmp_path)
    applied(cli, source, "-o", tmp_path / "out", "--format", "npy")
    assert files_under(tmp_path / "out") == ["a/b.npy", "c.npy", "d/e/f.npy"]
    for name in ["a/b", "c", "d/e/f"]:
        values = np.load(tmp_path / "out" / f"{name}.npy")
        expected = filtered(decode(source / f"{name}.png"), KERNEL)
        np.testing.assert_allclose(values, expected, rtol=0, atol=1e-4)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--name", "{stem"),
        ("--name", "{size}.png"),
        ("--name", "{0}.png"),
        ("--name", "{stem}/x.{ext}"),
        ("--name", ".."),
        ("--name", "{stem.x}.png"),
        ("--suffix", "/x"),
        ("--suffix", "/../../escaped"),
    ],
)
def test_a_bad_naming_rule_is_a_usage_error_and_writes_nothing(cli, tmp_path, option, value):
    """A --name or --suffix that does not make a plain file name exits 2 before any work."""
    source = photos(tmp_path)
    before = snapshot(tmp_path)
    result = cli("apply", KERNEL, source, "-o", tmp_path / "out", option, value)
    assert result.exit_code == 2, result.stderr
    error_line(result.stderr, option)
    assert snapshot(tmp_path) == before


# -- refused before any work (exit 2, nothing written) ----------------------------------------


def refused(cli, tmp_path, *args, fragments=()):
    """``convcli apply KERNEL ARGS`` exits 2 with one Error line, and tmp_path is untouched."""
    before = snapshot(tmp_path)
    result = cli("apply", KERNEL, *args)
    assert result.exit_code == 2, result.stderr
    error_line(result.stderr, *fragments)
    assert snapshot(tmp_path) == before
    return result


def test_two_inputs_that_would_write_the_same_output_are_refused(cli, tmp_path):
    """x/a.png and y/a.png both becoming OUT/a.png is found before anything is written."""
    x, y = image(tmp_path / "x/a.png"), image(tmp_path / "y/a.png", seed=1)
    many = [image(tmp_path / f"x/m{i}.png") for i in range(5)]
    refused(cli, tmp_path, *many, x, y, "-o", tmp_path / "out", fragments=["x/a.png", "y/a.png"])


@pytest.mark.parametrize(
    "args",
    [
        ["in/a.png", "in/b.png", "-o", "in"],
        ["in", "--name", "{name}"],
        ["in", "--name", "{stem}.{ext}"],
        ["in/a.png", "in/a_s.png", "--suffix", "_s"],
    ],
    ids=["files-into-their-own-folder", "name-beside", "stem-ext-beside", "onto-another-input"],
)
def test_an_output_that_would_overwrite_an_input_is_refused(cli, tmp_path, monkeypatch, args):
    """No output may replace an input: exit 2 before anything is written."""
    monkeypatch.chdir(tmp_path)
    for name in ["in/a.png", "in/b.png", "in/a_s.png"]:
        image(tmp_path / name)
    refused(cli, tmp_path, *args, fragments=["would be written over the input"])


@pytest.mark.parametrize("suffix", [None, "_s"])
def test_an_output_folder_that_is_the_input_folder_is_not_silently_ignored(cli, tmp_path, suffix):
    """-o naming the input folder itself: without a suffix every output would replace its
    input (refused, exit 2); with one, outputs go beside the inputs as they do without -o."""
    source = photos(tmp_path)
    if suffix is None:
        refused(cli, tmp_path, source, "-o", source, fragments=["over the input"])
    else:
        result = applied(cli, source, "-o", source, "--suffix", suffix)
        assert counts(result.stderr)["written"] == 3
        assert (source / "a/b_s.png").is_file()


def test_an_existing_file_as_the_output_folder_is_refused(cli, tmp_path):
    """-o naming an existing regular file is refused for several inputs."""
    a, b = image(tmp_path / "a.png"), image(tmp_path / "b.png")
    (tmp_path / "existing.png").write_bytes(b"keep me")
    refused(cli, tmp_path, a, b, "-o", tmp_path / "existing.png", fragments=["is a file"])


@pytest.mark.parametrize("name", ["out.png", "out.JPG", "out.npy"])
def test_an_image_file_name_for_a_folder_input_is_refused(cli, tmp_path, name):
    """-o out.png (not existing) with a folder input says an output folder is needed."""
    source = photos(tmp_path)
    refused(cli, tmp_path, source, "-o", tmp_path / name, fragments=[name, "folder"])


@pytest.mark.parametrize(
    "args",
    [["-", "{a}", "-o", "{out}"], ["{a}", "{b}", "-o", "-"], ["{a}", "{b}"]],
    ids=["stdin-among-files", "stdout-for-many", "nowhere-to-write"],
)
def test_stdin_stdout_and_no_destination_are_refused_for_a_batch(cli, tmp_path, args):
    """- is one image; several inputs need a folder (or --suffix/--name) to write to."""
    a, b = image(tmp_path / "a.png"), image(tmp_path / "b.png")
    names = {"a": a, "b": b, "out": tmp_path / "out"}
    refused(cli, tmp_path, *(arg.format(**names) for arg in args))


# -- failures, the summary and stderr ---------------------------------------------------------


def corrupt_in_the_middle(root: Path, count: int = 5) -> tuple[Path, list[str]]:
    """root/in with ``count`` images, the middle one corrupt: (folder, names of good ones)."""
    names = [f"f{i:02d}.png" for i in range(count)]
    for i, name in enumerate(names):
        image(root / "in" / name, seed=i)
    bad = names[count // 2]
    (root / "in" / bad).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    return root / "in", [name for name in names if name != bad]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_corrupt_file_fails_alone_with_one_error_line_and_a_summary(cli, tmp_path, jobs):
    """One Error: line naming the file, every other output complete, the summary, exit 1."""
    source, good = corrupt_in_the_middle(tmp_path)
    result = cli("apply", KERNEL, source, "-o", tmp_path / "out", "--jobs", jobs)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("Error: ") and "f02.png" in lines[0]
    assert counts(result.stderr) == {"written": 4, "skipped": 0, "failed": 1}
    assert files_under(tmp_path / "out") == good
    for name in good:
        assert_filtered(source / name, tmp_path / "out" / name)


def fail_fast_batch(cli, root: Path, jobs: int):
    """A --fail-fast run over 40 images whose first one is corrupt: (result, files written)."""
    for i in range(40):
        image(root / "in" / f"f{i:02d}.png", seed=i)
    (root / "in/f00.png").write_bytes(b"garbage")
    result = cli("apply", KERNEL, root / "in", "-o", root / "out", "--fail-fast", "-j", jobs)
    return result, files_under(root / "out") if (root / "out").exists() else []


@pytest.mark.parametrize("jobs", [1, 2])
def test_fail_fast_stops_at_the_first_failure(cli, tmp_path, jobs):
    """--fail-fast: exit 1, one Error: line, fewer outputs, and the summary says it stopped."""
    result, written = fail_fast_batch(cli, tmp_path, jobs)
    assert result.exit_code == 1
    assert result.stderr.count("Error: ") == 1 and "f00.png" in result.stderr
    assert SUMMARY.fullmatch(result.stderr.splitlines()[-1])["stopped"]
    assert len(written) < 39
    if jobs == 1:
        assert written == []


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_summary_counts_every_output_written_even_when_failing_fast(cli, tmp_path, jobs):
    """With --fail-fast, files that workers finish after the failure are on disk, so the
    summary must count them: its "written" is the number of outputs written."""
    result, written = fail_fast_batch(cli, tmp_path, jobs)
    assert counts(result.stderr)["written"] == len(written)


@pytest.mark.slow
def test_the_summary_stays_one_line_on_a_narrow_stderr(run_convcli, tmp_path):
    """Scripts read the last line of stderr: the summary is never wrapped, however narrow."""
    for i in range(3):
        image(tmp_path / "in" / f"f{i}.png", seed=i)
    (tmp_path / "in/f0.png").write_bytes(b"garbage")
    args = ["apply", KERNEL, "in", "-o", "out", "--fail-fast", "-j", 1]
    finished = run_convcli(*args, cwd=tmp_path, env={"COLUMNS": "40"})
    assert finished.returncode == 1
    last = finished.stderr.decode().rstrip("\n").splitlines()[-1]
    assert SUMMARY.fullmatch(last) and last.endswith("(stopped at the first failure)"), last


def test_a_missing_input_is_an_error_line_and_the_rest_is_done(cli, tmp_path):
    """An input that does not exist is reported and counted as failed; the batch goes on."""
    a = image(tmp_path / "a.png")
    result = cli("apply", KERNEL, tmp_path / "gone.png", a, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "Error: " in result.stderr and "gone.png" in result.stderr
    assert counts(result.stderr) == {"written": 1, "skipped": 0, "failed": 1}
    assert_filtered(a, tmp_path / "out/a.png")


def test_a_folder_that_cannot_be_listed_is_reported_and_the_batch_goes_on(
    cli, tmp_path, monkeypatch
):
    """A subfolder that cannot be listed (permissions) gives one Error: line; the rest is done."""
    source = photos(tmp_path)
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == source / "d":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = cli("apply", KERNEL, source, "-o", tmp_path / "out")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Error: "), result.stderr
    assert str(source / "d") in lines[0] and "Permission denied" in lines[0]
    assert counts(result.stderr) == {"written": 2, "skipped": 0, "failed": 1}
    assert files_under(tmp_path / "out") == ["a/b.png", "c.png"]


def test_an_entry_that_cannot_be_examined_is_reported_and_the_batch_goes_on(cli, tmp_path):
    """A symlink loop named x.png cannot be examined: one Error: line, the rest written."""
    source = photos(tmp_path)
    (source / "loop.png").symlink_to("loop.png")
    result = cli("apply", KERNEL, source, "-o", tmp_path / "out")
    assert result.exit_code == 1
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert "loop.png" in error
    assert files_under(tmp_path / "out") == ["a/b.png", "c.png", "d/e/f.png"]


@pytest.mark.slow
def test_fifos_and_dangling_symlinks_in_a_folder_are_skipped_not_read(run_convcli, tmp_path):
    """Entries named x.png that are not regular files are not images: no hang, no error."""
    source = photos(tmp_path)
    os.mkfifo(source / "fifo.png")
    (source / "dangling.png").symlink_to(tmp_path / "nowhere.png")
    finished = run_convcli("apply", KERNEL, source, "-o", tmp_path / "out")
    assert finished.returncode == 0, finished.stderr
    assert files_under(tmp_path / "out") == ["a/b.png", "c.png", "d/e/f.png"]


def test_without_a_terminal_stderr_carries_only_the_summary(cli, tmp_path):
    """No progress bar, no carriage return, nothing but the summary line when not a terminal."""
    source = photos(tmp_path)
    result = applied(cli, source, "-o", tmp_path / "out", "--jobs", 2)
    assert "\r" not in result.stderr and "\x1b" not in result.stderr
    assert "━" not in result.stderr and "filtering" not in result.stderr
    assert SUMMARY.fullmatch(result.stderr.rstrip("\n"))


@pytest.mark.parametrize("where", ["apply-option", "root-option"])
def test_quiet_silences_summary_and_warnings_but_not_errors(cli, tmp_path, where):
    """--quiet: no summary, no clipping warning; the Error: line of a failing file remains."""
    source, _ = corrupt_in_the_middle(tmp_path)
    args = ["apply", "sharpen", source, "-o", tmp_path / "out"]  # sharpening noise clips
    loud = cli(*args)
    assert "warning: " in loud.stderr and SUMMARY.search(loud.stderr)
    quiet = cli(*args, "-q") if where == "apply-option" else cli("-q", *args)
    assert quiet.exit_code == 1
    error_line(quiet.stderr, "f02.png")


def run_on_a_terminal(args: list[object], cwd: Path) -> tuple[int, bytes]:
    """Run convcli with stderr on a pseudo-terminal; (exit code, what reached the terminal)."""
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "convcli", *(str(arg) for arg in args)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=secondary,
        cwd=cwd,
        env={**os.environ, **TERMINAL, "TERM": "xterm"},
    )
    os.close(secondary)
    seen = b""
    try:
        while select.select([main], [], [], 30)[0]:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the other end closed: the process has ended
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(main)
    return process.wait(timeout=30), seen


@pytest.mark.slow
@pytest.mark.parametrize("quiet", [False, True])
def test_on_a_terminal_a_progress_bar_is_drawn_unless_quiet(tmp_path, quiet):
    """stderr on a terminal gets the bar (count of files) then the summary; --quiet gets nothing."""
    source = photos(tmp_path)
    args = ["apply", KERNEL, source, "-o", tmp_path / "out", "--jobs", 1]
    code, seen = run_on_a_terminal([*args, "-q"] if quiet else args, tmp_path)
    assert code == 0
    if quiet:
        assert seen == b""
    else:
        text = seen.decode()
        assert "filtering" in text and "/3" in text
        assert SUMMARY.search(text)


# -- identical results whatever the number of workers -----------------------------------------


def mixed_inputs(root: Path) -> Path:
    """root/in: gray, RGB, RGBA, 16-bit, JPEG, TIFF, and a PNG big enough for several pieces."""
    folder = root / "in"
    folder.mkdir()
    save(folder / "gray.png", ramp(20, 30))
    save(folder / "rgb.png", ramp(20, 30, 3, seed=1))
    save(folder / "rgba.png", ramp(20, 30, 4, seed=2))
    save(folder / "deep.png", ramp(20, 30, high=65536, seed=3))
    save(folder / "photo.jpg", ramp(32, 32, 3, seed=4))
    save(folder / "scan.tif", ramp(20, 30, seed=5))
    (folder / "sub").mkdir()
    save(folder / "sub/big.png", ramp(300, 300, 3, seed=6))
    return folder


@pytest.mark.parametrize("options", [["sharpen"], ["box-7", "--method", "fft"]])
def test_one_worker_and_two_workers_write_the_same_bytes(cli, tmp_path, options):
    """--jobs 1 and --jobs 2 write byte-for-byte the same files."""
    source = mixed_inputs(tmp_path)
    for jobs in (1, 2):
        result = cli("apply", *options, source, "-o", tmp_path / f"j{jobs}", "--jobs", jobs)
        assert result.exit_code == 0, result.stderr
    one, two = tmp_path / "j1", tmp_path / "j2"
    assert files_under(one) == files_under(two) and len(files_under(one)) == 7
    for name in files_under(one):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


# -- --skip-existing --------------------------------------------------------------------------


def test_skip_existing_writes_only_missing_and_outdated_outputs(cli, tmp_path):
    """A second run redoes deleted outputs and outputs older than their input, nothing else."""
    source = tmp_path / "in"
    for i in range(6):
        image(source / f"f{i}.png", seed=i)
    out = tmp_path / "out"
    applied(cli, source, "-o", out)
    (out / "f1.png").unlink()
    (out / "f4.png").unlink()
    past = time.time() - 1000
    os.utime(out / "f2.png", (past, past))  # older than its input: redone
    before = {name: (out / name).stat().st_mtime_ns for name in ["f0.png", "f3.png", "f5.png"]}
    result = applied(cli, source, "-o", out, "--skip-existing")
    assert counts(result.stderr) == {"written": 3, "skipped": 3, "failed": 0}
    assert {name: (out / name).stat().st_mtime_ns for name in before} == before
    assert (out / "f2.png").stat().st_mtime > past + 100
    for i in range(6):
        assert_filtered(source / f"f{i}.png", out / f"f{i}.png")


# -- --files-from and --dry-run ---------------------------------------------------------------

TRICKY = ["with space.png", "café ü.png", "日本語.png", " lead and trail .png", "a'quote\".png"]


@pytest.mark.parametrize(
    ("names", "separator", "options"),
    [
        (TRICKY, b"\n", []),
        (TRICKY, b"\r\n", []),
        ([*TRICKY, "new\nline.png", "tab\there.png"], b"\0", ["-0"]),
        ([*TRICKY, "new\nline.png"], b"\0", ["--null"]),
    ],
    ids=["newlines", "crlf", "nul", "null-long-option"],
)
def test_files_from_stdin_reads_one_path_a_line_or_nul_separated(
    cli, tmp_path, names, separator, options
):
    """--files-from - with newlines, or NULs (-0) for names holding newlines; odd names work."""
    paths = [image(tmp_path / "in" / name, seed=i) for i, name in enumerate(names)]
    listing = separator.join(os.fsencode(path) for path in paths) + separator
    applied(cli, "--files-from", "-", *options, "-o", tmp_path / "out", input=listing)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(names)
    for path in paths:
        assert_filtered(path, tmp_path / "out" / path.name)


def test_files_from_a_file_adds_to_the_inputs_given_as_arguments(cli, tmp_path):
    """--files-from FILE combines with positional inputs."""
    a, b, c = (image(tmp_path / f"{n}.png", seed=i) for i, n in enumerate("abc"))
    (tmp_path / "list.txt").write_text(f"{b}\n{c}\n")
    applied(cli, a, "--files-from", tmp_path / "list.txt", "-o", tmp_path / "out")
    assert files_under(tmp_path / "out") == ["a.png", "b.png", "c.png"]


def test_dry_run_prints_every_mapping_and_writes_nothing(cli, tmp_path, monkeypatch):
    """--dry-run prints 'input -> output' lines on stdout, in plan order, and writes nothing."""
    monkeypatch.chdir(tmp_path)
    photos(tmp_path)
    before = snapshot(tmp_path)
    result = cli("apply", KERNEL, "photos", "-o", "out", "--suffix", "_s", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "photos/c.png -> out/c_s.png",
        "photos/a/b.png -> out/a/b_s.png",
        "photos/d/e/f.png -> out/d/e/f_s.png",
    ]
    assert result.stderr == ""
    assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_dry_run_prints_names_that_are_not_utf8_as_their_bytes(run_convcli, tmp_path):
    """A file name that is not UTF-8 is printed as its raw bytes, even where stdout is strict
    UTF-8 (as under an en_US.UTF-8 locale), so that the listing can be fed back."""
    name = os.fsdecode(b"caf\xe9.png")
    image(tmp_path / "in" / name)
    args = ["apply", KERNEL, "in", "-o", "out", "--dry-run"]
    finished = run_convcli(*args, cwd=tmp_path, env={"PYTHONIOENCODING": "utf-8"})
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == b"in/caf\xe9.png -> out/caf\xe9.png\n"


@pytest.mark.slow
def test_files_from_stdin_with_nul_separators_in_a_real_pipe(run_convcli, tmp_path):
    """find -print0 | convcli apply K --files-from - -0 -o out/, with non-UTF-8 bytes too."""
    names = ["a b.png", "new\nline.png", os.fsdecode(b"caf\xe9.png")]
    paths = [image(tmp_path / "in" / name, seed=i) for i, name in enumerate(names)]
    listing = b"".join(os.fsencode(path) + b"\0" for path in paths)
    finished = run_convcli(
        "apply", KERNEL, "--files-from", "-", "-0", "-o", "out/", input=listing, cwd=tmp_path
    )
    assert finished.returncode == 0, finished.stderr
    for path in paths:
        assert_filtered(path, tmp_path / "out" / path.name)


# -- processes: pipes, crashes, signals -------------------------------------------------------


def command(*args: object) -> list[str]:
    return [sys.executable, "-m", "convcli", *(str(arg) for arg in args)]


@pytest.mark.slow
def test_stdin_to_stdout_processes_chain_like_separate_file_runs(cli, tmp_path):
    """apply gaussian-3 - -o - < a.png | apply sharpen - -o b.png equals two file→file runs
    (each process rounds to 8 bits, so it is not the one-run chain 'gaussian-3 | sharpen')."""
    a = save(tmp_path / "a.png", ramp(24, 31, 3, seed=3))
    environment = {**os.environ, **TERMINAL}
    with a.open("rb") as stdin:
        first = subprocess.Popen(
            command("apply", "gaussian-3", "-", "-o", "-"),
            stdin=stdin,
            stdout=subprocess.PIPE,
            env=environment,
        )
        second = subprocess.run(
            command("apply", "sharpen", "-", "-o", tmp_path / "b.png"),
            stdin=first.stdout,
            capture_output=True,
            env=environment,
            timeout=60,
            check=False,
        )
        first.stdout.close()
        assert first.wait(timeout=60) == 0
    assert second.returncode == 0, second.stderr
    assert cli("apply", "gaussian-3", a, "-o", tmp_path / "t.png").exit_code == 0
    assert cli("apply", "sharpen", tmp_path / "t.png", "-o", tmp_path / "c.png").exit_code == 0
    np.testing.assert_array_equal(decode(tmp_path / "b.png"), decode(tmp_path / "c.png"))


@pytest.mark.slow
def test_a_worker_process_that_dies_fails_only_its_file(cli, tmp_path, monkeypatch):
    """A worker killed mid-file (say by the OOM killer) gives one Error: line for that file;
    every other file is written and the batch exits 1."""
    real = batch.run_job

    def run_job(job, settings):  # forked workers inherit this
        if job.source.name == "f03.png":
            os._exit(9)
        return real(job, settings)

    monkeypatch.setattr(batch, "run_job", run_job)
    for i in range(7):
        image(tmp_path / "in" / f"f{i:02d}.png", seed=i)
    result = cli("apply", KERNEL, tmp_path / "in", "-o", tmp_path / "out", "--jobs", 2)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and "f03.png" in lines[0] and "died" in lines[0], result.stderr
    assert counts(result.stderr) == {"written": 6, "skipped": 0, "failed": 1}
    assert len(files_under(tmp_path / "out")) == 6


#: An interruptible batch: 60 images of 256×256 RGB, each taking tens of milliseconds.
SLOW = ["gaussian:sigma=3", "--repeat", "8"]


@pytest.fixture(scope="module")
def many_images(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("many")
    for i in range(60):
        save(folder / f"img{i:02d}.png", ramp(256, 256, 3, seed=i))
    return folder


def outputs_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.png")) if folder.exists() else []


def default_sigint() -> None:
    """In the child: Ctrl-C's default action, even if this test runs where SIGINT is ignored
    (a background job), since Python only installs its handler over the default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt(source: Path, out: Path, signum: int, *, group: bool, jobs: int = 2, at: int = 3):
    """Start a batch, wait until ``at`` outputs exist, send ``signum`` to the process (or to
    its whole process group, as Ctrl-C in a terminal does); returns (exit code, stderr,
    outputs present when the signal was sent)."""
    process = subprocess.Popen(
        command("apply", *SLOW, source, "-o", out, "--jobs", jobs),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **TERMINAL},
        start_new_session=True,
        preexec_fn=default_sigint,
    )
    try:
        deadline = time.monotonic() + 30
        while len(outputs_in(out)) < at and process.poll() is None:
            assert time.monotonic() < deadline, "the batch never got going"
            time.sleep(0.01)
        present = outputs_in(out)
        assert process.poll() is None, "the batch ended before it could be interrupted"
        (os.killpg if group else os.kill)(process.pid, signum)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode, stderr.decode(), present


def assert_complete_and_equal_to_a_normal_run(cli, source: Path, out: Path, reference: Path):
    """Every output decodes fully and has the bytes a normal run writes; no temporaries."""
    left = outputs_in(out)
    assert len(left) < 60
    assert files_under(out) == [p.name for p in left], "temporary .part files were left"
    for path in left:
        with Image.open(path) as written:
            written.load()
    result = cli("apply", *SLOW, *(source / p.name for p in left), "-o", reference, "--jobs", 1)
    assert result.exit_code == 0, result.stderr
    for path in left:
        assert path.read_bytes() == (reference / path.name).read_bytes(), path.name


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "group", "jobs"),
    [(signal.SIGINT, True, 2), (signal.SIGTERM, False, 2), (signal.SIGINT, False, 1)],
    ids=["ctrl-c-two-workers", "sigterm-two-workers", "sigint-one-process"],
)
def test_an_interrupted_batch_exits_130_leaving_only_complete_outputs(
    cli, many_images, tmp_path, signum, group, jobs
):
    """Ctrl-C or SIGTERM mid-batch: exit 130, every output complete and right, no temporary."""
    out = tmp_path / "out"
    code, stderr, _ = interrupt(many_images, out, signum, group=group, jobs=jobs)
    assert code == 130, stderr
    assert "Interrupted" in stderr and "Traceback" not in stderr
    assert_complete_and_equal_to_a_normal_run(cli, many_images, out, tmp_path / "reference")


@pytest.mark.slow
def test_an_interrupt_stops_the_workers_promptly(many_images, tmp_path):
    """After Ctrl-C no worker starts another file: at most one more output per worker appears
    (the files being written as the signal came)."""
    out = tmp_path / "out"
    code, _, present = interrupt(many_images, out, signal.SIGINT, group=True, at=3)
    assert code == 130
    late = sorted(set(outputs_in(out)) - set(present))
    assert len(late) <= 2, f"{len(late)} outputs were written after the interrupt"


@pytest.mark.slow
def test_skip_existing_resumes_an_interrupted_batch(cli, tmp_path):
    """After Ctrl-C, --skip-existing writes only the missing outputs, leaving the others alone."""
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    for i in range(16):
        save(source / f"img{i:02d}.png", ramp(256, 256, 3, seed=i))
    code, _, _ = interrupt(source, out, signal.SIGINT, group=True, at=5)
    assert code == 130
    done = {path.name: path.stat().st_mtime_ns for path in outputs_in(out)}
    assert 5 <= len(done) < 16
    result = cli("apply", *SLOW, source, "-o", out, "--skip-existing", "--jobs", 2)
    assert result.exit_code == 0, result.stderr
    assert counts(result.stderr) == {"written": 16 - len(done), "skipped": len(done), "failed": 0}
    assert {name: (out / name).stat().st_mtime_ns for name in done} == done
    assert len(outputs_in(out)) == 16

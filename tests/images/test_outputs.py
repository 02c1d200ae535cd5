"""convcli.images.outputs: reading inputs and stdin, refusing to overwrite an input, and atomic
writes that never leave a half-written file or a temporary behind."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest
from pictures import snapshot

from convcli.errors import ImageReadError, ImageWriteError, UsageError
from convcli.images.outputs import atomic_write, check_output_target, read_input, write_output


class Stream(io.BytesIO):
    """A binary stdin/stdout stand-in that may claim to be a terminal."""

    def __init__(self, data: bytes = b"", tty: bool = False) -> None:
        super().__init__(data)
        self.tty = tty
        self.flushed = False

    def isatty(self) -> bool:
        return self.tty

    def flush(self) -> None:
        self.flushed = True
        super().flush()


# -- reading ----------------------------------------------------------------------------------


def test_a_file_is_read_as_bytes(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"\x00\x01")
    assert read_input(str(tmp_path / "a.bin"), Stream()) == b"\x00\x01"


def test_dash_reads_stdin():
    assert read_input("-", Stream(b"picture")) == b"picture"


def test_a_terminal_on_stdin_is_a_usage_error():
    """Nobody types a PNG: '-' with stdin on a terminal says to pipe one in."""
    with pytest.raises(UsageError, match="stdin"):
        read_input("-", Stream(tty=True))


def test_a_missing_file_names_itself(tmp_path):
    with pytest.raises(ImageReadError, match="cannot read .*missing.png: No such file"):
        read_input(str(tmp_path / "missing.png"), Stream())


def test_a_folder_is_not_an_image(tmp_path):
    with pytest.raises(ImageReadError, match="is a folder"):
        read_input(str(tmp_path), Stream())


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_says_why(tmp_path):
    path = tmp_path / "secret.png"
    path.write_bytes(b"x")
    path.chmod(0)
    with pytest.raises(ImageReadError, match="Permission denied"):
        read_input(str(path), Stream())


# -- refusing to overwrite inputs -------------------------------------------------------------


@pytest.fixture
def picture(tmp_path, monkeypatch) -> Path:
    """in.png in the current folder (which is tmp_path), with a subfolder and a symlink."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.png").write_bytes(b"png")
    (tmp_path / "sub").mkdir()
    (tmp_path / "alias.png").symlink_to(tmp_path / "in.png")
    return tmp_path / "in.png"


@pytest.mark.parametrize(
    "output",
    ["in.png", "./in.png", "sub/../in.png", "alias.png", "{absolute}", "missing/../in.png"],
)
def test_every_way_of_naming_the_input_is_refused(picture, output):
    """The same file by relative, absolute, '..' or symlinked name is refused before work."""
    with pytest.raises(UsageError, match="refusing to overwrite the input in.png"):
        check_output_target(output.format(absolute=picture), ["in.png"])


@pytest.mark.parametrize("output", ["out.png", "sub/in.png", "-", "new/folder/out.png"])
def test_other_outputs_are_allowed(picture, output):
    check_output_target(output, ["in.png"])


def test_stdin_is_never_an_output_clash(picture):
    check_output_target("in.png", ["-"])


def test_a_folder_is_not_an_output(picture):
    with pytest.raises(UsageError, match="sub is a folder"):
        check_output_target("sub", ["in.png"])


# -- writing ----------------------------------------------------------------------------------


def test_dash_writes_to_stdout_and_flushes(tmp_path):
    stdout = Stream()
    write_output(b"data", "-", stdout)
    assert stdout.getvalue() == b"data" and stdout.flushed
    assert list(tmp_path.iterdir()) == []


def test_a_file_output_is_written_whole(tmp_path):
    write_output(b"data", str(tmp_path / "out.bin"), Stream())
    assert (tmp_path / "out.bin").read_bytes() == b"data"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_missing_folders_are_created(tmp_path):
    atomic_write(tmp_path / "a" / "b" / "out.bin", b"data")
    assert (tmp_path / "a" / "b" / "out.bin").read_bytes() == b"data"


def test_an_existing_file_is_replaced_and_keeps_its_permissions(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    path.chmod(0o600)
    atomic_write(path, b"new")
    assert path.read_bytes() == b"new"
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    """New outputs are 0o666 minus the umask, not mkstemp's private 0o600."""
    mask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "out.bin", b"data")
    finally:
        os.umask(mask)
    assert (tmp_path / "out.bin").stat().st_mode & 0o777 == 0o644


def test_the_temporary_is_hidden_in_the_same_folder(tmp_path, monkeypatch):
    """The data is written to ``.out.bin.*.part`` next to the target, then renamed over it."""
    seen = []
    real_replace = os.replace

    def replace(source, target):
        seen.append((Path(source), Path(target), Path(source).read_bytes()))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    atomic_write(tmp_path / "out.bin", b"data")
    ((source, target, data),) = seen
    assert source.parent == tmp_path and target == tmp_path / "out.bin"
    assert source.name.startswith(".out.bin.") and source.name.endswith(".part")
    assert data == b"data"


def failing(error: BaseException):
    def fail(*args, **kwargs):
        raise error

    return fail


@pytest.mark.parametrize("step", ["fsync", "chmod", "replace"])
def test_a_failure_midway_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, step):
    """Whatever step fails, the target keeps its old bytes and the folder has no temporary."""
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    before = snapshot(tmp_path)
    monkeypatch.setattr(os, step, failing(OSError(errno.EIO, "Input/output error")))
    with pytest.raises(ImageWriteError, match=f"cannot write {path}: Input/output error"):
        atomic_write(path, b"new")
    monkeypatch.undo()
    assert snapshot(tmp_path) == before


def test_an_interrupt_midway_also_removes_the_temporary(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "replace", failing(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "out.bin", b"new")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_cannot_be_created_is_named(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ImageWriteError, match="cannot create the folder .*file"):
        atomic_write(tmp_path / "file" / "sub" / "out.bin", b"data")
    assert [p.name for p in tmp_path.iterdir()] == ["file"]

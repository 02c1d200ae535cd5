"""Faults from outside: Ctrl-C and SIGTERM at any moment, a full disk, a worker process killed.

Whatever happens, every output is either absent or complete (it decodes to what a normal run
writes), no temporary ``.name.*.part`` file is left, the input is untouched, a batch reports
the file that failed and goes on, and the run ends promptly with a clear exit code.
"""

from __future__ import annotations

import concurrent.futures
import errno
import io
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from pictures import decode, error_line, golden, ramp, save, snapshot

from convcli.errors import ConvcliError
from convcli.filtering.pipeline import FilterOptions
from convcli.kernels import resolve_chain
from convcli.runs import batch
from convcli.runs.jobs import OutputOptions

# Python 3.12+ warns when forking a process that has threads; the worker tests fork on purpose,
# exactly as ``convcli apply -j N`` does.
pytestmark = pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")

# -- Ctrl-C and SIGTERM during a single-file run --------------------------------------------------

KERNEL = "gaussian:sigma=6"
#: As conftest's run_convcli: a terminal size that keeps Rich's output the same everywhere.
TERMINAL = {"COLUMNS": "100", "LINES": "40", "TERMINAL_WIDTH": "100"}


def convcli_command(*args: object) -> list[str]:
    """The installed console script, as a user runs it. (Under ``python -m convcli`` CPython
    may end a cleanly interrupted run by re-raising SIGINT, returncode -2, when the signal
    landed inside an ``exec`` of a string such as a dataclass being built: bpo-41602.)"""
    return [str(Path(sys.executable).with_name("convcli")), *(str(arg) for arg in args)]


@pytest.fixture(scope="module")
def big_run(tmp_path_factory):
    """A 3000×2000 RGB PNG (a run of a second or two), the bytes a normal run writes for it,
    and how long that run takes."""
    folder = tmp_path_factory.mktemp("big")
    rows = np.arange(2000, dtype=np.uint16)[:, np.newaxis, np.newaxis]
    columns = np.arange(3000, dtype=np.uint16)[np.newaxis, :, np.newaxis]
    channel = np.array([1, 3, 7], dtype=np.uint16)[np.newaxis, np.newaxis, :]
    pixels = ((rows // 5 + columns // 7) * channel % 256).astype(np.uint8)
    source = folder / "big.png"
    from PIL import Image

    Image.fromarray(pixels).save(source, compress_level=1)
    reference = folder / "reference.png"
    started = time.perf_counter()
    subprocess.run(convcli_command("apply", KERNEL, source, "-o", reference), check=True)
    duration = time.perf_counter() - started
    return source, reference.read_bytes(), duration, snapshot(folder)


def wait_until_reading(process: subprocess.Popen[bytes], source: Path) -> None:
    """Return once ``process`` has ``source`` open (it is past start-up and working), or after
    a quarter of a second where /proc cannot tell."""
    descriptors = Path(f"/proc/{process.pid}/fd")
    if not descriptors.is_dir():
        time.sleep(0.25)
        return
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if any(os.readlink(fd) == str(source) for fd in descriptors.iterdir()):
                return
        except OSError:
            pass  # a descriptor closed while looking
        time.sleep(0.002)


@pytest.mark.slow
@pytest.mark.parametrize("fraction", [0.1, 0.4, 0.7])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_at_any_moment_leaves_the_output_absent_or_complete(
    big_run, tmp_path, signum, fraction
):
    """Ctrl-C or SIGTERM 10 %, 40 % or 70 % of a normal run's duration after the run started
    reading: exit 130 (or 0 if it had finished), the output absent or complete, never a partial
    or temporary file, the input untouched, and the process gone within seconds."""
    source, expected, duration, before = big_run
    out = tmp_path / "out.png"
    process = subprocess.Popen(
        convcli_command("apply", KERNEL, source, "-o", out),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **TERMINAL},
    )
    wait_until_reading(process, source)
    time.sleep(fraction * duration)
    process.send_signal(signum)
    signalled = time.perf_counter()
    stdout, stderr = process.communicate(timeout=60)
    assert time.perf_counter() - signalled < 5.0
    assert stdout == b""
    assert "Traceback" not in stderr.decode()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files in ([], ["out.png"]), f"a partial or temporary file was left: {files}"
    if files:
        assert out.read_bytes() == expected, "the output is not what a normal run writes"
    if process.returncode == 130:
        assert stderr.decode().strip().splitlines()[-1] == "Interrupted."
    elif process.returncode != 0:
        # Once the command is done, convcli restores the default signal actions for Python's
        # shutdown (joining threads, freeing the image): the signal then ends the process.
        assert (process.returncode, files) == (-signum, ["out.png"]), stderr.decode()
    assert snapshot(source.parent) == before


# -- a full disk ----------------------------------------------------------------------------------


def no_space() -> OSError:
    return OSError(errno.ENOSPC, "No space left on device")


class HalfWriter(io.FileIO):
    """A file that takes half of the first write, then reports a full disk."""

    def write(self, data):  # type: ignore[override]
        super().write(bytes(data)[: max(1, len(data) // 2)])
        raise no_space()


def fill_the_disk(monkeypatch: pytest.MonkeyPatch, step: str, names: set[str] | None = None):
    """Make writing temporaries for outputs called ``names`` (None: all) fail with ENOSPC, at
    ``step``: the data write itself, or the fsync that makes it durable."""
    temporaries: dict[int, str] = {}
    real_mkstemp, real_fdopen, real_fsync = tempfile.mkstemp, os.fdopen, os.fsync

    def doomed(handle: int) -> bool:
        name = temporaries.get(handle, "")
        return names is None or any(name.startswith(f".{wanted}.") for wanted in names)

    def mkstemp(*args, **kwargs):
        handle, path = real_mkstemp(*args, **kwargs)
        temporaries[handle] = os.path.basename(path)
        return handle, path

    def fdopen(handle, *args, **kwargs):
        if step == "write" and doomed(handle):
            return HalfWriter(handle, "wb")
        return real_fdopen(handle, *args, **kwargs)

    def fsync(handle):
        if step == "fsync" and doomed(handle):
            raise no_space()
        return real_fsync(handle)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(os, "fdopen", fdopen)
    monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.parametrize("existing", [False, True], ids=["new-output", "existing-output"])
@pytest.mark.parametrize("step", ["write", "fsync"])
def test_a_full_disk_leaves_no_partial_file_and_the_old_output_unchanged(
    cli, tmp_path, monkeypatch, step, existing
):
    """ENOSPC while writing or syncing: one Error line naming the output and the lack of space,
    exit 1, no temporary left, and an earlier output at that path keeps its bytes and mtime."""
    source = save(tmp_path / "in.png", ramp(20, 30, 3))
    out = tmp_path / "out.png"
    if existing:
        out.write_bytes(b"the result of an earlier run")
    before = snapshot(tmp_path)
    fill_the_disk(monkeypatch, step)
    result = cli("apply", "box-3", source, "-o", out)
    monkeypatch.undo()
    assert result.exit_code == 1, result.stderr
    error_line(result.stderr, "out.png", "No space left on device")
    assert snapshot(tmp_path) == before


def batch_of(folder: Path, names: str = "abcde") -> list[batch.Job]:
    sources = folder / "in"
    sources.mkdir()
    jobs = []
    for seed, name in enumerate(names):
        source = save(sources / f"{name}.png", ramp(8, 9, 3, seed=seed))
        jobs.append(batch.Job(source, folder / "out" / source.name))
    return jobs


SETTINGS = batch.Settings(resolve_chain("box-3"), FilterOptions(), OutputOptions())


def assert_written(job: batch.Job) -> None:
    """The output of ``job`` is complete: it decodes to the engine's result."""
    np.testing.assert_array_equal(decode(job.target), golden(decode(job.source), "box-3"))


@pytest.mark.parametrize("step", ["write", "fsync"])
def test_a_full_disk_fails_one_file_of_a_batch_and_the_batch_goes_on(tmp_path, monkeypatch, step):
    """In the library's batch loop (executor None), the file that hit ENOSPC is reported with
    the reason; every other file is written; no temporary is left."""
    jobs = batch_of(tmp_path)
    (tmp_path / "out").mkdir()
    jobs[2].target.write_bytes(b"an earlier c.png")
    fill_the_disk(monkeypatch, step, {"c.png"})
    results: list[batch.Result] = []
    summary = batch.run(jobs, SETTINGS, None, on_result=results.append)
    monkeypatch.undo()
    assert [r.status for r in results] == ["written", "written", "failed", "written", "written"]
    assert "c.png" in results[2].message and "No space left on device" in results[2].message
    assert (summary.written, summary.failed, summary.stopped_early) == (4, 1, False)
    assert jobs[2].target.read_bytes() == b"an earlier c.png"
    for job in jobs[:2] + jobs[3:]:
        assert_written(job)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{n}.png" for n in "abcde"]


def test_a_full_disk_stops_a_fail_fast_batch_at_that_file(tmp_path, monkeypatch):
    """With fail_fast the batch stops at the file that hit ENOSPC; the files before it stay."""
    jobs = batch_of(tmp_path)
    fill_the_disk(monkeypatch, "write", {"c.png"})
    results: list[batch.Result] = []
    summary = batch.run(jobs, SETTINGS, None, on_result=results.append, fail_fast=True)
    monkeypatch.undo()
    assert [r.status for r in results] == ["written", "written", "failed"]
    assert summary.stopped_early
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png"]


def test_a_full_disk_in_a_command_line_batch_is_one_error_line(cli, tmp_path, monkeypatch):
    """``convcli apply K a b c d e -o out/``: one Error line for c, the summary, exit 1."""
    jobs = batch_of(tmp_path)
    fill_the_disk(monkeypatch, "write", {"c.png"})
    result = cli("apply", "box-3", *(job.source for job in jobs), "-o", tmp_path / "out", "-j", "1")
    monkeypatch.undo()
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("Error: ") and "c.png" in lines[0] and "No space" in lines[0]
    assert lines[1].startswith("4 written, 0 skipped, 1 failed")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{n}.png" for n in "abde"]


# -- a worker process that is killed --------------------------------------------------------------


def die_now(*args: object) -> None:
    """Run in a worker: the process is killed outright, as by the OOM killer."""
    os.kill(os.getpid(), signal.SIGKILL)


def start_method():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class PoisonedPool(ProcessPoolExecutor):
    """A real process pool whose worker is SIGKILLed by any task holding the file ``poisoned``."""

    poisoned = "c.png"

    def __init__(self, max_workers: int = 2, **options) -> None:
        options.setdefault("mp_context", start_method())
        super().__init__(max_workers=max_workers, **options)

    def submit(self, fn, /, *args, **kwargs):
        task = args[0] if args else []
        if any(job.source.name == self.poisoned for job in task):
            return super().submit(die_now)
        return super().submit(fn, *args, **kwargs)


def poisoned_pool() -> PoisonedPool:
    return PoisonedPool(initializer=batch.init_worker, initargs=(SETTINGS,))


def write_then_die(task: list[batch.Job]) -> list[batch.Result]:
    """Run in a worker: filter the task, but be killed (SIGKILL) in the middle of writing, when
    the temporary file holds the data and before it is renamed into place."""

    def fsync(handle: int) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    os.fsync = fsync  # in this worker process only, which dies with it
    return batch.run_tasks(task)


class DyingWriterPool(PoisonedPool):
    """A process pool whose worker is SIGKILLed while writing the output of ``poisoned``."""

    def submit(self, fn, /, *args, **kwargs):
        task = args[0] if args else []
        if any(job.source.name == self.poisoned for job in task):
            return ProcessPoolExecutor.submit(self, write_then_die, task)
        return ProcessPoolExecutor.submit(self, fn, *args, **kwargs)


def dying_writer_pool() -> DyingWriterPool:
    return DyingWriterPool(initializer=batch.init_worker, initargs=(SETTINGS,))


@pytest.mark.slow
@pytest.mark.parametrize("per_task", [1, 3])
def test_a_killed_worker_fails_only_its_file(tmp_path, per_task):
    """With a real process pool whose worker is SIGKILLed on c.png, c.png alone fails (its
    worker 'died'); every other file, including those sharing its task or in flight with it,
    is retried and written; and the run returns."""
    jobs = batch_of(tmp_path, "abcdefg")
    pool = poisoned_pool()
    results: list[batch.Result] = []
    started = time.perf_counter()
    try:
        summary = batch.run(
            jobs,
            SETTINGS,
            pool,
            on_result=results.append,
            per_task=per_task,
            window=3,
            restart=poisoned_pool,
        )
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    assert time.perf_counter() - started < 30
    status = {result.job.source.name: result for result in results}
    assert len(results) == len(jobs) == len(status), "each file is reported exactly once"
    assert status["c.png"].status == "failed" and "died" in status["c.png"].message
    assert "c.png" in status["c.png"].message
    assert (summary.written, summary.failed) == (len(jobs) - 1, 1)
    for job in jobs:
        if job.source.name != "c.png":
            assert status[job.source.name].status == "written"
            assert_written(job)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{n}.png" for n in "abdefg"]


@pytest.mark.slow
def test_a_worker_killed_while_writing_leaves_no_temporary_file(tmp_path):
    """A worker SIGKILLed mid-write (its temporary full, not yet renamed) cannot clean up after
    itself; the batch must: c.png fails, the rest are written, and no .c.png.*.part remains."""
    jobs = batch_of(tmp_path, "abcde")
    pool = dying_writer_pool()
    results: list[batch.Result] = []
    try:
        batch.run(jobs, SETTINGS, pool, on_result=results.append, restart=dying_writer_pool)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    status = {result.job.source.name: result.status for result in results}
    assert status == {f"{name}.png": "written" for name in "abde"} | {"c.png": "failed"}
    leftovers = sorted(p.name for p in (tmp_path / "out").iterdir() if p.name.startswith("."))
    assert leftovers == [], f"temporaries left behind: {leftovers}"


@pytest.mark.slow
def test_a_worker_killed_while_writing_in_a_command_line_batch_leaves_no_temporary(
    cli, tmp_path, monkeypatch
):
    """The same through ``convcli apply ... -j 2``: one Error line, and an output folder holding
    complete outputs only."""
    jobs = batch_of(tmp_path, "abcd")
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", DyingWriterPool)
    result = cli("apply", "box-3", *(job.source for job in jobs), "-o", tmp_path / "out", "-j", "2")
    assert result.exit_code == 1, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png", "d.png"]


@pytest.mark.slow
def test_a_killed_worker_in_a_command_line_batch_is_one_error_line(cli, tmp_path, monkeypatch):
    """``convcli apply K ... -j 2`` with a worker killed on c.png: one Error line for it, the
    summary, exit 1, and every other output written."""
    jobs = batch_of(tmp_path, "abcdef")
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", PoisonedPool)
    result = cli("apply", "box-3", *(job.source for job in jobs), "-o", tmp_path / "out", "-j", "2")
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("Error: ") and "c.png" in lines[0] and "died" in lines[0]
    assert lines[1].startswith("5 written, 0 skipped, 1 failed")
    for job in jobs:
        if job.source.name != "c.png":
            assert_written(job)


@pytest.mark.slow
def test_a_killed_worker_without_a_way_to_restart_is_a_clean_error(tmp_path):
    """Without ``restart`` the loop cannot go on: a ConvcliError says why, not BrokenProcessPool."""
    jobs = batch_of(tmp_path, "abc")
    pool = poisoned_pool()
    try:
        with pytest.raises(ConvcliError, match="worker process died"):
            batch.run(jobs, SETTINGS, pool, on_result=lambda result: None)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)

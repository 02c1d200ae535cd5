"""Filtering many files: planning outputs, then running jobs on any concurrent.futures Executor.

Planning happens before any work: folders are walked (their layout mirrored under the output
folder), names are mapped, and two inputs that would write the same output are an error. The
run loop keeps a bounded window of tasks in flight, so a million inputs never become a million
futures, and it is written against the Executor interface alone: a local process pool and a
Dask cluster's executor run the very same loop. Each file is decoded, filtered and encoded in
one worker; only paths and small results cross between processes.
"""

from __future__ import annotations

import os
import posixpath
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from convcli.errors import ConvcliError, UsageError
from convcli.filtering.pipeline import FilterOptions
from convcli.images import remote
from convcli.images.limits import DEFAULT_MAX_PIXELS
from convcli.images.outputs import atomic_write
from convcli.kernels import AnyKernel
from convcli.runs.calibration import install as install_calibration
from convcli.runs.jobs import OutputOptions, filter_bytes

Status = Literal["written", "skipped", "failed"]


@dataclass(frozen=True)
class Job:
    """One input file and the output it becomes: paths, or fsspec URLs (``s3://...``)."""

    source: Path | str
    target: Path | str


@dataclass(frozen=True)
class Naming:
    """How an input's name becomes its output's name.

    ``template`` may use {stem}, {ext} (without the dot) and {name}; ``suffix`` is added to the
    stem; ``extension`` (from --format) replaces the extension.
    """

    template: str | None = None
    suffix: str = ""
    extension: str | None = None

    def name_for(self, source: Path | PurePosixPath) -> str:
        ext = self.extension or source.suffix.lstrip(".")
        if self.template:
            try:
                name = self.template.format(stem=source.stem, ext=ext, name=source.name)
            except (KeyError, IndexError, ValueError, AttributeError) as exc:
                raise UsageError(
                    f"`name` {self.template!r}: use {{stem}}, {{ext}} and {{name}} ({exc})"
                ) from None
            rule = f"`name` {self.template!r}"
        else:
            name = f"{source.stem}{self.suffix}.{ext}" if ext else f"{source.stem}{self.suffix}"
            rule = f"`suffix` {self.suffix!r}"
        if not name or "/" in name or os.sep in name or name in (".", ".."):
            raise UsageError(f"{rule} gives the bad file name {name!r}")
        return name

    def check(self) -> None:
        """Refuse a bad rule before any file is looked at (a sample name must come out well)."""
        self.name_for(Path("sample.png"))


@dataclass
class Plan:
    """Jobs to run, and inputs that could not even be listed."""

    jobs: list[Job] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  #: unreadable folders, missing inputs


def readable_extensions() -> frozenset[str]:
    """Extensions of the formats Pillow can open (lower case, with the dot)."""
    from PIL import Image

    Image.init()
    return frozenset(ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN)


def plan_jobs(inputs: Sequence[str], outdir: Path | str | None, naming: Naming) -> Plan:
    """Map every input (files, and folders walked recursively) to its output.

    Without ``outdir``, outputs sit beside their inputs (``naming`` must then change the name).
    Inputs and ``outdir`` may be fsspec URLs. Collisions and outputs that would overwrite an
    input are errors found here.
    """
    naming.check()
    plan = Plan()
    extensions = readable_extensions()
    skip = outdir.resolve() if isinstance(outdir, Path) else None
    for entry in inputs:
        if remote.is_url(entry) or remote.is_url(outdir):
            _plan_remote(entry, outdir, naming, extensions, plan)
            continue
        assert not isinstance(outdir, str)
        path = Path(entry)
        if path.is_dir():
            for source, relative in _walk(path, extensions, skip, plan.problems):
                folder = (outdir / relative.parent) if outdir is not None else source.parent
                plan.jobs.append(Job(source, folder / naming.name_for(source)))
        elif path.exists():
            folder = outdir if outdir is not None else path.parent
            plan.jobs.append(Job(path, folder / naming.name_for(path)))
        else:
            plan.problems.append(f"{entry}: no such file or folder")
    plan.jobs = list({path_key(job.source): job for job in plan.jobs}.values())  # once each
    _check_collisions(plan.jobs)
    return plan


def _plan_remote(
    entry: str,
    outdir: Path | str | None,
    naming: Naming,
    extensions: frozenset[str],
    plan: Plan,
) -> None:
    """Jobs for an input or an output folder given as a URL (local paths mix in freely)."""

    def target(source: str, relative: str) -> Path | str:
        name = naming.name_for(PurePosixPath(relative))
        folder = posixpath.dirname(relative)
        if outdir is None:
            return remote.join(posixpath.dirname(source), name)
        if isinstance(outdir, str):
            return remote.join(outdir, folder, name)
        return outdir / folder / name

    if remote.is_url(entry) and remote.is_folder(entry):
        for source, relative in remote.walk(entry, extensions):
            plan.jobs.append(Job(source, target(source, relative)))
    elif remote.is_url(entry) and remote.exists(entry):
        plan.jobs.append(Job(entry, target(entry, posixpath.basename(entry.split("://", 1)[1]))))
    elif not remote.is_url(entry) and Path(entry).is_dir():
        for local, inside in _walk(Path(entry), extensions, None, plan.problems):
            plan.jobs.append(Job(local, target(str(local), inside.as_posix())))
    elif not remote.is_url(entry) and Path(entry).exists():
        plan.jobs.append(Job(Path(entry), target(entry, Path(entry).name)))
    else:
        plan.problems.append(f"{entry}: no such file or folder")


def _walk(
    root: Path, extensions: frozenset[str], skip: Path | None, problems: list[str]
) -> Iterator[tuple[Path, Path]]:
    """Image files under ``root`` in a stable order, with their paths relative to ``root``."""
    pending = [root]
    while pending:
        folder = pending.pop()
        if skip is not None and folder != root and folder.resolve() == skip:
            continue  # never walk into the output folder (unless it is the input itself)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(f"{folder}: cannot list this folder ({exc.strerror or exc})")
            continue
        subfolders = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    subfolders.append(Path(entry.path))
                elif entry.is_file() and Path(entry.name).suffix.lower() in extensions:
                    path = Path(entry.path)
                    yield path, path.relative_to(root)
            except OSError as exc:
                problems.append(f"{entry.path}: cannot read this entry ({exc.strerror or exc})")
        pending.extend(reversed(subfolders))


def _check_collisions(jobs: list[Job]) -> None:
    seen: dict[Path | str, Path | str] = {}
    sources = {path_key(job.source): job.source for job in jobs}
    for job in jobs:
        key = path_key(job.target)
        if key in sources:
            raise UsageError(
                f"{job.source} would be written over the input {sources[key]}; "
                "choose another `output`, `suffix` or `name`"
            )
        if key in seen and seen[key] != job.source:
            raise UsageError(
                f"{seen[key]} and {job.source} would both be written to {job.target}; "
                "use `suffix` or `name`, or separate runs"
            )
        seen[key] = job.source


def path_key(path: Path | str) -> Path | str:
    """A path in the form that two spellings of the same file share (symbolic links
    resolved, so a link to an input is that input); a URL as it is."""
    if remote.is_url(path):
        return str(path)
    return Path(os.path.normcase(os.path.realpath(path)))


def read_file_list(text: str, *, nul: bool) -> list[str]:
    """Paths from ``--files-from``: one per line, or NUL-separated (``find -print0``)."""
    parts = text.split("\0") if nul else text.splitlines()
    return [part for part in parts if part]


# -- running -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs, sent once per worker (pickled)."""

    chain: list[AnyKernel]
    filters: FilterOptions
    output: OutputOptions
    max_pixels: int = DEFAULT_MAX_PIXELS
    skip_existing: bool = False


@dataclass(frozen=True)
class Result:
    """What became of one job."""

    job: Job
    status: Status
    message: str = ""
    notes: tuple[str, ...] = ()


def run_job(job: Job, settings: Settings) -> Result:
    """Decode, filter, encode and write one file; failures come back as data, never raised."""
    try:
        if settings.skip_existing and _up_to_date(job):
            return Result(job, "skipped", "up to date")
        source = remote.read(job.source) if isinstance(job.source, str) else job.source
        encoded, report = filter_bytes(
            source,
            str(job.source),
            str(job.target),
            settings.chain,
            settings.filters,
            settings.output,
            max_pixels=settings.max_pixels,
        )
        if isinstance(job.target, str):
            remote.write(job.target, encoded)
        else:
            atomic_write(job.target, encoded)
    except ConvcliError as exc:
        return Result(job, "failed", str(exc))
    except OSError as exc:
        return Result(job, "failed", f"{job.source}: {exc.strerror or exc}")
    except MemoryError:
        return Result(job, "failed", f"{job.source}: not enough memory")
    return Result(job, "written", notes=tuple(report.notes))


def run_tasks(jobs: list[Job], settings: Settings | None = None) -> list[Result]:
    """A task: several jobs run in turn in one worker (``settings`` from the worker's setup)."""
    chosen = settings or _WORKER_SETTINGS
    assert chosen is not None, "run_tasks needs settings, or a worker set up by init_worker"
    try:
        return [run_job(job, chosen) for job in jobs]
    except SystemExit as stop:
        if settings is None:  # a pool worker told to stop: leave now, not at the next task
            os._exit(stop.code if isinstance(stop.code, int) else 1)
        raise


def _up_to_date(job: Job) -> bool:
    if isinstance(job.source, str) or isinstance(job.target, str):
        return remote.newer(str(job.target), str(job.source))
    try:
        return job.target.stat().st_mtime >= job.source.stat().st_mtime
    except OSError:
        return False


_WORKER_SETTINGS: Settings | None = None


def init_worker(settings: Settings) -> None:
    """Worker process setup: settings once, Ctrl-C left to the parent, SIGTERM as an exit that
    runs ``finally`` blocks (so an interrupted write removes its temporary file)."""
    global _WORKER_SETTINGS
    _WORKER_SETTINGS = settings
    os.environ["CONVCLI_THREADS"] = "1"  # the processes already use every core
    install_calibration()  # the parent's (a spawned worker starts without one)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_term)


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@dataclass
class Summary:
    """Counts and time of a run."""

    written: int = 0
    skipped: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)
    stopped_early: bool = False

    def add(self, result: Result) -> None:
        if result.status == "written":
            self.written += 1
        elif result.status == "skipped":
            self.skipped += 1
        else:
            self.failed += 1

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def line(self) -> str:
        rate = (self.written + self.skipped + self.failed) / max(self.elapsed, 1e-9)
        return (
            f"{self.written:,} written, {self.skipped:,} skipped, {self.failed:,} failed "
            f"in {self.elapsed:.2f} s ({rate:.1f} files/s)"
        )


def run(
    jobs: Iterable[Job],
    settings: Settings,
    executor: Executor | None,
    *,
    on_result: Callable[[Result], None],
    fail_fast: bool = False,
    per_task: int = 1,
    window: int = 8,
    restart: Callable[[], Executor] | None = None,
    ship_settings: bool = False,
) -> Summary:
    """Run ``jobs``; ``executor`` None runs them here, in order.

    ``per_task`` jobs travel together (cluster task overheads want 64-1000); at most ``window``
    tasks are in flight. If the executor's workers die (``BrokenProcessPool``, e.g. the OOM
    killer), ``restart`` provides fresh executors and each job that was in flight is retried
    alone, so only the file that kills a worker fails. Executors made by ``restart`` are shut
    down here; ``executor`` itself stays the caller's. ``ship_settings`` sends the settings with
    every task, for executors whose workers were not set up by ``init_worker`` (a cluster).
    """
    summary = Summary()
    tasks = _chunks(iter(jobs), per_task)

    def report(results: Iterable[Result]) -> bool:
        """Count and hand on results; True when the run must stop (sticky)."""
        for result in results:
            summary.add(result)
            on_result(result)
            if fail_fast and result.status == "failed":
                summary.stopped_early = True
        return summary.stopped_early

    if executor is None:
        for task in tasks:
            if report(run_tasks(task, settings)):
                break
        return summary
    current, owned = executor, False
    in_flight: dict[Future[list[Result]], list[Job]] = {}
    suspects: list[Job] = []
    try:
        exhausted = False
        while True:
            while not exhausted and not suspects and len(in_flight) < window:
                task = next(tasks, [])
                if not task:
                    exhausted = True
                else:
                    extra = (settings,) if ship_settings else ()
                    try:
                        in_flight[current.submit(run_tasks, task, *extra)] = task
                    except BrokenProcessPool:  # it broke since the last result came in
                        suspects.extend(task)
            if suspects and not in_flight:
                if owned:
                    current.shutdown(wait=False, cancel_futures=True)
                current, owned = _retry_alone(suspects, settings, restart, report), True
                suspects = []
                if summary.stopped_early:
                    return summary
                continue
            if not in_flight:
                return summary
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                task = in_flight.pop(future)
                results = _outcome(future, task, suspects)
                if report(results):
                    # Stop: what has not started never will; what is running finishes and
                    # is counted, since its files are written.
                    running = [f for f in in_flight if not f.cancel()]
                    for other in running:
                        report(_outcome(other, in_flight[other], []))
                    return summary
    finally:
        if owned:
            current.shutdown(wait=True, cancel_futures=True)


def _outcome(future: Future[list[Result]], task: list[Job], suspects: list[Job]) -> list[Result]:
    """A task's results; its jobs join ``suspects`` when its worker died."""
    try:
        return future.result()
    except BrokenProcessPool:
        suspects.extend(task)
        return []
    except Exception as exc:  # an executor's own failure: the task's files fail
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return [Result(job, "failed", f"{job.source}: {reason}") for job in task]


def _retry_alone(
    jobs: list[Job],
    settings: Settings,
    restart: Callable[[], Executor] | None,
    report: Callable[[Iterable[Result]], bool],
) -> Executor:
    """After a worker died: run each job that was in flight alone, then hand back an executor."""
    for leftover in temporary_leftovers(jobs):  # the worker that wrote them is dead
        leftover.unlink(missing_ok=True)
    if restart is None:
        raise ConvcliError("a worker process died and no new one can be started")
    for job in jobs:
        executor = restart()
        try:
            (result,) = executor.submit(run_tasks, [job]).result()
        except BrokenProcessPool:
            result = Result(job, "failed", f"{job.source}: the worker filtering it died")
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
        for leftover in temporary_leftovers([job]):
            leftover.unlink(missing_ok=True)
        if report([result]):
            break
    return restart()


def _chunks(jobs: Iterator[Job], size: int) -> Iterator[list[Job]]:
    while True:
        chunk = [job for _, job in zip(range(size), jobs, strict=False)]
        if not chunk:
            return
        yield chunk


def temporary_leftovers(jobs: Iterable[Job]) -> list[Path]:
    """Temporary files an interrupted writer may have left next to these outputs."""
    found = []
    for folder, names in _by_folder(jobs).items():
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            if entry.endswith(".part") and any(entry.startswith(f".{n}.") for n in names):
                found.append(folder / entry)
    return found


def _by_folder(jobs: Iterable[Job]) -> dict[Path, set[str]]:
    folders: dict[Path, set[str]] = {}
    for job in jobs:
        if isinstance(job.target, Path):  # object stores write whole objects: no temporaries
            folders.setdefault(job.target.parent, set()).add(job.target.name)
    return folders

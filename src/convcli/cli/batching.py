"""Running ``convcli apply`` over many files: progress, per-file errors, summary, interrupts."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from convcli.cli.console import EXIT_FAILURE, EXIT_INTERRUPTED, RunState, err_console, error, warn

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from convcli.runs.batch import Job, Naming, Result, Settings, Summary


def is_batch(
    paths: list[str],
    output: str | None,
    suffix: str | None,
    name: str | None,
    files_from: str | None,
) -> bool:
    """Several inputs, a folder, a name rule, an output folder or a URL make a batch."""
    if len(paths) != 1 or files_from is not None or suffix is not None or name is not None:
        return True
    if "://" in paths[0] or (output is not None and "://" in output):
        return True
    if paths[0] != "-" and Path(paths[0]).is_dir():
        return True
    return output is not None and output != "-" and (output.endswith("/") or Path(output).is_dir())


def read_paths(source: str, nul: bool) -> list[str]:
    """The paths listed by ``--files-from`` (a file, or - for stdin)."""
    from convcli.errors import UsageError
    from convcli.runs.batch import read_file_list

    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read --files-from {source}: {exc.strerror or exc}") from None
    return read_file_list(raw.decode("utf-8", "surrogateescape"), nul=nul)


def run_batch(
    paths: list[str],
    output: str | None,
    naming: Naming,
    settings: Settings,
    *,
    jobs: int | None,
    fail_fast: bool,
    dry_run: bool,
    protected: list[str],
    cluster: ClusterOptions | None = None,
) -> int:
    """Plan and run the batch; returns the exit code (0, 1, or 130 when interrupted)."""
    from convcli.engine.strips import usable_cores
    from convcli.errors import UsageError
    from convcli.runs import batch

    if "-" in paths:
        raise UsageError("- (stdin) is one image; with several inputs, give files or folders")
    if output == "-":
        raise UsageError("several inputs need an output folder, not -o -")
    if output is None and not (naming.suffix or naming.template):
        raise UsageError("say where outputs go: -o FOLDER, or --suffix/--name to write beside")
    outdir: Path | str | None = output if output is None or "://" in output else Path(output)
    if isinstance(outdir, Path) and outdir.exists() and not outdir.is_dir():
        raise UsageError(f"{output} is a file; several inputs (or a folder) need an output folder")
    if (
        isinstance(outdir, Path)
        and not outdir.exists()
        and outdir.suffix.lower() in _image_suffixes()
    ):
        raise UsageError(
            f"-o {output} names a file, but {', '.join(paths[:2])}{'...' if len(paths) > 2 else ''}"
            " needs an output folder; give -o FOLDER/"
        )
    plan = batch.plan_jobs(paths, outdir, naming)
    targets = {batch.path_key(job.target) for job in plan.jobs}
    for kernel_file in protected:
        if batch.path_key(Path(kernel_file)) in targets:
            raise UsageError(f"an output would overwrite the kernel file {kernel_file}")
    for problem in plan.problems:
        error(problem)
    if dry_run:
        for job in plan.jobs:  # as bytes: file names need not be valid text
            sys.stdout.buffer.write(
                os.fsencode(job.source) + b" -> " + os.fsencode(job.target) + b"\n"
            )
        sys.stdout.buffer.flush()
        return EXIT_FAILURE if plan.problems else 0
    workers = min(jobs or usable_cores(), max(1, len(plan.jobs)))
    if workers > 1 and settings.output.encoding.threads is None:
        settings = _single_threaded(settings)
    with _progress(len(plan.jobs)) as advance, _terminate_as_interrupt():
        noted: list[str] = []

        def on_result(result: Result) -> None:
            advance()
            if result.status == "failed":
                error(result.message)
            elif result.notes:
                noted.append(f"{result.job.source}: {result.notes[0]}")

        try:
            if cluster is not None:
                summary = _run_on_cluster(plan.jobs, settings, cluster, on_result, fail_fast)
            else:
                summary = _run(plan.jobs, settings, workers, on_result, fail_fast)
        except KeyboardInterrupt:
            for leftover in batch.temporary_leftovers(plan.jobs):
                leftover.unlink(missing_ok=True)
            err_console.print("Interrupted: every output written so far is complete.")
            return EXIT_INTERRUPTED
    if noted:
        more = f" (and {len(noted) - 1:,} more files with warnings)" if len(noted) > 1 else ""
        warn(noted[0] + more)
    summary.failed += len(plan.problems)
    if not RunState.quiet:
        stopped = " (stopped at the first failure)" if summary.stopped_early else ""
        err_console.print(summary.line() + stopped, highlight=False, soft_wrap=True)
    return EXIT_FAILURE if summary.failed else 0


def _run(
    jobs: list[Job],
    settings: Settings,
    workers: int,
    on_result: Callable[[Result], None],
    fail_fast: bool,
) -> Summary:
    from convcli.runs import batch

    if workers == 1:
        return batch.run(jobs, settings, None, on_result=on_result, fail_fast=fail_fast)
    from concurrent.futures import ProcessPoolExecutor  # 10 ms that one-file runs never pay

    def start() -> Executor:
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_context(),
            initializer=batch.init_worker,
            initargs=(settings,),
        )

    pool = start()
    try:
        return batch.run(
            jobs,
            settings,
            pool,
            on_result=on_result,
            fail_fast=fail_fast,
            per_task=4,
            window=2 * workers,
            restart=start,
        )
    except BaseException:
        _kill(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class ClusterOptions:
    """Where the Dask scheduler is, and how to use it."""

    address: str | None
    scheduler_file: str | None
    retries: int = 1
    files_per_task: int | None = None


def _run_on_cluster(
    jobs: list[Job],
    settings: Settings,
    cluster: ClusterOptions,
    on_result: Callable[[Result], None],
    fail_fast: bool,
) -> Summary:
    """The same loop on a Dask cluster, through its Executor: files travel in groups."""
    from convcli.runs import batch
    from convcli.runs.cluster import CLUSTER_FILES_PER_TASK, connect, executor, version_problems

    client = connect(cluster.address, cluster.scheduler_file)
    try:
        for problem in version_problems(client):
            warn(problem)
        threads = max(1, sum(client.nthreads().values()))
        return batch.run(
            jobs,
            settings,
            executor(client, cluster.retries),
            on_result=on_result,
            fail_fast=fail_fast,
            per_task=cluster.files_per_task or CLUSTER_FILES_PER_TASK,
            window=2 * threads,
            ship_settings=True,
        )
    finally:
        client.close()


def _image_suffixes() -> frozenset[str]:
    from convcli.images.imageio import ARRAY_FORMATS
    from convcli.runs.batch import readable_extensions

    return readable_extensions() | frozenset(ARRAY_FORMATS)


def _context() -> Any:
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _kill(pool: Any) -> None:
    """Stop the workers now: each ends its current write cleanly on SIGTERM (see init_worker).

    The pool's manager thread is joined too: ``shutdown(wait=False)`` lets go of it, and one
    still closing its wake-up pipe while the interpreter exits races Python's own exit hook
    (an "Exception ignored ... Bad file descriptor" traceback after Ctrl-C, seen in CI).
    """
    processes = list(getattr(pool, "_processes", {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)
    if manager is not None:
        manager.join(timeout=10)


def _single_threaded(settings: Settings) -> Settings:
    """One thread per worker process: the processes already fill the cores."""
    from dataclasses import replace

    encoding = replace(settings.output.encoding, threads=1)
    return replace(settings, output=replace(settings.output, encoding=encoding))


@contextmanager
def _progress(total: int) -> Iterator[Any]:
    """A progress bar on stderr when it is a terminal (and not --quiet); else nothing at all.
    (Rich's progress module loads here: a single file's ``apply`` never pays for it.)"""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        """Files per second."""

        def render(self, task: Task) -> Text:
            return Text(f"{task.speed:.1f} files/s" if task.speed else "", style="dim")

    disabled = RunState.quiet or not err_console.is_terminal
    progress = Progress(
        TextColumn("filtering"),
        BarColumn(),
        MofNCompleteColumn(),
        Rate(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
        disable=disabled,
    )
    with progress:
        task = progress.add_task("files", total=total)
        yield lambda: progress.advance(task)


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a batch the way Ctrl-C does (outputs stay complete, exit 130)."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (an embedding program): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)

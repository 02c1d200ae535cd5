"""convcli.runs.batch, the library side of many files: planning (folders walked and mirrored, names
mapped, inputs Pillow cannot read left out, the output folder never walked into, collisions and
overwritten inputs refused before any work), and the run loop on any Executor: in order without
one, a bounded window of tasks with one, per-file failures as data, and only the file that kills
a worker failing when a process pool breaks (with a fake executor and with real processes).
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import signal
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from pictures import decode, golden, ramp, save

from convcli.errors import ConvcliError, UsageError
from convcli.filtering.pipeline import FilterOptions
from convcli.kernels import resolve_chain
from convcli.runs import batch
from convcli.runs.batch import (
    Job,
    Naming,
    Result,
    Settings,
    Summary,
    plan_jobs,
    read_file_list,
    run,
    run_job,
    run_tasks,
    temporary_leftovers,
)
from convcli.runs.jobs import OutputOptions

KERNEL = "box-3"  #: a blur: noise never clips, so no job has notes


@pytest.fixture
def settings() -> Settings:
    return Settings(resolve_chain(KERNEL), FilterOptions(), OutputOptions())


def image(path: Path, seed: int = 0) -> Path:
    """A tiny gray PNG of noise at ``path`` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return save(path, ramp(6, 5, seed=seed))


def layout(plan: batch.Plan, root: Path) -> dict[str, str]:
    """The plan as {input: output}, both relative to ``root``."""
    return {
        job.source.relative_to(root).as_posix(): job.target.relative_to(root).as_posix()
        for job in plan.jobs
    }


def images(folder: Path, count: int) -> list[Job]:
    """``count`` images in ``folder``/in, each with its job into ``folder``/out."""
    sources = [image(folder / "in" / f"f{i:02d}.png", seed=i) for i in range(count)]
    return [Job(source, folder / "out" / source.name) for source in sources]


def assert_filtered(job: Job) -> None:
    """The job's output exists and is the input filtered by KERNEL."""
    assert job.target.is_file(), f"{job.target} was not written"
    assert (decode(job.target) == golden(decode(job.source), KERNEL)).all()


# -- planning: where each input goes ----------------------------------------------------------


def test_a_folder_is_mirrored_under_the_output_folder(tmp_path):
    """photos/a/b.png becomes OUT/a/b.png, at every depth."""
    for name in ["photos/a/b.png", "photos/c.png", "photos/d/e/f.png"]:
        image(tmp_path / name)
    plan = plan_jobs([str(tmp_path / "photos")], tmp_path / "out", Naming())
    assert layout(plan, tmp_path) == {
        "photos/a/b.png": "out/a/b.png",
        "photos/c.png": "out/c.png",
        "photos/d/e/f.png": "out/d/e/f.png",
    }
    assert plan.problems == []


def test_file_arguments_land_directly_in_the_output_folder(tmp_path):
    """Files given one by one become OUT/<name>, whatever folder they come from."""
    a, b = image(tmp_path / "x/deep/a.png"), image(tmp_path / "y/b.png")
    plan = plan_jobs([str(a), str(b)], tmp_path / "out", Naming())
    assert layout(plan, tmp_path) == {"x/deep/a.png": "out/a.png", "y/b.png": "out/b.png"}


def test_without_an_output_folder_outputs_sit_beside_their_inputs(tmp_path):
    """With no output folder, each output is written next to its input."""
    image(tmp_path / "photos/a/b.png")
    plan = plan_jobs([str(tmp_path / "photos")], None, Naming(suffix="_blur"))
    assert layout(plan, tmp_path) == {"photos/a/b.png": "photos/a/b_blur.png"}


def test_files_pillow_cannot_read_are_left_out_not_errors(tmp_path):
    """Notes, arrays, extension-less files and temporaries are skipped; upper-case .PNG is not."""
    image(tmp_path / "photos/keep.png")
    image(tmp_path / "photos/SHOUT.PNG")
    for name in ["notes.txt", "data.npy", "README", "archive.zip", ".keep.png.x1y2.part"]:
        (tmp_path / "photos" / name).write_bytes(b"not an image")
    plan = plan_jobs([str(tmp_path / "photos")], tmp_path / "out", Naming())
    assert sorted(layout(plan, tmp_path)) == ["photos/SHOUT.PNG", "photos/keep.png"]
    assert plan.problems == []


@pytest.mark.parametrize(
    "spelling",
    ["photos/out", "photos/./out", "photos/a/../out", "{root}/photos/out", "link/out"],
)
def test_the_output_folder_is_never_walked_into(tmp_path, monkeypatch, spelling):
    """An output folder inside an input folder, however spelled, is not an input."""
    monkeypatch.chdir(tmp_path)
    image(tmp_path / "photos/a/b.png")
    image(tmp_path / "photos/out/a/b.png")  # a previous run's output
    (tmp_path / "link").symlink_to(tmp_path / "photos")
    outdir = Path(spelling.format(root=tmp_path))
    plan = plan_jobs(["photos"], outdir, Naming())
    assert [job.source.as_posix() for job in plan.jobs] == ["photos/a/b.png"]


def test_the_planned_order_is_stable_whatever_the_creation_order(tmp_path):
    """Two trees with the same names, created in opposite orders, are planned the same way."""
    names = ["z.png", "a.png", "m/b.png", "m/a.png", "b/c/d.png", "b/x.png"]
    for root, order in (("one", names), ("two", names[::-1])):
        for name in order:
            image(tmp_path / root / name)
    one = plan_jobs([str(tmp_path / "one")], tmp_path / "o", Naming())
    two = plan_jobs([str(tmp_path / "two")], tmp_path / "o", Naming())
    relative = [
        [job.source.relative_to(tmp_path / r) for job in p.jobs]
        for r, p in (("one", one), ("two", two))
    ]
    assert relative[0] == relative[1]
    assert sorted(relative[0]) == sorted(Path(name) for name in names)


def test_a_missing_input_is_a_problem_and_the_rest_is_planned(tmp_path):
    """An input that does not exist is reported in the plan's problems, not raised."""
    a = image(tmp_path / "a.png")
    plan = plan_jobs([str(tmp_path / "gone.png"), str(a)], tmp_path / "out", Naming())
    assert [job.source for job in plan.jobs] == [a]
    assert len(plan.problems) == 1 and "gone.png" in plan.problems[0]


def test_a_folder_that_cannot_be_listed_is_a_problem_and_the_walk_goes_on(tmp_path, monkeypatch):
    """A subfolder whose listing fails (permissions) is reported; its siblings are planned."""
    image(tmp_path / "photos/a.png")
    image(tmp_path / "photos/locked/b.png")
    image(tmp_path / "photos/open/c.png")
    real_scandir = os.scandir
    locked = tmp_path / "photos/locked"

    def scandir(path):
        if Path(path) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    plan = plan_jobs([str(tmp_path / "photos")], tmp_path / "out", Naming())
    assert sorted(layout(plan, tmp_path)) == ["photos/a.png", "photos/open/c.png"]
    assert len(plan.problems) == 1
    assert "locked" in plan.problems[0] and "Permission denied" in plan.problems[0]


def test_an_entry_that_cannot_be_examined_is_a_problem_and_the_walk_goes_on(tmp_path):
    """A symlink loop named like an image (stat fails with ELOOP) is reported, not fatal."""
    image(tmp_path / "photos/a.png")
    (tmp_path / "photos/loop.png").symlink_to("loop.png")
    plan = plan_jobs([str(tmp_path / "photos")], tmp_path / "out", Naming())
    assert sorted(layout(plan, tmp_path)) == ["photos/a.png"]
    assert len(plan.problems) == 1 and "loop.png" in plan.problems[0]


# -- planning: collisions and overwritten inputs, found before any work -----------------------


def test_two_inputs_that_would_write_the_same_output_are_refused(tmp_path):
    """a.png from two folders, given as files, would both become OUT/a.png: a usage error."""
    x, y = image(tmp_path / "x/a.png"), image(tmp_path / "y/a.png")
    with pytest.raises(UsageError) as caught:
        plan_jobs([str(x), str(y)], tmp_path / "out", Naming())
    assert str(x) in str(caught.value) and str(y) in str(caught.value)
    assert str(tmp_path / "out/a.png") in str(caught.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("second", ["a.png", "./a.png", "{root}/a.png", "sub/../a.png"])
def test_the_same_file_given_twice_is_planned_once(tmp_path, monkeypatch, second):
    """One file under two spellings is one job, not a collision."""
    monkeypatch.chdir(tmp_path)
    image(tmp_path / "a.png")
    (tmp_path / "sub").mkdir()
    plan = plan_jobs(["a.png", second.format(root=tmp_path)], tmp_path / "out", Naming())
    assert len(plan.jobs) == 1


@pytest.mark.parametrize(
    ("inputs", "outdir", "naming"),
    [
        (["in/a.png", "in/b.png"], "in", Naming()),
        (["in"], None, Naming(template="{name}")),
        (["in"], None, Naming(template="{stem}.{ext}")),
        (["in/a.png", "in/a_s.png"], None, Naming(suffix="_s")),
    ],
    ids=["files-into-their-own-folder", "name-template", "stem-ext-template", "another-input"],
)
def test_an_output_that_would_overwrite_an_input_is_refused(
    tmp_path, monkeypatch, inputs, outdir, naming
):
    """No plan may write over any of its inputs."""
    monkeypatch.chdir(tmp_path)
    for name in ["in/a.png", "in/b.png", "in/a_s.png"]:
        image(tmp_path / name)
    with pytest.raises(UsageError, match="would be written over the input"):
        plan_jobs(inputs, Path(outdir) if outdir else None, naming)


# -- naming -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("naming", "source", "expected"),
    [
        (Naming(), "photo.png", "photo.png"),
        (Naming(suffix="_sharp"), "photo.png", "photo_sharp.png"),
        (Naming(extension="npy"), "photo.png", "photo.npy"),
        (Naming(suffix="_s", extension="tif"), "photo.jpg", "photo_s.tif"),
        (Naming(template="{stem}-edges.{ext}"), "photo.png", "photo-edges.png"),
        (Naming(template="{stem}-edges.{ext}", extension="npy"), "photo.png", "photo-edges.npy"),
        (Naming(template="{name}.bak"), "photo.png", "photo.png.bak"),
        (Naming(suffix="_s"), "a.b.png", "a.b_s.png"),
        (Naming(suffix="_s"), "README", "README_s"),
        (Naming(template="{stem}_{stem}.{ext}"), "é ü.png", "é ü_é ü.png"),
    ],
)
def test_names_come_from_the_suffix_the_template_and_the_format(naming, source, expected):
    """--suffix, --name and --format combine into each output's file name."""
    assert naming.name_for(Path("some/folder") / source) == expected


@pytest.mark.parametrize(
    "template",
    ["{stem", "{foo}", "{0}", "{stem}/x.{ext}", "..", ".", "{ext:d}", "{stem[99]}", "{stem.x}"],
)
def test_a_bad_template_is_a_usage_error(template):
    """Unknown fields, bad syntax and names that are not plain file names are usage errors."""
    with pytest.raises(UsageError, match="`name`"):
        Naming(template=template).name_for(Path("photo.png"))


@pytest.mark.parametrize(
    ("text", "nul", "expected"),
    [
        ("a.png\nb c.png\n", False, ["a.png", "b c.png"]),
        ("a.png\r\nb.png", False, ["a.png", "b.png"]),
        ("a.png\n\n\nb.png\n", False, ["a.png", "b.png"]),
        ("a.png\0new\nline.png\0", True, ["a.png", "new\nline.png"]),
        ("\0a.png\0\0 b.png \0", True, ["a.png", " b.png "]),
        ("", True, []),
    ],
)
def test_file_lists_are_split_on_newlines_or_nuls(text, nul, expected):
    """--files-from: one path a line, or NUL-separated; empty entries are dropped, spaces kept."""
    assert read_file_list(text, nul=nul) == expected


# -- one job ----------------------------------------------------------------------------------


def test_a_job_writes_the_filtered_image_and_creates_its_folder(tmp_path, settings):
    """run_job decodes, filters, encodes and writes, creating the output's folder."""
    job = Job(image(tmp_path / "a.png"), tmp_path / "new/deeper/a.png")
    assert run_job(job, settings) == Result(job, "written")
    assert_filtered(job)


@pytest.mark.parametrize("problem", ["corrupt", "missing", "blocked-folder"])
def test_a_failing_job_comes_back_as_a_failed_result_naming_the_file(tmp_path, settings, problem):
    """Unreadable inputs and unwritable outputs are results with a message, never exceptions."""
    source = tmp_path / "a.png"
    target = tmp_path / "out/a.png"
    if problem == "corrupt":
        source.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    elif problem == "blocked-folder":
        image(source)
        (tmp_path / "out").write_bytes(b"a file where the folder should be")
    result = run_job(Job(source, target), settings)
    assert result.status == "failed"
    named = str(source) if problem != "blocked-folder" else str(tmp_path / "out")
    assert named in result.message
    assert not target.exists()
    assert not list(tmp_path.rglob("*.part"))


def test_skip_existing_skips_up_to_date_outputs_and_redoes_older_ones(tmp_path, settings):
    """An output at least as new as its input is skipped; one older than its input is redone."""
    settings = Settings(settings.chain, settings.filters, settings.output, skip_existing=True)
    job = Job(image(tmp_path / "a.png"), tmp_path / "out/a.png")
    assert run_job(job, settings).status == "written"
    assert run_job(job, settings).status == "skipped"
    old = job.source.stat().st_mtime - 100
    os.utime(job.target, (old, old))
    assert run_job(job, settings).status == "written"
    assert job.target.stat().st_mtime > old


def test_temporary_leftovers_are_the_hidden_part_files_of_planned_outputs(tmp_path):
    """Only .NAME.*.part files next to a planned output count as a run's leftovers."""
    out = tmp_path / "out"
    out.mkdir()
    jobs = [Job(tmp_path / "a.png", out / "a.png"), Job(tmp_path / "b.png", out / "sub/b.png")]
    for name in [".a.png.k3j.part", "sub/.b.png.x9z.part", ".other.png.abc.part", "a.png"]:
        (out / name).parent.mkdir(exist_ok=True)
        (out / name).write_bytes(b"")
    assert sorted(temporary_leftovers(jobs)) == [
        out / ".a.png.k3j.part",
        out / "sub/.b.png.x9z.part",
    ]


# -- the run loop -----------------------------------------------------------------------------


class InlineExecutor(Executor):
    """Runs each task as it is submitted, here. A task holding a file named in ``kills`` breaks
    the way a process pool breaks when the OOM killer takes a worker; one holding a file in
    ``loses`` fails with the executor's own error."""

    def __init__(self, settings: Settings, kills=(), loses=()) -> None:
        self.settings, self.kills, self.loses = settings, set(kills), set(loses)
        self.tasks: list[list[str]] = []
        self.shut_down = False

    def submit(self, fn, /, *args, **kwargs):
        (task,) = args
        names = [job.source.name for job in task]
        self.tasks.append(names)
        future: Future = Future()
        if self.kills & set(names):
            future.set_exception(BrokenProcessPool("A child process terminated abruptly"))
        elif self.loses & set(names):
            future.set_exception(RuntimeError("the result was lost"))
        else:
            future.set_result(fn(task, self.settings))
        return future

    def shutdown(self, wait=True, *, cancel_futures=False):
        self.shut_down = True


def collect(jobs, settings, executor, **options) -> tuple[Summary, list[Result]]:
    results: list[Result] = []
    summary = run(jobs, settings, executor, on_result=results.append, **options)
    return summary, results


def statuses(results: list[Result]) -> dict[str, str]:
    return {result.job.source.name: result.status for result in results}


def test_without_an_executor_jobs_run_here_in_order(tmp_path, settings):
    """executor None: every job runs in this process, results reported in input order."""
    jobs = images(tmp_path, 5)
    summary, results = collect(jobs, settings, None)
    assert [result.job for result in results] == jobs
    assert (summary.written, summary.skipped, summary.failed) == (5, 0, 0)
    for job in jobs:
        assert_filtered(job)


@pytest.mark.parametrize("per_task", [1, 3, 7])
def test_jobs_travel_in_tasks_of_per_task_files(tmp_path, settings, per_task):
    """Each submitted task holds per_task jobs (the last one the rest), every job exactly once."""
    jobs = images(tmp_path, 7)
    executor = InlineExecutor(settings)
    summary, _ = collect(jobs, settings, executor, per_task=per_task)
    sizes = [len(task) for task in executor.tasks]
    assert sizes == [per_task] * (7 // per_task) + ([7 % per_task] if 7 % per_task else [])
    assert sorted(name for task in executor.tasks for name in task) == [j.source.name for j in jobs]
    assert summary.written == 7
    assert not executor.shut_down, "the caller's executor stays the caller's"


@pytest.mark.parametrize(("window", "per_task"), [(1, 1), (2, 3), (4, 2)])
def test_jobs_are_taken_lazily_a_window_at_a_time(tmp_path, settings, window, per_task):
    """No more than window × per_task jobs are taken from the input before the first result."""
    jobs = images(tmp_path, 20)
    taken: list[Job] = []
    at_first_result: list[int] = []

    def feed():
        for job in jobs:
            taken.append(job)
            yield job

    def on_result(result):
        if not at_first_result:
            at_first_result.append(len(taken))

    summary = run(
        feed(),
        settings,
        InlineExecutor(settings),
        on_result=on_result,
        window=window,
        per_task=per_task,
    )
    assert at_first_result[0] <= window * per_task
    assert summary.written == 20


def test_failures_are_counted_and_the_batch_goes_on(tmp_path, settings):
    """A corrupt file in the middle fails alone; every other file is written."""
    jobs = images(tmp_path, 5)
    jobs[2].source.write_bytes(b"garbage")
    summary, results = collect(jobs, settings, InlineExecutor(settings), per_task=2)
    assert (summary.written, summary.failed, summary.stopped_early) == (4, 1, False)
    assert [name for name, status in statuses(results).items() if status == "failed"] == ["f02.png"]
    for job in jobs[:2] + jobs[3:]:
        assert_filtered(job)


@pytest.mark.parametrize("executor", ["none", "inline"])
def test_fail_fast_stops_at_the_first_failure(tmp_path, settings, executor):
    """With fail_fast the run stops after the first failed result and says so."""
    jobs = images(tmp_path, 12)
    jobs[1].source.write_bytes(b"garbage")
    chosen = None if executor == "none" else InlineExecutor(settings)
    summary, results = collect(jobs, settings, chosen, fail_fast=True, window=1)
    assert summary.stopped_early and summary.failed == 1
    assert results[-1].status == "failed"
    assert len(results) < len(jobs)
    assert len(list((tmp_path / "out").iterdir())) < len(jobs) - 1


def test_an_executor_failure_fails_that_tasks_files_only(tmp_path, settings):
    """An exception from the executor itself fails the files of that task, with its reason."""
    jobs = images(tmp_path, 6)
    executor = InlineExecutor(settings, loses={"f02.png"})
    summary, results = collect(jobs, settings, executor, per_task=2)
    failed = {r.job.source.name: r.message for r in results if r.status == "failed"}
    assert sorted(failed) == ["f02.png", "f03.png"]
    assert all("RuntimeError: the result was lost" in message for message in failed.values())
    assert (summary.written, summary.failed) == (4, 2)


def test_a_broken_pool_fails_only_the_file_that_killed_its_worker(tmp_path, settings):
    """After BrokenProcessPool, each job of the broken task is retried alone in a fresh
    executor: the killer fails, its task-mates and every other file are written."""
    jobs = images(tmp_path, 7)
    made: list[InlineExecutor] = []

    def restart():
        made.append(InlineExecutor(settings, kills={"f03.png"}))
        return made[-1]

    original = InlineExecutor(settings, kills={"f03.png"})
    summary, results = collect(jobs, settings, original, per_task=2, window=2, restart=restart)
    failed = [r for r in results if r.status == "failed"]
    assert [r.job.source.name for r in failed] == ["f03.png"]
    assert "f03.png" in failed[0].message and "died" in failed[0].message
    assert (summary.written, summary.failed) == (6, 1)
    assert sorted(statuses(results)) == [job.source.name for job in jobs]
    for job in jobs[:3] + jobs[4:]:
        assert_filtered(job)
    assert made and all(executor.shut_down for executor in made), "restarted executors leak"
    assert not original.shut_down


def test_a_broken_pool_with_no_way_to_restart_is_an_error(tmp_path, settings):
    """Without a restart factory a dead worker cannot be replaced: a ConvcliError says so."""
    jobs = images(tmp_path, 3)
    with pytest.raises(ConvcliError, match="worker process died"):
        collect(jobs, settings, InlineExecutor(settings, kills={"f01.png"}))


def test_the_summary_line_gives_counts_time_and_rate(monkeypatch):
    """'N written, N skipped, N failed in S s (R files/s)', thousands separated by commas."""
    monkeypatch.setattr(Summary, "elapsed", property(lambda self: 2.0))
    summary = Summary(written=1234, skipped=1, failed=2)
    assert summary.line() == "1,234 written, 1 skipped, 2 failed in 2.00 s (618.5 files/s)"


# -- worker processes -------------------------------------------------------------------------


def test_a_worker_is_set_up_with_settings_one_thread_and_its_own_signals(settings, monkeypatch):
    """init_worker: settings kept for run_tasks, CONVCLI_THREADS=1, Ctrl-C ignored (the parent
    handles it), SIGTERM raised as SystemExit so that finally blocks remove temporaries."""
    monkeypatch.setattr(batch, "_WORKER_SETTINGS", None)
    monkeypatch.setenv("CONVCLI_THREADS", "unset")
    previous = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        batch.init_worker(settings)
        assert batch._WORKER_SETTINGS is settings
        assert os.environ["CONVCLI_THREADS"] == "1"
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        with pytest.raises(SystemExit) as caught:
            signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)
        assert caught.value.code == 128 + signal.SIGTERM
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])


def pool_factory(settings: Settings, made: list[ProcessPoolExecutor] | None = None):
    """Process pools as the CLI makes them: forked workers set up by init_worker."""
    context = multiprocessing.get_context("fork")

    def start() -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(
            2, mp_context=context, initializer=batch.init_worker, initargs=(settings,)
        )
        if made is not None:
            made.append(pool)
        return pool

    return start


@pytest.mark.slow
def test_a_real_process_pool_writes_the_same_bytes_as_running_here(tmp_path, settings):
    """Worker processes write byte-for-byte the files this process writes."""
    jobs = images(tmp_path, 6)
    here = [Job(job.source, tmp_path / "here" / job.source.name) for job in jobs]
    collect(here, settings, None)
    with pool_factory(settings)() as pool:
        summary, _ = collect(jobs, settings, pool, per_task=2, window=2)
    assert summary.written == 6
    for job, reference in zip(jobs, here, strict=True):
        assert job.target.read_bytes() == reference.target.read_bytes()


def dies_on(name: str, delay: float = 0.0):
    """A run_job that kills its own process (as the OOM killer would) for the file ``name``."""
    real = batch.run_job

    def run_job(job: Job, settings: Settings) -> Result:
        if job.source.name == name:
            time.sleep(delay)
            os._exit(9)
        return real(job, settings)

    return run_job


@pytest.mark.slow
def test_a_real_worker_that_dies_fails_only_its_file(tmp_path, settings, monkeypatch):
    """A worker process that dies takes only its file down; the batch finishes the rest."""
    monkeypatch.setattr(batch, "run_job", dies_on("f02.png"))  # inherited by forked workers
    jobs = images(tmp_path, 6)
    made: list[ProcessPoolExecutor] = []
    start = pool_factory(settings, made)
    with start() as pool:
        summary, results = collect(jobs, settings, pool, per_task=2, window=4, restart=start)
    failed = [r for r in results if r.status == "failed"]
    assert [r.job.source.name for r in failed] == ["f02.png"]
    assert "died" in failed[0].message
    assert (summary.written, summary.failed) == (5, 1)
    for job in jobs[:2] + jobs[3:]:
        assert_filtered(job)
    for pool in made:
        pool.shutdown()


@pytest.mark.slow
def test_a_pool_that_breaks_while_a_result_is_handled_still_fails_only_one_file(
    tmp_path, settings, monkeypatch
):
    """A worker may die while on_result runs; the next submit then raises BrokenProcessPool,
    which must be handled like a broken future, not escape the run."""
    monkeypatch.setattr(batch, "run_job", dies_on("f01.png", delay=0.2))
    jobs = images(tmp_path, 4)
    results: list[Result] = []

    def slow_on_result(result: Result) -> None:  # a slow terminal, a busy machine
        results.append(result)
        if len(results) == 1:
            time.sleep(0.6)  # f01.png's worker dies meanwhile

    made: list[ProcessPoolExecutor] = []
    start = pool_factory(settings, made)
    try:
        with start() as pool:
            summary = run(jobs, settings, pool, on_result=slow_on_result, window=2, restart=start)
    finally:
        for pool in made:
            pool.shutdown()
    assert [r.job.source.name for r in results if r.status == "failed"] == ["f01.png"]
    assert (summary.written, summary.failed) == (3, 1)


def test_run_tasks_uses_the_workers_settings_when_given_none(tmp_path, settings, monkeypatch):
    """A task submitted to a worker carries only jobs; the settings come from init_worker."""
    monkeypatch.setattr(batch, "_WORKER_SETTINGS", settings)
    (job,) = images(tmp_path, 1)
    assert run_tasks([job]) == [Result(job, "written")]
    assert_filtered(job)

"""Batches and tiles on a real Dask cluster give the same bytes as on one machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="the Dask extra is not installed")

from PIL import Image  # noqa: E402

from convcli.filtering.pipeline import FilterOptions  # noqa: E402
from convcli.kernels import resolve_chain  # noqa: E402
from convcli.runs import batch  # noqa: E402
from convcli.runs.cluster import connect, version_problems  # noqa: E402
from convcli.runs.jobs import OutputOptions  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::DeprecationWarning")


def pictures(folder: Path, count: int = 6) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(5)
    for index in range(count):
        pixels = rng.integers(0, 256, size=(24, 31, 3)).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"p{index}.png")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    return folder


@pytest.fixture(scope="module", params=["threads", "processes"])
def client(request):
    """An in-process and a 2-process LocalCluster, listening on loopback only."""
    processes = request.param == "processes"
    options = {"dashboard_address": "127.0.0.1:0"}
    if processes:
        options.update(n_workers=2, threads_per_worker=1, host="127.0.0.1")
    else:
        options.update(processes=False, worker_dashboard_address="127.0.0.1:0")
    cluster = distributed.LocalCluster(**options)
    with distributed.Client(cluster) as connected:
        yield connected
    cluster.close()


def settings() -> batch.Settings:
    return batch.Settings(resolve_chain("gaussian-3 | sharpen"), FilterOptions(), OutputOptions())


def test_the_cluster_batch_writes_the_bytes_a_local_batch_writes(client, tmp_path):
    """Same outputs byte for byte; per-file errors come back as data."""
    source = pictures(tmp_path / "in")
    local = batch.plan_jobs([str(source)], tmp_path / "local", batch.Naming())
    remote = batch.plan_jobs([str(source)], tmp_path / "remote", batch.Naming())
    batch.run(local.jobs, settings(), None, on_result=lambda r: None)
    seen = []
    summary = batch.run(
        remote.jobs,
        settings(),
        client.get_executor(retries=1),
        on_result=seen.append,
        per_task=3,
        window=2,
        ship_settings=True,
    )
    assert (summary.written, summary.failed) == (6, 1)
    assert [r.job.source.name for r in seen if r.status == "failed"] == ["broken.png"]
    for path in (tmp_path / "local").iterdir():
        assert path.read_bytes() == (tmp_path / "remote" / path.name).read_bytes()


def test_workers_run_this_convcli(client):
    """At connect, the versions agree: nothing to warn about."""
    assert version_problems(client) == []


def test_tiles_on_the_cluster_equal_tiles_on_threads(client, tmp_path):
    """The tiled graph gives the same pixels on the cluster as on local threads."""
    pytest.importorskip("tifffile")
    from convcli.runs.tiled import filter_tiled

    image = np.random.default_rng(2).integers(0, 256, size=(50, 41, 3)).astype(np.uint8)
    np.save(tmp_path / "in.npy", image)
    chain = resolve_chain("gaussian-5")
    filter_tiled(
        str(tmp_path / "in.npy"), str(tmp_path / "a.npy"), chain, FilterOptions(), chunk=16
    )
    filter_tiled(
        str(tmp_path / "in.npy"),
        str(tmp_path / "b.npy"),
        chain,
        FilterOptions(),
        chunk=16,
        client=client,
    )
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))


def test_an_unreachable_scheduler_is_a_usage_error_within_the_timeout(monkeypatch):
    """A scheduler nobody listens for: exit-2 error after the timeout, not a hang."""
    from convcli.errors import UsageError

    monkeypatch.setenv("CONVCLI_SCHEDULER_TIMEOUT", "1")
    started = time.monotonic()
    with pytest.raises(UsageError, match="cannot reach the Dask scheduler"):
        connect("tcp://127.0.0.1:9", None)
    assert time.monotonic() - started < 10


def test_without_the_extra_a_cluster_batch_says_how_to_get_it(cli, tmp_path, monkeypatch):
    """No Dask installed: exit 2 and the exact hint."""
    source = pictures(tmp_path / "in", 1)
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.array", None)
    result = cli(
        "apply", "box-3", source, "-o", tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9"
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: this needs the Dask extra: pip install 'convcli[dask]'"


# --- end to end: real `dask scheduler` and `dask worker` processes ----------------------------


def _scheduler_address(scheduler_file: Path, deadline: float) -> str:
    """The address, as soon as the scheduler has written all of its file (it writes it once)."""
    while True:
        try:
            return str(json.loads(scheduler_file.read_text())["address"])
        except (OSError, ValueError, KeyError):
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.05)  # polling a file: nothing to wait on


@pytest.fixture(scope="module")
def real_cluster(tmp_path_factory):
    """A scheduler and a worker started as commands, as on a real deployment; both stopped."""
    folder = tmp_path_factory.mktemp("cluster")
    scheduler_file = folder / "scheduler.json"
    dask = str(Path(sys.executable).with_name("dask"))
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [
            dask,
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--dashboard-address",
            "127.0.0.1:0",
            "--scheduler-file",
            str(scheduler_file),
        ],
        **quiet,
    )
    worker = None
    try:
        address = _scheduler_address(scheduler_file, time.monotonic() + 30)
        worker = subprocess.Popen(
            [
                dask,
                "worker",
                "--scheduler-file",
                str(scheduler_file),
                "--nworkers",
                "1",
                "--nthreads",
                "2",
                "--host",
                "127.0.0.1",
                "--dashboard-address",
                "127.0.0.1:0",
            ],
            **quiet,
        )
        with distributed.Client(address, timeout=30) as probe:
            probe.wait_for_workers(1, timeout=30)
        yield address, scheduler_file
    finally:
        for process in (worker, scheduler):  # workers first: a quick, clean teardown
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["--scheduler", "DASK_SCHEDULER_ADDRESS", "--scheduler-file"])
def test_the_cli_runs_a_batch_on_a_real_cluster(real_cluster, tmp_path, run_convcli, how):
    """Every way of naming the cluster works; a broken file fails alone with exit 1."""
    address, scheduler_file = real_cluster
    source = pictures(tmp_path / "in")
    args = ["apply", "gaussian-3", str(source), "-o", str(tmp_path / "out")]
    env = dict(os.environ)
    if how == "--scheduler":
        args += ["--scheduler", address]
    elif how == "--scheduler-file":
        args += ["--scheduler-file", str(scheduler_file)]
    else:
        env["DASK_SCHEDULER_ADDRESS"] = address
    done = subprocess.run(
        [str(Path(sys.executable).with_name("convcli")), *args],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    stderr = done.stderr.decode()
    assert "broken.png" in stderr and "6 written, 0 skipped, 1 failed" in stderr
    local = subprocess.run(
        [
            str(Path(sys.executable).with_name("convcli")),
            "-q",
            "apply",
            "gaussian-3",
            str(source),
            "-o",
            str(tmp_path / "local"),
        ],
        capture_output=True,
        env={**os.environ, "DASK_SCHEDULER_ADDRESS": ""},
    )
    assert local.returncode == 1
    for path in (tmp_path / "local").iterdir():
        assert path.read_bytes() == (tmp_path / "out" / path.name).read_bytes()


def test_help_never_imports_dask():
    """`convcli --help` stays fast: Dask is imported only by commands that use it."""
    script = (
        "import sys; sys.argv = ['convcli', 'apply', '--help']\n"
        "from convcli.cli import app\n"
        "try:\n    app(prog_name='convcli')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"

"""Batch inputs and outputs given as fsspec URLs: workers read and write the objects themselves."""

from __future__ import annotations

import io

import numpy as np
import pytest

fsspec = pytest.importorskip("fsspec", reason="fsspec comes with the Dask extra")

from PIL import Image  # noqa: E402

from convcli.filtering.pipeline import FilterOptions  # noqa: E402
from convcli.kernels import resolve_chain  # noqa: E402
from convcli.runs import batch  # noqa: E402
from convcli.runs.jobs import OutputOptions  # noqa: E402


def png(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(12, 15, 3)).astype(np.uint8)
    stream = io.BytesIO()
    Image.fromarray(pixels).save(stream, format="PNG")
    return stream.getvalue()


@pytest.fixture
def memory_folder():
    """Three pictures and a broken one in an in-memory file system, removed afterwards."""
    fs = fsspec.filesystem("memory")
    fs.mkdir("/pictures/sub")
    for index, path in enumerate(["/pictures/a.png", "/pictures/b.png", "/pictures/sub/c.png"]):
        fs.pipe(path, png(index))
    fs.pipe("/pictures/notes.txt", b"not an image")
    fs.pipe("/pictures/broken.png", b"\x89PNG\r\n\x1a\nbroken")
    yield "memory://pictures"
    fs.rm("/pictures", recursive=True)
    if fs.exists("/out"):
        fs.rm("/out", recursive=True)


def settings() -> batch.Settings:
    return batch.Settings(resolve_chain("sharpen"), FilterOptions(), OutputOptions())


def test_a_url_folder_is_walked_and_mirrored_under_a_url_folder(memory_folder):
    """memory://pictures/sub/c.png becomes memory://out/sub/c.png; non-images are skipped."""
    plan = batch.plan_jobs([memory_folder], "memory://out", batch.Naming())
    targets = sorted(str(job.target) for job in plan.jobs)
    assert targets == [
        "memory://out/a.png",
        "memory://out/b.png",
        "memory://out/broken.png",
        "memory://out/sub/c.png",
    ]


def test_url_jobs_give_the_bytes_local_jobs_give(memory_folder, tmp_path):
    """Reading and writing through fsspec changes nothing in the pixels or the bytes."""
    fs = fsspec.filesystem("memory")
    plan = batch.plan_jobs([memory_folder], "memory://out", batch.Naming())
    results = []
    summary = batch.run(plan.jobs, settings(), None, on_result=results.append)
    assert (summary.written, summary.failed) == (3, 1)
    local_in = tmp_path / "in"
    local_in.mkdir()
    for name in ("a.png", "b.png"):
        (local_in / name).write_bytes(fs.cat(f"/pictures/{name}"))
    local = batch.plan_jobs([str(local_in)], tmp_path / "out", batch.Naming())
    batch.run(local.jobs, settings(), None, on_result=lambda r: None)
    for name in ("a.png", "b.png"):
        assert fs.cat(f"/out/{name}") == (tmp_path / "out" / name).read_bytes()


def test_local_inputs_can_go_to_a_url_folder_and_back(tmp_path):
    """A local folder into a file:// URL folder, mirrored, with --suffix naming."""
    source = tmp_path / "in"
    (source / "deep").mkdir(parents=True)
    (source / "deep" / "x.png").write_bytes(png(7))
    plan = batch.plan_jobs([str(source)], f"file://{tmp_path}/out", batch.Naming(suffix="_s"))
    assert [str(job.target) for job in plan.jobs] == [f"file://{tmp_path}/out/deep/x_s.png"]
    summary = batch.run(plan.jobs, settings(), None, on_result=lambda r: None)
    assert summary.written == 1
    with Image.open(tmp_path / "out" / "deep" / "x_s.png") as written:
        assert written.size == (15, 12)


def test_skip_existing_works_on_urls(memory_folder):
    """A second run with --skip-existing skips what the first wrote."""
    plan = batch.plan_jobs([memory_folder], "memory://out", batch.Naming())
    batch.run(plan.jobs, settings(), None, on_result=lambda r: None)
    again = batch.Settings(
        resolve_chain("sharpen"), FilterOptions(), OutputOptions(), skip_existing=True
    )
    summary = batch.run(plan.jobs, again, None, on_result=lambda r: None)
    assert summary.skipped == 3 and summary.failed == 1


def test_the_cli_takes_url_inputs_and_outputs(memory_folder, cli):
    """`convcli apply K memory://pictures -o memory://out --jobs 1` runs the batch."""
    result = cli("apply", "sharpen", memory_folder, "-o", "memory://out", "--jobs", 1)
    assert result.exit_code == 1  # the broken picture
    assert "3 written, 0 skipped, 1 failed" in result.stderr
    assert fsspec.filesystem("memory").exists("/out/sub/c.png")


def test_an_unknown_scheme_is_a_usage_error(cli, tmp_path):
    """A URL whose scheme no installed backend knows: exit 2, one line."""
    result = cli("apply", "sharpen", "nosuchscheme://bucket/x", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error:") and len(result.stderr.strip().splitlines()) == 1

"""Connecting to a Dask cluster: the scheduler's address, the client, and checks made at connect.

Batches run on the cluster through ``Client.get_executor()``, a ``concurrent.futures``
Executor, so the batch loop is the same as on one machine. Needs the Dask extra.
"""

from __future__ import annotations

import os
from typing import Any

from convcli.errors import UsageError
from convcli.runs.tiled import require_dask

#: Files per task on a cluster: Dask's per-task cost (about 2 ms) must not dominate.
CLUSTER_FILES_PER_TASK = 64


def connect(address: str | None, scheduler_file: str | None, timeout: float | None = None) -> Any:
    """A ``distributed.Client`` for the scheduler at ``address`` or in ``scheduler_file``.

    An unreachable scheduler is a usage error (exit 2) after ``timeout`` seconds (default 10,
    or ``CONVCLI_SCHEDULER_TIMEOUT``).
    """
    require_dask()
    from distributed import Client

    if timeout is None:
        timeout = float(os.environ.get("CONVCLI_SCHEDULER_TIMEOUT", "10"))
    where = address or scheduler_file
    try:
        if scheduler_file is not None:
            return Client(scheduler_file=scheduler_file, timeout=timeout)  # type: ignore[no-untyped-call]
        return Client(address, timeout=timeout)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise UsageError(f"cannot reach the Dask scheduler {where}: {reason}") from None


def version_problems(client: Any) -> list[str]:
    """Workers (and the scheduler) that run another convcli, or none: say so before working."""
    from convcli import __version__

    problems = []
    try:
        found = dict(client.run(_convcli_version))
        found["scheduler"] = client.run_on_scheduler(_convcli_version)
    except Exception as exc:  # the function itself cannot be unpickled there: no convcli
        return [f"convcli is not installed where the cluster runs ({type(exc).__name__})"]
    for where, version in sorted(found.items()):
        if version != __version__:
            problems.append(f"{where} runs convcli {version}, this is {__version__}")
    return problems


def _convcli_version() -> str:
    try:
        from convcli import __version__
    except ImportError:
        return "none"
    return str(__version__)


def executor(client: Any, retries: int) -> Any:
    """The cluster as a ``concurrent.futures.Executor``; failed tasks retried ``retries`` times."""
    if retries < 0:
        raise UsageError("`retries` must be 0 or more")
    return client.get_executor(retries=retries)

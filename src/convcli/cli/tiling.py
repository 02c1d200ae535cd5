"""``convcli apply --tiled``: one image larger than memory, on threads or on a cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING

from convcli.cli.console import note

if TYPE_CHECKING:
    from convcli.cli.batching import ClusterOptions
    from convcli.filtering.pipeline import FilterOptions
    from convcli.kernels import AnyKernel


def run_tiled(
    source: str,
    target: str,
    chain: list[AnyKernel],
    filters: FilterOptions,
    depth: str | None,
    chunk: int,
    cluster: ClusterOptions | None,
) -> None:
    from convcli.images.outputs import check_output_target
    from convcli.runs.tiled import filter_tiled, require_dask

    require_dask()
    check_output_target(target, [source])
    client = None
    if cluster is not None:
        from convcli.runs.cluster import connect

        client = connect(cluster.address, cluster.scheduler_file)
    try:
        report = filter_tiled(
            source, target, chain, filters, depth=depth, chunk=chunk, client=client
        )
    finally:
        if client is not None:
            client.close()
    note(
        f"{target}: {report.shape[1]}×{report.shape[0]} in {report.chunks} tiles, "
        f"{report.bands} bands"
    )

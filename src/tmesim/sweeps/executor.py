"""Where the points of a sweep run: here, one after the other, or on a Dask cluster.

With no scheduler and no worker count the points run in this process (the default; Dask is not
imported). ``workers=N`` starts a local Dask cluster of N worker processes (one thread each);
``scheduler="tcp://host:8786"`` sends the points to a running Dask scheduler. Each point is one task
that writes its own folder, so the workers must see the sweep's output folder (a shared file system
on a real cluster) and should share ``TMESIM_CACHE_DIR`` so that the compiled kernel is loaded, not
rebuilt, by each worker. A point's results do not depend on where or in which order it runs (every
patient has its own random streams), so the tables are the same as a serial run's, value for value.
Dask is an optional extra (``pip install 'tmesim[distributed]'``, pinned in
``requirements-distributed.lock``).

Example:
    >>> list(run_tasks(pow, [(2, 3), (3, 2)]))
    [(0, 8), (1, 9)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tmesim.errors import ConfigError

__all__ = ["check_backend", "run_tasks"]

INSTALL = "install the optional extra: pip install 'tmesim[distributed]' (dask and distributed)"


def check_backend(scheduler: str | None, workers: int | None) -> None:
    """Raise a ConfigError now if the requested backend cannot run (both options, or no Dask).

    Example:
        >>> check_backend(None, None)      # serial: always available
    """
    if scheduler is not None and workers is not None:
        raise ConfigError(
            "--workers",
            workers,
            "give either --scheduler (a running Dask cluster) or --workers (a local one), not both",
        )
    if scheduler is None and workers is None:
        return
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        option = "--scheduler" if scheduler else "--workers"
        raise ConfigError(option, scheduler or workers, f"Dask is not installed; {INSTALL}")


def _client(scheduler: str | None, workers: int | None) -> tuple[Any, Any]:
    """A Dask client (and the local cluster it owns, or None)."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout="30s"), None
        except (OSError, TimeoutError) as exc:
            raise ConfigError(
                "--scheduler",
                scheduler,
                f"no Dask scheduler answered there ({exc}); start one (`dask scheduler`) and give "
                "its address, e.g. tcp://10.0.0.5:8786",
            ) from None
    cluster = LocalCluster(
        n_workers=int(workers or 1),
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
    )
    return Client(cluster), cluster


def run_tasks(
    fn: Callable[..., Any],
    tasks: Sequence[tuple[Any, ...]],
    *,
    scheduler: str | None = None,
    workers: int | None = None,
) -> Iterator[tuple[int, Any]]:
    """Call ``fn(*task)`` for every task; yield ``(task number, result)`` as each one finishes.

    Serial (in task order) without ``scheduler`` and ``workers``; otherwise on Dask, in the order
    tasks finish. A task that fails raises its error here; a worker lost mid-task has its task
    run again by another worker (Dask's own retry).
    """
    check_backend(scheduler, workers)
    if scheduler is None and workers is None:
        for i, task in enumerate(tasks):
            yield i, fn(*task)
        return
    from distributed import as_completed

    client, cluster = _client(scheduler, workers)
    try:
        futures = {client.submit(fn, *task, pure=False): i for i, task in enumerate(tasks)}
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

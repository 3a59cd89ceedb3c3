"""Where independent tasks run: here, one after the other, or on a Dask cluster.

Everything that maps over patients or points goes through :func:`run_tasks`: the chunks of
virtual patients of `tmesim simulate` and `tmesim trial`, the points of `tmesim sweep`, the
studies of `tmesim validate` and the tissues of a spatial study. A task is a pure function of
its arguments (every patient, point or tissue has its own random streams), so results do not
depend on the backend, the worker count, the chunking or the order in which tasks finish.

With no scheduler and no worker count the tasks run in this process (the default; Dask is not
imported). ``workers=N`` starts a local Dask cluster of N worker processes (one thread each);
``scheduler="tcp://host:8786"`` (or the ``TMESIM_SCHEDULER`` variable the command line reads)
sends the tasks to a running Dask scheduler. Workers compile nothing: they load the model's
kernel from ``TMESIM_CACHE_DIR``, which should be a folder they share (or one warmed per node).
At most a few tasks per worker thread are in flight at once and each result is handed back as
soon as it arrives, so a run of a million tasks holds only a window of results in memory; the
caller writes each one to disk (a Parquet part) before asking for the next. A worker lost
mid-task has its task run again by another worker (Dask's own retry). Dask is an optional extra
(``pip install 'tmesim[distributed]'``, pinned in ``requirements-distributed.lock``).

Example:
    >>> list(run_tasks(pow, [(2, 3), (3, 2)]))
    [(0, 8), (1, 9)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from tmesim.errors import ConfigError

__all__ = ["check_backend", "distributed", "per_process", "run_tasks", "task_threads"]

INSTALL = "install the optional extra: pip install 'tmesim[distributed]' (dask and distributed)"
TASKS_PER_THREAD = 2
"""Tasks in flight per worker thread (one running, one queued): bounds the results held."""
_CACHE: dict[str, Any] = {}
_CACHE_SIZE = 2


def distributed(scheduler: str | None, workers: int | None) -> bool:
    """Whether the tasks go to Dask (a scheduler address or a local worker count is given).

    Example:
        >>> distributed(None, None), distributed(None, 2)
        (False, True)
    """
    return scheduler is not None or workers is not None


def task_threads(n_threads: int | None, scheduler: str | None, workers: int | None) -> int | None:
    """Solver threads of each task: as asked, or one per Dask worker process when none is asked
    (the cluster gives the parallelism).

    Example:
        >>> task_threads(None, None, 2), task_threads(None, None, None), task_threads(4, None, 2)
        (1, None, 4)
    """
    return 1 if n_threads is None and distributed(scheduler, workers) else n_threads


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
    if not distributed(scheduler, workers):
        return
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        option = "--scheduler" if scheduler else "--workers"
        raise ConfigError(option, scheduler or workers, f"Dask is not installed; {INSTALL}")


def per_process(key: str, build: Callable[[], Any], *, fresh: bool = False) -> Any:
    """``build()``, made once per process for each `key` (the last few kept): what a worker
    derives from a run's configuration (model, parameter sets, simulations) is built by its
    first task of that run and reused by the next. With `fresh`, built again (a serial run
    hands its own objects to its tasks this way).

    Example:
        >>> per_process("doc-example", lambda: [1, 2]) is per_process("doc-example", list)
        True
    """
    if fresh:
        _CACHE.pop(key, None)
    if key not in _CACHE:
        while len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = build()
    return _CACHE[key]


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
    tasks: Iterable[tuple[Any, ...]],
    *,
    scheduler: str | None = None,
    workers: int | None = None,
) -> Iterator[tuple[int, Any]]:
    """Call ``fn(*task)`` for every task; yield ``(task number, result)`` as each one finishes.

    Serial (in task order) without ``scheduler`` and ``workers``; otherwise on Dask, in the order
    tasks finish, with at most ``TASKS_PER_THREAD`` tasks per worker thread in flight (`tasks` is
    read lazily, so it may be a generator of millions). A task that fails raises its error here;
    a worker lost mid-task has its task run again by another worker.
    """
    check_backend(scheduler, workers)
    if not distributed(scheduler, workers):
        for i, task in enumerate(tasks):
            yield i, fn(*task)
        return
    from distributed import as_completed

    client, cluster = _client(scheduler, workers)
    pending = enumerate(tasks)
    numbers: dict[Any, int] = {}
    finished = as_completed()

    def top_up() -> None:
        # Re-read the cluster's size each time: an adaptive cluster (dask-jobqueue) grows.
        threads = sum(client.nthreads().values())
        while len(numbers) < TASKS_PER_THREAD * max(threads, 2):
            nxt = next(pending, None)
            if nxt is None:
                return
            future = client.submit(fn, *nxt[1], pure=False)
            numbers[future] = nxt[0]
            finished.add(future)

    try:
        top_up()
        for future in finished:
            number = numbers.pop(future)
            result = future.result()
            future.release()
            yield number, result
            top_up()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

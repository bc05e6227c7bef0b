"""Where a researcher's model runs: in this process, in a pool of worker processes the run owns,
or on an executor the caller gives (a ``concurrent.futures`` executor, Dask's included).

Replicates go out in chunks and come back in replicate order, so the result depends on neither
the number of workers nor the chunking (each replicate's streams depend on (seed, replicate)
only). A run pickles its model once, by cloudpickle (see `Model.__reduce__`), so lambdas, local
functions and functions defined in a notebook work, and every chunk runs that snapshot. Every
replicate runs its native thread pools (BLAS, OpenMP) on one thread, in this process as in a
worker, unless the user set OMP_NUM_THREADS and the like: a reduction split over another number
of threads sums in another order, and the last bits would depend on the worker count.
Parallelism comes from the replicates. The pool is started with
"forkserver" where the platform has it ("spawn" elsewhere), never "fork": forking a process
whose BLAS, OpenMP or Rust threads are running can deadlock the child.

On an error or Ctrl-C the chunks not yet started are cancelled and the run's own workers are
terminated at once (a worker may be deep inside a long fit), so none is left behind.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import multiprocessing.forkserver
import os
import pickle
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import (
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
)
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..paradigms import Paradigm
from ..settings._common import KernelRun, recorded_count
from ._loop import run_replicates

if TYPE_CHECKING:
    from ._model import Model

#: What each worker process imports before it starts (through forkserver's preload).
PRELOAD = "modelcollapse.models._loop"

#: Chunks per worker: enough for the progress bar to move and for uneven chunks to even out.
CHUNKS_PER_WORKER = 8


def default_workers() -> int:
    """The worker processes a run starts by default: one per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


#: The environment variables that size native thread pools (OpenMP, OpenBLAS, MKL, BLIS).
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
)


def _start_worker() -> None:
    """A worker's initializer: it exits as soon as the process that started it does (killed, not
    only interrupted: a worker must not finish a long chunk for nobody), and runs its native
    thread pools on one thread, as every replicate does."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    _one_thread_per_replicate()


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()  # returns when the parent's sentinel closes: it has died
    os._exit(1)


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` processes started by forkserver (spawn where there is none), which
    imports the library once so that each worker starts in milliseconds (added to any modules
    the user asked forkserver to preload)."""
    context: multiprocessing.context.BaseContext
    if "forkserver" in multiprocessing.get_all_start_methods():
        forkserver = multiprocessing.get_context("forkserver")
        preload = list(getattr(multiprocessing.forkserver._forkserver, "_preload_modules", []))
        if PRELOAD not in preload:
            forkserver.set_forkserver_preload([*preload, PRELOAD])
        context = forkserver
    else:
        context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and terminate the workers now (not after their chunk)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()


def snapshot(model: Model) -> bytes:
    """The model pickled once for a run, so that every chunk runs the same code whatever
    changes after; refused before any work, naming the part that cannot travel and what to
    do."""
    try:
        return pickle.dumps(model)
    except Exception as exc:
        part = model._unpicklable_part()
        raise TypeError(
            f"this model cannot be sent to worker processes: {part} cannot be pickled "
            f"({type(exc).__name__}: {exc}). modelcollapse sends models with cloudpickle, which "
            "handles lambdas, local functions and functions defined in a notebook, but not "
            "open files, locks, generators or live connections: keep such things out of the "
            "model (open them inside fit or a metric), or pass workers=1 to run in this process"
        ) from exc


def run_snapshot(
    payload: bytes, origin: int, paradigm: Paradigm, names: list[str], *args: Any
) -> npt.NDArray[np.float64]:
    """A chunk of a pickled model's replicates (what a worker process runs). In a process
    other than the run's own (`origin`), native thread pools are held to one thread first."""
    if os.getpid() != origin:
        _one_thread_per_replicate()
    return run_replicates(pickle.loads(payload), paradigm, names, *args)


def _user_sized_threads() -> bool:
    """Whether the user set the native thread pools' sizes (then they are left alone)."""
    return any(name in os.environ for name in THREAD_VARIABLES)


def _one_thread_per_replicate() -> None:
    """Hold this process's native thread pools (BLAS, OpenMP) to one thread for good, unless
    the user sized them: a reduction split over another number of threads sums in another
    order, and the numbers would depend on where a replicate ran."""
    if _user_sized_threads():
        return
    for name in THREAD_VARIABLES:  # for libraries loaded later in this process
        os.environ[name] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency
        return
    threadpool_limits(1)


_held = 0
_held_lock = threading.Lock()
_limiter: Any = None


@contextlib.contextmanager
def _one_thread_here() -> Iterator[None]:
    """In this process, while any run is going: native thread pools held to one thread (as in
    every worker), unless the user sized them. Runs in several threads at once share one limit,
    lifted when the last ends."""
    global _held, _limiter
    if _user_sized_threads():
        yield
        return
    from threadpoolctl import threadpool_limits

    with _held_lock:
        if _held == 0:
            _limiter = threadpool_limits(1)
        _held += 1
    try:
        yield
    finally:
        with _held_lock:
            _held -= 1
            if _held == 0:
                _limiter.restore_original_limits()
                _limiter = None


def run_model(model: Model, paradigm: Paradigm, run: KernelRun) -> npt.NDArray[np.float64]:
    """The model's metrics as (replicates, metrics, recorded iterations)."""
    key = tuple(run.key.words)
    first, n = run.first, run.replicates
    names = list(run.metrics)
    args = (run.iterations, run.stride, key)
    workers = run.workers if run.workers is not None else default_workers()
    in_threads = isinstance(run.executor, ThreadPoolExecutor)
    with _one_thread_here():
        if run.executor is None and (workers == 1 or n == 1):
            return run_replicates(model, paradigm, names, *args, first, first + n, run.progress)
        # near-equal chunks (sizes differ by at most one), so that no worker is left with the
        # last; with an executor, workers= sets how many (default: per core here)
        bounds = np.linspace(first, first + n, min(n, CHUNKS_PER_WORKER * workers) + 1)
        edges = [first, *(int(b) for b in np.rint(bounds[1:-1])), first + n]
        chunks = list(itertools.pairwise(edges))
        out = np.empty((n, len(names), recorded_count(run.iterations, run.stride)))
        if in_threads:  # threads of this process share the model itself

            def submit(pool: Executor, start: int, stop: int) -> Future[Any]:
                return pool.submit(run_replicates, model, paradigm, names, *args, start, stop)

        else:
            payload, origin = snapshot(model), os.getpid()

            def submit(pool: Executor, start: int, stop: int) -> Future[Any]:
                return pool.submit(
                    run_snapshot, payload, origin, paradigm, names, *args, start, stop
                )

        if run.executor is not None:
            _gather(run.executor, chunks, submit, out, first, run)
            return out
        pool = worker_pool(min(workers, len(chunks)))
        try:
            _gather(pool, chunks, submit, out, first, run)
        except BaseException:
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)
        return out


def _gather(
    pool: Executor,
    chunks: list[tuple[int, int]],
    submit: Callable[[Executor, int, int], Future[Any]],
    out: np.ndarray,
    first: int,
    run: KernelRun,
) -> None:
    """Submit every chunk and write each result into `out` as it arrives."""
    futures = {submit(pool, start, stop): (start, stop) for start, stop in chunks}
    done = 0
    try:
        for future in as_completed(futures):
            start, stop = futures.pop(future)
            try:
                values = future.result()
            except BrokenProcessPool as exc:
                raise RuntimeError(
                    f"a worker process died before it returned replicates {start}..{stop - 1}: "
                    "killed, out of memory, or crashed in native code the model called. In a "
                    "script, also check that the code that runs the simulation is under "
                    "'if __name__ == \"__main__\":' (each worker process imports the main "
                    "script, and would otherwise start a run of its own). Rerun with workers=1 "
                    "to see a failure in this process"
                ) from exc
            out[start - first : stop - first] = values
            done += (stop - start) * run.iterations
            if run.progress is not None:
                run.progress(done)
    except BaseException:
        for future in futures:
            future.cancel()
        raise

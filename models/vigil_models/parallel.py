"""Runs independent pieces of a corpus evaluation (a series, an experiment) in worker processes.

Each piece trains its own single-threaded model and replays its data through its own JVM, so pieces
scale with cores. Results come back in the order of the items, whatever order they finish in, so a
corpus sums its series in the same order, and so to the same digit, with any number of workers.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Callable, Sequence, TypeVar

from .cli import describe

T = TypeVar("T")
R = TypeVar("R")

# Each worker runs a JVM of up to 2 GiB (make's JAVA_RUN) beside its training: four at most by default.
MAX_DEFAULT_JOBS = 4


def default_jobs() -> int:
    """One worker per core, at most MAX_DEFAULT_JOBS."""
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_JOBS))


@contextlib.contextmanager
def workers_without_progress_bars():
    """TQDM_DISABLE=1 in the environment the workers start with. Bars of several workers would
    overwrite each other on one terminal line (run_each's done() reports progress instead). It must be
    there before a worker imports tqdm, which reads it at import, and a spawned worker imports the
    main module first; so it is set here, in the parent, and inherited."""
    before = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ["TQDM_DISABLE"]
        else:
            os.environ["TQDM_DISABLE"] = before


# What a piece of a corpus run fails with when its input, not the code, is at fault: a file it cannot
# read or write, data the training or the replay cannot use (too short, nothing scored), a job
# parameter or model the job refuses.
PIECE_ERRORS = (OSError, ValueError, RuntimeError)


class PieceFailed(Exception):
    """A piece's error of a kind the caller expects (bad input, a parameter the job refuses), its
    message led by the piece's name: of 58 series, which one failed."""


def _named(error: BaseException, item: T, expected: tuple[type[Exception], ...],
           name: Callable[[T], str]) -> BaseException:
    """``error`` as a PieceFailed naming ``item`` when it is of an ``expected`` kind; as it is otherwise
    (a bug keeps its type and traceback)."""
    if isinstance(error, expected):
        named = PieceFailed(f"{name(item)}: {describe(error)}")
        named.__cause__ = error
        return named
    return error


def run_each(items: Sequence[T], work: Callable[[T], R], jobs: int,
             done: Callable[[int, T, R], None] = lambda number, item, result: None,
             expected: tuple[type[Exception], ...] = (), name: Callable[[T], str] = str) -> list[R]:
    """work(item) for every item, at most `jobs` at a time; done(n, item, result) as the n-th finishes.

    `work` must be a module-level function (or a functools.partial of one): workers are started
    fresh (spawn), so nothing of this process but its arguments reaches them. With jobs == 1 it runs
    here, one item after the other. The first failure is raised once the pieces under way have ended:
    one of an `expected` type as a PieceFailed whose message starts with name(item), any other as it was.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    results: dict[int, R] = {}
    if jobs == 1 or len(items) <= 1:
        for index, item in enumerate(items):
            try:
                results[index] = work(item)
            except Exception as e:
                raise _named(e, item, expected, name)
            done(index + 1, item, results[index])
        return [results[i] for i in range(len(items))]
    with workers_without_progress_bars(), ProcessPoolExecutor(
            max_workers=min(jobs, len(items)), mp_context=multiprocessing.get_context("spawn")) as pool:
        pending = {pool.submit(work, item): index for index, item in enumerate(items)}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                index = pending.pop(future)
                if future.exception() is not None:
                    for other in pending:
                        other.cancel()
                    raise _named(future.exception(), items[index], expected, name)
                results[index] = future.result()
                done(len(results), items[index], results[index])
    return [results[i] for i in range(len(items))]

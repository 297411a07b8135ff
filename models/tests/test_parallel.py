"""run_each: the corpus runners' worker processes."""

import io
import os
import time

import pytest

from vigil_models import parallel


def slower_first(n: int) -> tuple[int, int]:
    # The first items take longest, so with two workers they finish after later ones.
    time.sleep(0.2 * (4 - n))
    return n * n, os.getpid()


def fails_on_two(n: int) -> int:
    if n == 2:
        raise ValueError("item 2 is bad")
    return n


def progress_bar_output(n: int) -> str:
    from tqdm import tqdm
    out = io.StringIO()
    for _ in tqdm(range(n), file=out):
        pass
    return out.getvalue()


def test_workers_draw_no_progress_bars_but_one_job_here_does():
    assert parallel.run_each([3, 4], progress_bar_output, jobs=2) == ["", ""]
    assert "3/3" in parallel.run_each([3], progress_bar_output, jobs=1)[0]


def test_results_come_in_the_items_order_whatever_order_they_finish_in():
    finished = []
    results = parallel.run_each([0, 1, 2, 3], slower_first, jobs=2,
                                done=lambda number, item, result: finished.append((number, item)))
    assert [square for square, _ in results] == [0, 1, 4, 9]
    assert [number for number, _ in finished] == [1, 2, 3, 4]
    assert [item for _, item in finished] != [0, 1, 2, 3], "the later, shorter items finished first"
    assert os.getpid() not in {pid for _, pid in results}, "the work ran in worker processes"


def test_one_job_runs_here_in_order():
    results = parallel.run_each([3, 1], slower_first, jobs=1)
    assert [square for square, _ in results] == [9, 1]
    assert {pid for _, pid in results} == {os.getpid()}


def test_a_failure_in_a_worker_is_raised():
    with pytest.raises(ValueError, match="item 2 is bad"):
        parallel.run_each([1, 2, 3], fails_on_two, jobs=2)


def test_jobs_must_be_positive():
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        parallel.run_each([1], slower_first, jobs=0)


@pytest.mark.parametrize("cores, jobs", [(2, 2), (16, 4), (None, 1)])
def test_the_default_is_the_cores_up_to_four(cores, jobs, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)  # None: Python could not tell
    assert parallel.default_jobs() == jobs

"""run_each: the corpus runners' worker processes."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

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


# A runner's main module imports tqdm (through training) before run_each starts, and a spawned worker
# imports that module again first: tqdm has read its settings by the time the worker runs anything.
RUNNER = """
import io, json, sys
from tqdm import tqdm
from vigil_models import parallel

def bar(n):
    out = io.StringIO()
    for _ in tqdm(range(n), file=out):
        pass
    return out.getvalue()

if __name__ == "__main__":
    print(json.dumps(parallel.run_each([3, 4], bar, jobs=int(sys.argv[1]))))
"""


@pytest.mark.parametrize("jobs, drawn", [(2, False), (1, True)])
def test_workers_draw_no_progress_bars_but_one_job_here_does(jobs, drawn, tmp_path):
    (tmp_path / "runner.py").write_text(RUNNER)
    env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(parallel.__file__).parents[1]), env.get("PYTHONPATH", "")])
    run = subprocess.run([sys.executable, str(tmp_path / "runner.py"), str(jobs)], env=env,
                         capture_output=True, text=True, check=True)
    bars = json.loads(run.stdout)
    assert [("3/3" in bars[0]), ("4/4" in bars[1])] == [drawn, drawn]
    assert "TQDM_DISABLE" not in os.environ


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


def fails_on_three_with_a_bug(n: int) -> int:
    if n == 3:
        raise KeyError("a bug, not bad input")
    return n


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_expected_failure_names_its_piece_and_a_bug_keeps_its_type(jobs):
    with pytest.raises(parallel.PieceFailed, match=r"^series 2: item 2 is bad$") as failed:
        parallel.run_each([1, 2], fails_on_two, jobs=jobs, expected=(ValueError,), name=lambda n: f"series {n}")
    assert isinstance(failed.value.__cause__, ValueError)
    with pytest.raises(KeyError, match="a bug"):
        parallel.run_each([1, 3], fails_on_three_with_a_bug, jobs=jobs, expected=(ValueError,))

"""Every command line, given an input that is not there or that it cannot use, exits with one line
that names it, not a traceback."""

import errno
import json
import re

import pytest

from vigil_models import (csv_data, datasets, evaluate, nab_corpus, nab_retrain, nab_tuned, parity, skab_protocol, train,
                          train_csv)
from vigil_models.cli import describe, one_line_errors

COMMANDS = {
    "train": (train.main, ["--config", "{missing}", "--events", "{missing}", "--out", "{tmp}/model"]),
    "train_csv": (train_csv.main, ["--data", "{missing}", "--out", "{tmp}/model"]),
    "evaluate": (evaluate.main, ["--data", "{missing}", "--model", "{missing}", "--out", "{tmp}/eval", "--java", "java"]),
    "csv_data": (csv_data.main, ["{missing}", "--out", "{tmp}/events.jsonl"]),
    "parity": (parity.main, ["--model", "{missing}", "--events", "{missing}", "--out", "{tmp}/parity.json"]),
    "datasets": (datasets.main, ["nab", "--datasets", "{missing}", "--out", "{tmp}/nab"]),
    "nab_corpus": (nab_corpus.main, ["--datasets", "{missing}", "--work", "{tmp}", "--out", "{tmp}/out", "--java", "java"]),
    "nab_retrain": (nab_retrain.main, ["--datasets", "{missing}", "--work", "{tmp}", "--out", "{tmp}/out", "--java", "java"]),
    "nab_tuned": (nab_tuned.main, ["--datasets", "{missing}", "--work", "{tmp}", "--out", "{tmp}/out"]),
    "skab_protocol": (skab_protocol.main, ["--datasets", "{missing}", "--work", "{tmp}", "--out", "{tmp}/out", "--java", "java"]),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_missing_input_is_one_line_that_names_it(command, tmp_path):
    main, argv = COMMANDS[command]
    missing = tmp_path / "not-there"
    with pytest.raises(SystemExit) as exit_:
        main([a.format(missing=missing, tmp=tmp_path) for a in argv])
    message = exit_.value.code
    assert isinstance(message, str), f"{command} exited with {message!r}, not a message"
    assert "\n" not in message
    assert str(missing) in message
    assert message.startswith(("error: ", "evaluation failed: "))


def test_a_refused_file_reads_as_its_path_and_the_reason():
    assert describe(FileNotFoundError(errno.ENOENT, "No such file or directory", "/data/x.csv")) == \
        "/data/x.csv: No such file or directory"
    assert describe(ValueError("line 3: not a number")) == "line 3: not a number"


def test_other_errors_keep_their_traceback():
    with pytest.raises(KeyError), one_line_errors(ValueError):
        raise KeyError("a bug, not bad input")


# Stand-ins for --java: one the job's Replay would be, refusing a parameter (its message on one line,
# exit 2), and one that runs nothing at all (exit 0, no output).
REFUSING_JAVA = "sh -c 'echo \"log4j: starting\"; echo \"error: unknown parameter --threshold.kk\" >&2; exit 2' sh"
SILENT_JAVA = "true"


def write_nab(datasets, header="timestamp,value", points=200):
    """A NAB-like dataset of one series, demo/s.csv, with one anomaly window."""
    stamps = [f"2024-01-01 {i // 60:02d}:{i % 60:02d}:00" for i in range(points)]
    data = datasets / "nab" / "data" / "demo" / "s.csv"
    data.parent.mkdir(parents=True)
    data.write_text(f"{header}\n" + "".join(f"{t},{10 + i % 7}\n" for i, t in enumerate(stamps)))
    (datasets / "nab" / "labels").mkdir(parents=True)
    (datasets / "nab" / "labels" / "combined_windows.json").write_text(
        json.dumps({"demo/s.csv": [[f"{stamps[150]}.000000", f"{stamps[160]}.000000"]]}))
    return data


def a_model_to_reuse(work):
    """What --reuse-models takes as the series' model, so that nothing is trained before the replay."""
    folder = work / "models" / nab_corpus.series_folder("demo/s.csv")
    folder.mkdir(parents=True)
    (folder / "model.json").write_text(json.dumps({"training": {}}))


def single_line_exit(main, argv):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    message = exit_.value.code
    assert isinstance(message, str) and "\n" not in message, f"not one line: {message!r}"
    return message


@pytest.mark.parametrize("main", [nab_corpus.main, nab_retrain.main])
def test_a_nab_file_not_as_nab_publishes_it_is_one_line_that_names_it(main, tmp_path):
    data = write_nab(tmp_path / "datasets", header="time,value")
    message = single_line_exit(main, ["--datasets", str(tmp_path / "datasets"), "--work", str(tmp_path / "work"),
                                      "--out", str(tmp_path / "out"), "--java", "java", "--jobs", "1"])
    assert message == f"error: {data}: header 'time,value', expected 'timestamp,value'"


@pytest.mark.parametrize("main, piece", [(nab_corpus.main, "demo/s.csv"), (nab_retrain.main, "demo/s.csv model 0")])
@pytest.mark.parametrize("java, why", [
    (REFUSING_JAVA, r"the replay failed \(exit 2\): error: unknown parameter --threshold\.kk \(its log: .*replay\.log\)"),
    (SILENT_JAVA, r"the replay exited 0 without printing its summary: is --java 'true' a command"),
])
def test_a_series_the_job_cannot_replay_is_one_line_that_names_the_series(main, piece, java, why, tmp_path):
    write_nab(tmp_path / "datasets")
    a_model_to_reuse(tmp_path / "work")
    message = single_line_exit(main, ["--datasets", str(tmp_path / "datasets"), "--work", str(tmp_path / "work"),
                                      "--out", str(tmp_path / "out"), "--java", java, "--jobs", "1", "--reuse-models",
                                      "--", "--threshold.kk", "4"])
    assert re.match(rf"error: {re.escape(piece)}: {why}", message), message


def test_an_experiment_that_fails_is_one_line_that_names_the_experiment(tmp_path, monkeypatch):
    def too_short(key, **_):
        raise ValueError(f"{key}.train.csv: 0 training and 0 validation windows of size 16")

    monkeypatch.setattr(datasets, "skab_per_experiment", lambda *_: ["valve1-0", "valve1-1"])
    monkeypatch.setattr(skab_protocol, "experiment", too_short)
    message = single_line_exit(skab_protocol.main, ["--work", str(tmp_path), "--out", str(tmp_path / "out"),
                                                    "--java", "java", "--jobs", "1"])
    assert message == "error: valve1-0: valve1-0.train.csv: 0 training and 0 validation windows of size 16"


def test_a_java_command_that_runs_nothing_is_one_line_not_an_index_error(tmp_path):
    data = tmp_path / "m.csv"
    data.write_text("timestamp,x,label\n1000,1,0\n2000,2,1\n")
    message = single_line_exit(evaluate.main, ["--data", str(data), "--model", str(tmp_path), "--out",
                                               str(tmp_path / "eval"), "--java", SILENT_JAVA])
    assert message.startswith("evaluation failed: the replay exited 0 without printing its summary: is --java 'true'")


def test_why_a_java_command_failed_is_its_error_line_or_the_innermost_cause_of_its_stack_trace():
    assert evaluate.why_it_failed("INFO starting\nerror: --stream.replay.model x: model contract not found\n") == \
        "error: --stream.replay.model x: model contract not found"
    trace = ("Exception in thread \"main\" java.lang.IllegalStateException: replay incomplete\n"
             "\tat io.vigil.evaluate.Replay.run(Replay.java:150)\n"
             "Caused by: java.io.IOException: No space left on device\n\tat java.io.FileOutputStream.write\n\t... 12 more\n")
    assert evaluate.why_it_failed(trace) == "Caused by: java.io.IOException: No space left on device"
    assert evaluate.why_it_failed("") == "(no output)"

"""Every command line, given an input that is not there, exits with one line that names it, not a
traceback."""

import errno

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

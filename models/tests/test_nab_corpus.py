import json

import pytest

from vigil_models import cli, nab_corpus


def test_pot_learns_its_tail_from_the_windows_that_end_in_the_probationary_period():
    # 22,695 points: NAB's probation is 750 points, the windows of 16 ending in it 735.
    assert nab_corpus.probation_parameters(22_695, []) == [
        "--threshold.pot-init-scores", "735", "--threshold.pot-level", "0.98"]


@pytest.mark.parametrize("length", [1_127, 1_243, 2_500, 4_032])
def test_a_short_probation_lowers_pot_level_just_enough_for_the_jobs_minimum_of_peaks(length):
    parameters = nab_corpus.probation_parameters(length, [])
    windows, level = int(parameters[1]), float(parameters[3])
    assert windows == int(0.15 * length) - 15
    assert windows * (1 - level) >= nab_corpus.POT_MIN_PEAKS  # what the job checks, or it refuses to start
    assert windows * (1 - (level + 0.001)) < nab_corpus.POT_MIN_PEAKS or level == 0.98


@pytest.mark.parametrize("given", [["--threshold.pot-level", "0.9"], ["--threshold.pot-init-scores=600"]])
def test_parameters_the_user_gives_win(given):
    assert nab_corpus.probation_parameters(4_032, ["--threshold.method", "pot"] + given) == []


def test_reused_models_must_have_been_trained_with_the_same_clamp(tmp_path):
    names = ["realTweets/a.csv", "realTweets/b.csv"]
    for name, training in zip(names, [{"epochs": 3}, {"epochs": 3, "input_range": {"low": [0], "high": [1]}}]):
        folder = tmp_path / "models" / nab_corpus.series_folder(name)
        folder.mkdir(parents=True)
        (folder / "model.json").write_text(json.dumps({"training": training}))
    assert nab_corpus.clamp_mismatch(tmp_path, names, clamp=False) == tmp_path / "models" / "realTweets__b"
    assert nab_corpus.clamp_mismatch(tmp_path, names, clamp=True) == tmp_path / "models" / "realTweets__a"
    assert nab_corpus.clamp_mismatch(tmp_path, names[:1], clamp=False) is None
    assert nab_corpus.clamp_mismatch(tmp_path, ["realTweets/untrained.csv"], clamp=True) is None


@pytest.mark.parametrize("content", ["{\"training\": ", "[1, 2]", "{\"kind\": \"dense\"}"])
def test_a_corrupt_model_to_reuse_is_named_in_one_line(tmp_path, content):
    folder = tmp_path / "models" / nab_corpus.series_folder("realTweets/a.csv")
    folder.mkdir(parents=True)
    (folder / "model.json").write_text(content)
    with pytest.raises(SystemExit) as exit:
        with cli.one_line_errors(ValueError):
            nab_corpus.clamp_mismatch(tmp_path, ["realTweets/a.csv"], clamp=False)
    assert str(exit.value).startswith(f"error: {folder / 'model.json'}: not a model contract")

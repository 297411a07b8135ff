"""The declared model spec: the same validation the job applies to model.json."""

import pytest

from vigil_models.contract import ModelSpec, read_model_json, to_json, write_model_json


def spec(features, window=None):
    return {"name": "m", "version": "1", "stream": "s", "kind": "dense", "key": "k", "timestamp": "ts",
            "features": features, "window": window or {"size": 2, "stride": 1}}


@pytest.mark.parametrize("feature, message", [
    ({"name": "a", "encoding": "numeric"}, "exactly one of 'path' and 'derived'"),
    ({"name": "a", "path": "a", "derived": "hour_of_day", "encoding": "numeric"}, "exactly one of 'path' and 'derived'"),
    ({"name": "a", "path": "a", "encoding": "zscore"}, "unknown encoding"),
    ({"name": "a", "path": "a", "encoding": "onehot", "categories": []}, "non-empty 'categories'"),
    ({"name": "a", "path": "a", "encoding": "cyclic"}, "positive 'period'"),
    ({"name": "a", "derived": "day_of_week", "encoding": "numeric"}, "unknown derived value"),
    ({"name": "a", "derived": "hour_of_day", "encoding": "onehot", "categories": ["1"]}, "cannot be onehot"),
])
def test_invalid_features_are_rejected_with_a_message_naming_the_problem(feature, message):
    with pytest.raises(ValueError, match=message):
        ModelSpec.from_json(spec([feature]))


def test_clamp_to_training_range_is_true_or_false():
    features = [{"name": "a", "path": "a", "encoding": "numeric"}]
    assert not ModelSpec.from_json(spec(features)).clamp_to_training_range
    assert ModelSpec.from_json({**spec(features), "clamp_to_training_range": True}).clamp_to_training_range
    with pytest.raises(ValueError, match="'clamp_to_training_range' must be true or false"):
        ModelSpec.from_json({**spec(features), "clamp_to_training_range": "yes"})


def test_a_window_needs_a_positive_size_and_stride():
    with pytest.raises(ValueError, match="size >= 1"):
        ModelSpec.from_json(spec([{"name": "a", "path": "a", "encoding": "numeric"}], {"size": 0, "stride": 1}))


def test_model_json_whose_columns_disagree_with_its_features_is_rejected(tmp_path):
    model = spec([{"name": "a", "path": "a", "encoding": "cyclic", "period": 7}])
    model.update(columns=["a"], normalization={"mean": [0.0], "std": [1.0]})
    write_model_json(tmp_path, model)
    with pytest.raises(ValueError, match="do not match"):
        read_model_json(tmp_path)
    model.update(columns=["a:sin", "a:cos"], normalization={"mean": [0.0, 0.0], "std": [1.0, 1.0]})
    write_model_json(tmp_path, model)
    assert read_model_json(tmp_path) == model


def test_model_json_text_keeps_value_lists_on_one_line():
    assert to_json({"a": [1, 2], "b": {"c": "d"}}) == '{\n  "a": [1, 2],\n  "b": {\n    "c": "d"\n  }\n}'

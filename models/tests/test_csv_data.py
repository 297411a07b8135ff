"""The labelled CSV format: rows become the JSON events the job reads, and every bad row is an error
that names the file, the line and the column."""

import json
import pickle

import numpy as np
import pytest

import synthetic
from vigil_models.csv_data import (KEYLESS, CsvError, CsvFormatError, feature_path, main, model_spec, read_csv,
                                   write_events)
from vigil_models.features import build_table


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_becomes_one_json_event_per_row_with_labels_and_lines(tmp_path):
    path = write(tmp_path, "timestamp,key,temperature,pressure,label\n"
                           "2026-01-01T00:00:00.250Z,pump-1,70.5,3,0\n"
                           "\n"  # a blank line is not a row
                           "1767225601000,pump-2,-1.5e2,0.25,1\n"
                           "2026-01-01 01:00:02+01:00,pump-1,71,3.5,0\n")
    rows = read_csv(path)
    assert rows.features == ["temperature", "pressure"]
    assert rows.has_key
    assert [json.loads(e) for e in rows.events] == [
        {"key": "pump-1", "timestamp": 1767225600250, "temperature": 70.5, "pressure": 3.0},
        {"key": "pump-2", "timestamp": 1767225601000, "temperature": -150.0, "pressure": 0.25},
        {"key": "pump-1", "timestamp": 1767225602000, "temperature": 71.0, "pressure": 3.5},
    ]
    assert rows.lines == [2, 4, 5]
    assert rows.labels.tolist() == [0, 1, 0]


def test_a_timestamp_without_offset_is_utc_and_equals_its_epoch_milliseconds(tmp_path):
    rows = read_csv(write(tmp_path, "timestamp,x\n2026-01-01 00:00:01.5,1\n2026-01-01T00:00:01.500Z,2\n1767225601500,3\n"))
    assert {json.loads(e)["timestamp"] for e in rows.events} == {1767225601500}


def test_interleaved_keys_are_featurized_per_key_in_time_order(tmp_path):
    # The job orders each key's events by time; the reader hands rows over in file order.
    path = write(tmp_path, "timestamp,key,x\n3000,a,3\n1000,b,10\n1000,a,1\n2000,b,20\n2000,a,2\n")
    rows = read_csv(path)
    spec = model_spec(rows, "dense", window_size=2)
    table = build_table(spec, [e.encode() for e in rows.events])
    assert [(key, end - start) for key, start, end in table.segments] == [("a", 3), ("b", 2)]
    assert table.columns[:, 0].tolist() == [1, 2, 3, 10, 20]
    assert table.lines.tolist() == [2, 4, 0, 1, 3]  # rows of the file, by key then time


def test_events_are_written_in_time_order_each_keys_rows_and_ties_in_file_order(tmp_path, capsys):
    # Laid out key by key, as the format allows: read in file order, b's rows would be minutes behind
    # a's newest and fall behind the replay's watermark (5 s), to be dead-lettered as late.
    path = write(tmp_path, "timestamp,key,x\n"
                           "1000,a,1\n61000,a,2\n121000,a,3\n121000,a,4\n"
                           "1000,b,10\n61000,b,20\n61000,b,21\n121000,b,30\n")
    rows = read_csv(path)
    write_events(rows, tmp_path / "events.jsonl")
    main([str(path), "--out", str(tmp_path / "cli.jsonl")])
    for name in ("events.jsonl", "cli.jsonl"):
        events = [json.loads(line) for line in (tmp_path / name).read_text().splitlines()]
        assert [(e["key"], e["timestamp"], e["x"]) for e in events] == [
            ("a", 1000, 1), ("b", 1000, 10), ("a", 61000, 2), ("b", 61000, 20), ("b", 61000, 21),
            ("a", 121000, 3), ("a", 121000, 4), ("b", 121000, 30)]
    # The rows themselves stay in file order: labels and lines are matched to them by position.
    assert [json.loads(e)["x"] for e in rows.events] == [1, 2, 3, 4, 10, 20, 21, 30]


def test_a_file_without_key_column_is_one_entity_with_the_constant_key(tmp_path):
    text = synthetic.machine_csv(keys=1, rows_per_key=5, key_column=False, label_column=False)
    rows = read_csv(write(tmp_path, text))
    assert not rows.has_key
    assert {json.loads(e)["key"] for e in rows.events} == {KEYLESS}
    assert model_spec(rows, "dense", 2).key == "key"


def test_a_file_without_label_column_has_no_labels(tmp_path):
    rows = read_csv(write(tmp_path, synthetic.machine_csv(keys=2, rows_per_key=5, label_column=False)))
    assert rows.labels is None
    assert rows.features == ["speed", "temperature", "power"]
    assert len(rows) == 10


def test_the_model_spec_reads_each_feature_at_its_column_name_even_with_dots_and_slashes(tmp_path):
    path = write(tmp_path, "timestamp,key,a.b,c/d,plain\n1000,k,1.5,2.5,3.5\n")
    rows = read_csv(path)
    spec = model_spec(rows, "lstm", window_size=4, window_stride=2, bottleneck=3)
    # A dotted path escapes '/' itself (the job's FeatureExtractor too); a '.' needs the pointer form.
    assert [f.path for f in spec.features] == ["/a.b", "c/d", "plain"]
    assert [f.name for f in spec.features] == ["a.b", "c/d", "plain"]
    assert (spec.key, spec.timestamp, spec.kind, spec.window_size, spec.window_stride, spec.bottleneck) == \
        ("key", "timestamp", "lstm", 4, 2, 3)
    # The featurization that mirrors the job reads the same values back from the events.
    table = build_table(spec, [e.encode() for e in rows.events])
    assert table.columns.tolist() == [[1.5, 2.5, 3.5]]
    assert feature_path("x~y.z") == "/x~0y.z"


def test_features_pick_columns_in_the_given_order(tmp_path):
    rows = read_csv(write(tmp_path, "timestamp,a,b,c\n1000,1,2,3\n"), features=["c", "a"])
    assert rows.features == ["c", "a"]
    assert json.loads(rows.events[0]) == {"key": KEYLESS, "timestamp": 1000, "c": 3.0, "a": 1.0}


GOOD_ROW = "2026-01-01T00:00:00Z,k,1.5,0"


@pytest.mark.parametrize("row, column, message", [
    ("yesterday,k,1.5,0", 1, "column 'timestamp': 'yesterday' is neither epoch milliseconds nor an ISO-8601"),
    ("2026-02-30T00:00:00Z,k,1.5,0", 1, "column 'timestamp': no such date"),
    ("2026-01-01T24:00:00Z,k,1.5,0", 1, "column 'timestamp': no such time of day"),
    ("1.7e12,k,1.5,0", 1, "column 'timestamp': '1.7e12' is neither"),
    ("99999999999999999999,k,1.5,0", 1, "column 'timestamp': epoch milliseconds out of range"),
    ("1000,,1.5,0", 2, "column 'key': empty"),
    ("1000,k,hot,0", 3, "column 'x': 'hot' is not a number"),
    ("1000,k,,0", 3, "column 'x': empty (a missing value)"),
    ("1000,k,nan,0", 3, "column 'x': 'nan' is not a number"),
    ("1000,k,inf,0", 3, "column 'x': 'inf' is not a number"),
    ("1000,k,1e400,0", 3, "column 'x': '1e400' is out of float32 range"),
    ("1000,k,3.5e38,0", 3, "column 'x': '3.5e38' is out of float32 range"),
    ("1000,k,1.5,2", 4, "column 'label': '2' is neither 0 nor 1"),
    ("1000,k,1.5,", 4, "column 'label': empty"),
    ("1000,k,1.5", 4, "column 'label' is missing: the row has 3 fields, the header 4"),
    ("1000,k,1.5,0,7", 5, "one field too many: the row has 5 fields, the header 4"),
])
def test_a_bad_row_is_an_error_naming_file_line_and_column(tmp_path, row, column, message):
    path = write(tmp_path, f"timestamp,key,x,label\n{GOOD_ROW}\n{row}\n{GOOD_ROW}\n")
    with pytest.raises(CsvFormatError) as raised:
        read_csv(path)
    assert str(raised.value).startswith(f"{path}:3:{column}: {message}")
    assert [(e.line, e.column) for e in raised.value.errors] == [(3, column)]


@pytest.mark.parametrize("header, column, message", [
    ("key,x", 0, "no 'timestamp' column among ['key', 'x']"),
    ("timestamp;key;x", 0, "(is the delimiter ','?)"),
    ("timestamp,x,x", 3, "column 'x' appears twice"),
    ("timestamp,,x", 2, "a column has no name"),
    ("timestamp,key,label", 0, "no feature column"),
    # A reserved name in another case would be a feature: the anomalies trained on as normal data.
    ("timestamp,x,Label", 3, "column 'Label' would be read as a feature: the reserved column is 'label', in lower case"),
    ("timestamp,KEY,x", 2, "column 'KEY' would be read as a feature: the reserved column is 'key'"),
    ("Timestamp,x", 1, "column 'Timestamp' would be read as a feature: the reserved column is 'timestamp'"),
    ("timestamp,x, LABEL ", 3, "column 'LABEL' would be read as a feature"),
])
def test_a_bad_header_is_an_error_on_line_1(tmp_path, header, column, message):
    path = write(tmp_path, header + "\n")
    with pytest.raises(CsvFormatError) as raised:
        read_csv(path)
    assert f"{path}:1:{column}: " in str(raised.value) and message in str(raised.value)


def test_an_unknown_feature_or_an_empty_file_is_an_error(tmp_path):
    with pytest.raises(CsvFormatError, match=r"data.csv:1:0: feature 'label' is not a feature column"):
        read_csv(write(tmp_path, "timestamp,x,label\n1000,1,0\n"), features=["label"])
    with pytest.raises(CsvFormatError, match=r"empty.csv:1:0: the file is empty"):
        read_csv(write(tmp_path, "", "empty.csv"))
    with pytest.raises(CsvFormatError, match=r"header.csv:2:0: no data rows"):
        read_csv(write(tmp_path, "timestamp,x\n", "header.csv"))


def test_the_error_survives_the_way_from_a_worker_process():
    error = CsvFormatError([CsvError("data.csv", 3, 2, "column 'x': 'hot' is not a number")], more=4)
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) == "data.csv:3:2: column 'x': 'hot' is not a number\n... and 4 more"
    assert copy.errors == error.errors


def test_a_quoted_field_may_hold_the_delimiter_and_rows_are_placed_at_their_first_line(tmp_path):
    path = write(tmp_path, 'timestamp,key,x\n1000,"a,b",1\n2000,"multi\nline",oops\n')
    with pytest.raises(CsvFormatError, match=r":3:3: column 'x': 'oops' is not a number"):
        read_csv(path)
    rows = read_csv(write(tmp_path, 'timestamp,key,x\n1000,"a,b",1\n', "quoted.csv"))
    assert json.loads(rows.events[0])["key"] == "a,b"


def test_errors_of_many_rows_are_reported_together_up_to_a_limit(tmp_path):
    path = write(tmp_path, "timestamp,x\n" + "".join(f"{1000 + i},bad\n" for i in range(30)))
    with pytest.raises(CsvFormatError) as raised:
        read_csv(path, max_errors=5)
    lines = str(raised.value).splitlines()
    assert lines[:5] == [f"{path}:{line}:2: column 'x': 'bad' is not a number" for line in range(2, 7)]
    assert lines[5] == "... and 25 more"


def test_a_custom_delimiter_reads_semicolon_files(tmp_path):
    rows = read_csv(write(tmp_path, "timestamp;x;label\n2026-01-01 00:00:00;1,5e0;0\n".replace("1,5e0", "1.5")),
                    delimiter=";")
    assert json.loads(rows.events[0]) == {"key": KEYLESS, "timestamp": 1767225600000, "x": 1.5}
    assert rows.labels.tolist() == [0]
    assert np.issubdtype(rows.labels.dtype, np.integer)

"""Featurization against hand-computed cases: every encoding, the derived columns, ordering,
windows and the records the job would dead-letter."""

import json
import math

import numpy as np
import pytest

from vigil_models.contract import ModelSpec
from vigil_models.features import (
    DeadLetter,
    Featurizer,
    build_table,
    make_windows,
    normalize,
    parse_timestamp,
)

TX_SPEC = ModelSpec.from_json({
    "name": "t", "version": "1", "stream": "transactions", "kind": "dense", "key": "account_id", "timestamp": "ts",
    "features": [
        {"name": "amount", "path": "amount", "encoding": "log1p"},
        {"name": "channel", "path": "channel", "encoding": "onehot", "categories": ["pos", "online", "7"]},
        {"name": "gap", "derived": "seconds_since_previous", "encoding": "numeric"},
        {"name": "hour", "derived": "hour_of_day", "encoding": "cyclic", "period": 24},
    ],
    "window": {"size": 1, "stride": 1},
})

SENSOR_SPEC = ModelSpec.from_json({
    "name": "s", "version": "1", "stream": "sensors", "kind": "dense", "key": "/sensor_id", "timestamp": "ts",
    "features": [
        {"name": "temperature", "path": "values.temperature", "encoding": "numeric"},
        {"name": "rpm", "path": "/values/rpm", "encoding": "numeric"},
        {"name": "angle", "path": "values.angle", "encoding": "cyclic", "period": 360},
    ],
    "window": {"size": 3, "stride": 2},
})


def tx(account="a", ts="2026-01-01T10:30:00.000Z", amount=12.5, channel="pos", **extra):
    return json.dumps({"account_id": account, "ts": ts, "amount": amount, "channel": channel, **extra}).encode()


def sensor(key, ts, temperature=70.0, rpm=1500.0, angle=90.0):
    return json.dumps({"sensor_id": key, "ts": ts, "values": {"temperature": temperature, "rpm": rpm, "angle": angle}}).encode()


def test_columns_follow_feature_order_and_encodings():
    assert TX_SPEC.columns == ["amount", "channel=pos", "channel=online", "channel=7", "gap", "hour:sin", "hour:cos"]


def test_numeric_takes_the_number_and_paths_may_be_dotted_or_pointers():
    event = Featurizer(SENSOR_SPEC).parse(sensor("p-1", 0, temperature=-3.25, rpm=1512))
    assert event.key == "p-1"
    assert event.columns[:2] == [-3.25, 1512.0]


def test_an_integer_key_is_its_decimal_digits_and_any_other_number_is_no_key():
    # As the job reads keys: Jackson's integral numbers, at any size, by their digits; the payloads
    # are written out because json.dumps would print 1e3 as 1000.0.
    featurizer = Featurizer(TX_SPEC)
    for text, key in (("42", "42"), ("-7", "-7"), ("-0", "0"), ("12345678901234567890123", "12345678901234567890123")):
        payload = b'{"account_id": %s, "ts": 1, "amount": 1, "channel": "pos"}' % text.encode()
        assert featurizer.parse(payload).key == key
    for text in ("1.5", "42.0", "1e3", "-2E-1"):
        with pytest.raises(DeadLetter) as rejected:
            featurizer.parse(b'{"account_id": %s, "ts": 1, "amount": 1, "channel": "pos"}' % text.encode())
        assert rejected.value.reason == "missing_key", text


def test_log1p_is_signed():
    featurizer = Featurizer(TX_SPEC)
    assert featurizer.parse(tx(amount=3.0)).columns[0] == pytest.approx(math.log(4.0), abs=1e-15)
    assert featurizer.parse(tx(amount=-3.0)).columns[0] == pytest.approx(-math.log(4.0), abs=1e-15)
    assert featurizer.parse(tx(amount=0)).columns[0] == 0.0


def test_onehot_marks_the_category_a_number_is_its_text_and_an_unknown_value_gives_zeros():
    featurizer = Featurizer(TX_SPEC)
    assert featurizer.parse(tx(channel="online")).columns[1:4] == [0.0, 1.0, 0.0]
    assert featurizer.parse(tx(channel=7)).columns[1:4] == [0.0, 0.0, 1.0]
    assert featurizer.parse(tx(channel="atm_abroad")).columns[1:4] == [0.0, 0.0, 0.0]


def test_cyclic_is_sin_and_cos_of_the_fraction_of_the_period():
    event = Featurizer(SENSOR_SPEC).parse(sensor("p", 0, angle=90.0))
    assert event.columns[2] == pytest.approx(1.0, abs=1e-15)
    assert event.columns[3] == pytest.approx(0.0, abs=1e-15)


def test_hour_of_day_is_fractional_utc_hour_of_the_event_time():
    featurizer = Featurizer(TX_SPEC)
    expected = [math.sin(2 * math.pi * 10.5 / 24), math.cos(2 * math.pi * 10.5 / 24)]
    for ts in ("2026-01-01T10:30:00Z", "2026-01-01T12:30:00+02:00", 1767263400000):
        assert featurizer.parse(tx(ts=ts)).columns[5:7] == pytest.approx(expected, abs=1e-15)


def test_timestamps_iso_with_offsets_and_epoch_millis_denote_the_same_instant():
    assert parse_timestamp("2026-01-01T00:00:01.000Z") == 1767225601000
    assert parse_timestamp("2026-01-01T01:00:01+01:00") == 1767225601000
    assert parse_timestamp("2025-12-31T23:00:01.000-01:00") == 1767225601000
    assert parse_timestamp(1767225601000) == 1767225601000
    # Below a millisecond is floored, like Instant.toEpochMilli.
    assert parse_timestamp("2026-01-01T00:00:01.0129999Z") == 1767225601012
    assert parse_timestamp("1969-12-31T23:59:59.9995Z") == -1


BAD = [
    (b"not json", "malformed_json"),
    (b'{"account_id": "a", ', "malformed_json"),
    (b"[1, 2]", "malformed_json"),
    (b"\xff\xfe{}", "malformed_json"),
    (json.dumps({"ts": 1, "amount": 1, "channel": "pos"}).encode(), "missing_key"),
    (tx(account=""), "missing_key"),
    (tx(account=None), "missing_key"),
    (tx(account=True), "missing_key"),
    (tx(ts=None), "bad_timestamp"),
    (tx(ts="yesterday"), "bad_timestamp"),
    (tx(ts="2026-02-30T00:00:00Z"), "bad_timestamp"),
    (tx(ts="2026-01-01T00:00:00"), "bad_timestamp"),  # no zone: not an instant
    (tx(ts=1767225601000.5), "bad_timestamp"),
    (tx(ts="1767225601000"), "bad_timestamp"),
    (json.dumps({"account_id": "a", "ts": 1, "channel": "pos"}).encode(), "missing_feature"),
    (tx(amount=None), "missing_feature"),
    (tx(channel=None), "missing_feature"),
    (tx(amount="12.5"), "non_numeric_feature"),
    (tx(amount=True), "non_numeric_feature"),
    (tx(channel={"kind": "pos"}), "non_numeric_feature"),
    (tx(amount=float("nan")), "non_finite_feature"),  # json.dumps writes the NaN literal
    (tx(amount=float("inf")), "non_finite_feature"),
    (tx(amount=10**400), "non_finite_feature"),
    # The first failing check names the reason: the key before the time before the features.
    (json.dumps({"ts": "bad", "channel": "pos"}).encode(), "missing_key"),
]


@pytest.mark.parametrize("payload, reason", BAD)
def test_records_the_job_would_dead_letter_are_rejected_with_its_reason(payload, reason):
    with pytest.raises(DeadLetter) as rejected:
        Featurizer(TX_SPEC).parse(payload)
    assert rejected.value.reason == reason


def test_a_number_that_overflows_float32_is_non_finite():
    Featurizer(SENSOR_SPEC).parse(sensor("p", 0, temperature=3.0e38))
    with pytest.raises(DeadLetter) as rejected:
        Featurizer(SENSOR_SPEC).parse(sensor("p", 0, temperature=3.5e38))
    assert rejected.value.reason == "non_finite_feature"


def test_oversized_payloads_are_rejected_before_parsing():
    with pytest.raises(DeadLetter) as rejected:
        Featurizer(TX_SPEC, max_payload_bytes=20).parse(tx())
    assert rejected.value.reason == "oversized"


def test_a_numeric_key_is_taken_as_its_decimal_text():
    assert Featurizer(TX_SPEC).parse(tx(account=42)).key == "42"


def test_events_are_ordered_per_key_by_time_with_ties_in_file_order():
    payloads = [
        tx("b", ts=3000, amount=1), tx("a", ts=2000, amount=2), tx("a", ts=1000, amount=3),
        tx("a", ts=2000, amount=4), tx("b", ts=1000, amount=5),
    ]
    table = build_table(TX_SPEC, payloads)
    assert [key for key, _, _ in table.segments] == ["b", "a"]  # keys in order of first appearance
    assert table.keys == ["b", "b", "a", "a", "a"]
    assert table.timestamps.tolist() == [1000, 3000, 1000, 2000, 2000]
    assert table.lines.tolist() == [4, 0, 2, 1, 3]  # the tie at 2000 keeps file order: line 1, then 3


def test_gap_is_seconds_since_the_key_previous_event_and_a_first_event_normalizes_to_zero():
    payloads = [tx("a", ts=1_000), tx("b", ts=1_200), tx("a", ts=3_500), tx("a", ts=3_500), tx("b", ts=61_200)]
    table = build_table(TX_SPEC, payloads)
    gap = table.columns[:, 4]
    assert np.isnan(gap[0]) and np.isnan(gap[3])  # first events of a and b
    assert gap[[1, 2, 4]].tolist() == [2.5, 0.0, 60.0]
    mean = np.array([0, 0, 0, 0, 7.25, 0, 0], np.float32)
    std = np.ones(7, np.float32)
    z = normalize(table.columns, mean, std)
    assert z[0, 4] == 0.0 and z[3, 4] == 0.0
    assert z[4, 4] == np.float32(60.0) - np.float32(7.25)


def test_dead_lettered_events_are_counted_and_are_not_a_previous_event():
    payloads = [tx("a", ts=1_000), tx("a", ts=2_000, amount="x"), b"{", tx("a", ts=4_000)]
    table = build_table(TX_SPEC, payloads)
    assert dict(table.dead_letters) == {"non_numeric_feature": 1, "malformed_json": 1}
    assert [(line, reason) for line, reason, _ in table.dead_letter_lines] == [(1, "non_numeric_feature"), (2, "malformed_json")]
    assert table.columns[1, 4] == 3.0


def test_normalization_casts_to_float32_then_computes_in_float32():
    table = build_table(SENSOR_SPEC, [sensor("p", 0, temperature=70.123456789)])
    mean = np.array([69.9, 1500, 0, 0], np.float32)
    std = np.array([0.3, 20, 1, 1], np.float32)
    z = normalize(table.columns, mean, std)
    assert z.dtype == np.float32
    assert z[0, 0] == (np.float32(70.123456789) - np.float32(69.9)) / np.float32(0.3)


def test_the_first_window_comes_after_size_events_then_one_every_stride_events():
    payloads = [sensor("p", ts, temperature=ts) for ts in range(7)] + [sensor("q", ts) for ts in range(2)]
    table = build_table(SENSOR_SPEC, payloads)
    z = normalize(table.columns, np.zeros(4, np.float32), np.ones(4, np.float32))
    windows = make_windows(table, z, size=3, stride=2)
    assert windows.keys == ["p", "p", "p"]  # q has 2 events: no window
    assert windows.positions.tolist() == [2, 4, 6]
    assert windows.timestamps.tolist() == [2, 4, 6]
    assert windows.windows.shape == (3, 3, 4)
    assert windows.windows[1, :, 0].tolist() == [2.0, 3.0, 4.0]  # oldest step first


RELATIVE_SPEC = ModelSpec.from_json({
    "name": "r", "version": "1", "stream": "transactions", "kind": "dense", "key": "account_id", "timestamp": "ts",
    "features": [
        {"name": "amount", "path": "amount", "encoding": "numeric"},
        {"name": "amount_vs_usual", "path": "amount", "encoding": "numeric", "relative": 0.5},
    ],
    "window": {"size": 1, "stride": 1},
})


def test_a_relative_column_is_the_value_minus_the_key_moving_mean_before_it():
    # Key a: 10, 20, 30, 60. Means before each: -, 10 (exact), 15 (exact, weight 1/2), 22.5 (then weight 0.5).
    payloads = [tx("a", ts=1, amount=10), tx("b", ts=2, amount=99), tx("a", ts=3, amount=20),
                tx("a", ts=4, amount=30), tx("a", ts=5, amount=60)]
    table = build_table(RELATIVE_SPEC, payloads)
    a_rows = [i for i, key in enumerate(table.keys) if key == "a"]
    assert table.columns[a_rows, 1].tolist() == [0.0, 10.0, 15.0, 37.5]
    b_rows = [i for i, key in enumerate(table.keys) if key == "b"]
    assert table.columns[b_rows, 1].tolist() == [0.0]  # each key has its own mean
    assert table.columns[a_rows, 0].tolist() == [10.0, 20.0, 30.0, 60.0]  # the absolute column is untouched


@pytest.mark.parametrize("feature, message", [
    ({"name": "x", "path": "x", "encoding": "numeric", "relative": 0}, "in \\(0, 1\\]"),
    ({"name": "x", "path": "x", "encoding": "onehot", "categories": ["a"], "relative": 0.1}, "numeric or log1p"),
    ({"name": "x", "derived": "seconds_since_previous", "encoding": "log1p", "relative": 0.1}, "seconds_since_previous"),
])
def test_relative_is_validated(feature, message):
    with pytest.raises(ValueError, match=message):
        ModelSpec.from_json({**json.loads(json.dumps({
            "name": "r", "version": "1", "stream": "s", "kind": "dense", "key": "k", "timestamp": "ts",
            "window": {"size": 1, "stride": 1}})), "features": [feature]})

"""Small synthetic event streams for tests, in the generator's formats (sensor readings and payment
transactions), keys interleaved by time as a topic would carry them."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone

import numpy as np

CATEGORIES = ["grocery", "restaurant", "fuel", "pharmacy", "clothing", "electronics", "travel", "utilities",
              "entertainment", "jewelry", "gambling", "crypto_exchange", "wire_transfer"]
CHANNELS = ["pos", "contactless", "online", "atm_abroad", "phone"]
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def sensor_lines(keys: int, events_per_key: int, seed: int = 0) -> list[str]:
    """Sensors reading once a second: slow correlated drifts plus noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(keys):
        phase = rng.uniform(0, 2 * math.pi)
        base_rpm = rng.uniform(1400, 1600)
        for i in range(events_per_key):
            load = math.sin(i / 40 + phase)
            rpm = base_rpm + 30 * load + rng.normal(0, 3)
            values = {
                "temperature": round(70 + 3 * load + rng.normal(0, 0.2), 3),
                "vibration": round(0.03 + 0.005 * load + rng.normal(0, 0.001), 5),
                "pressure": round(3.4 + 0.1 * load + rng.normal(0, 0.01), 4),
                "rpm": round(rpm, 2),
                "current": round(rpm / 125 + rng.normal(0, 0.05), 3),
            }
            ts = START_MS + i * 1000 + k * 7
            rows.append((ts, json.dumps({"sensor_id": f"pump-{k:04d}", "ts": iso(ts), "values": values})))
    rows.sort(key=lambda r: r[0])
    return [line for _, line in rows]


def transaction_lines(keys: int, events_per_key: int, seed: int = 0) -> list[str]:
    """Accounts with a few favourite merchant categories, daytime activity, amounts by category."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(keys):
        favourites = rng.choice(8, size=3, replace=False)
        ts = START_MS + int(rng.uniform(0, 3_600_000))
        for _ in range(events_per_key):
            ts += int(rng.exponential(3 * 3_600_000))
            hour = (ts // 3_600_000) % 24
            if hour < 7:  # nights are quiet: move to the morning
                ts += (7 - hour) * 3_600_000
            category = CATEGORIES[int(rng.choice(favourites))]
            channel = CHANNELS[0] if category in ("grocery", "fuel", "pharmacy") else CHANNELS[int(rng.integers(0, 3))]
            amount = round(float(rng.lognormal(3 + 0.2 * CATEGORIES.index(category), 0.5)), 2)
            stamp = iso(ts) if rng.random() < 0.5 else ts  # both timestamp forms occur
            rows.append((ts, json.dumps({"account_id": f"acc-{k:05d}", "ts": stamp, "amount": amount, "currency": "EUR",
                                         "merchant_category": category, "channel": channel,
                                         "merchant_id": f"m-{int(rng.integers(0, 500)):04d}"})))
    rows.sort(key=lambda r: r[0])
    return [line for _, line in rows]


def write(path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def machine_csv(keys: int = 3, rows_per_key: int = 120, seed: int = 0, key_column: bool = True,
                label_column: bool = True, anomaly_every: int = 50) -> str:
    """A labelled CSV (timestamp, [key], three correlated readings, [label]), keys interleaved by time,
    timestamps alternating between ISO-8601 and epoch milliseconds. Every ``anomaly_every``-th row of
    a key is a labelled spike (label 1); without a label column the spikes are left out."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(keys):
        phase = rng.uniform(0, 2 * math.pi)
        for i in range(rows_per_key):
            load = math.sin(i / 15 + phase)
            anomalous = label_column and anomaly_every > 0 and i % anomaly_every == anomaly_every - 1
            speed = 1500 + 40 * load + rng.normal(0, 2) + (400 if anomalous else 0)
            temperature = 60 + 4 * load + rng.normal(0, 0.2)
            power = speed / 100 + rng.normal(0, 0.05)
            ts = START_MS + i * 1000 + k * 3
            stamp = iso(ts) if i % 2 else str(ts)
            fields = [stamp] + ([f"m-{k}"] if key_column else []) + [f"{speed:.2f}", f"{temperature:.3f}", f"{power:.3f}"]
            rows.append((ts, ",".join(fields + (["1" if anomalous else "0"] if label_column else []))))
    rows.sort(key=lambda r: r[0])
    header = ["timestamp"] + (["key"] if key_column else []) + ["speed", "temperature", "power"] \
        + (["label"] if label_column else [])
    return ",".join(header) + "\n" + "".join(line + "\n" for _, line in rows)

#!/usr/bin/env python3
"""Turns the generator's JSON-lines file into `key<TAB>payload` lines for `kcat -K '\\t'`.

The key is the record's entity (sensor_id or account_id), as the generator's own Kafka producer
keys it, so a key's events share a partition; a malformed record without one gets the first
entity id found in its bytes, or "malformed". Never a null key: kcat spreads those at random, and
the end-to-end test compares two runs that must see the same partitions.
Usage: keyed.py IN.jsonl OUT.tsv
"""
import json
import re
import sys

ENTITY = re.compile(rb'"(?:sensor_id|account_id)"\s*:\s*"([^"\t\n]+)"')
ANY_ID = re.compile(rb'(pump-\d+|acc-\d+)')


def key_of(line: bytes) -> bytes:
    try:
        record = json.loads(line)
        if isinstance(record, dict):
            for field in ("sensor_id", "account_id"):
                if isinstance(record.get(field), str) and record[field]:
                    return record[field].encode()
    except (ValueError, UnicodeDecodeError):
        pass
    match = ENTITY.search(line) or ANY_ID.search(line)
    return match.group(1) if match else b"malformed"


def main(src: str, dst: str) -> None:
    count = 0
    with open(src, "rb") as inp, open(dst, "wb") as out:
        for line in inp:
            line = line.rstrip(b"\n")
            if b"\t" in key_of(line):
                raise SystemExit(f"a key with a tab at record {count + 1}")
            out.write(key_of(line) + b"\t" + line + b"\n")
            count += 1
    print(count)


if __name__ == "__main__":
    main(*sys.argv[1:3])

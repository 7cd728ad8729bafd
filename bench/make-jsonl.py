#!/usr/bin/env python3
"""Writes BYTES bytes of JSON Lines of user records to stdout (default 256 MB = 256,000,000 bytes).

Deterministic (fixed seed): the same size always gives the same bytes. The records are those of
bench/load/make-payload.py, one per line: every 4th carries an email, every 8th a card number
(passes Luhn), every 16th an SSN (valid area); the rest is names, cities, plans, timestamps, notes.
The last line is padded with spaces inside its notes so that the file has exactly BYTES bytes.

Usage: bench/make-jsonl.py [BYTES] > users.jsonl
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "load"))
from records import CITIES, FIRST, LAST, luhn_complete  # noqa: E402

rng = random.Random(8505)
NOTES = [
    "prefers email contact; renewal due next quarter",
    "asked for an invoice in EUR",
    "moved from the team plan in March",
    "support ticket 4411 closed",
    "",
]


def user(i):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    record = {
        "id": 1000 + i,
        "name": f"{first} {last}",
        "city": rng.choice(CITIES),
        "plan": rng.choice(["free", "team", "enterprise"]),
        "created": f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T10:{rng.randrange(60):02d}:00Z",
        "active": rng.random() < 0.8,
        "notes": rng.choice(NOTES),
    }
    if i % 4 == 0:
        record["email"] = f"{first.lower()}.{last.lower()}{i % 97}@example.com"
    if i % 8 == 0:
        record["card"] = luhn_complete(rng, rng.choice(["4", "51", "37"]), 15 if i % 24 == 16 else 16)
    if i % 16 == 0:
        record["ssn"] = f"{rng.randrange(100, 600):03d}-{rng.randrange(10, 99):02d}-{rng.randrange(1000, 9999):04d}"
    return record


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 256_000_000
    out = sys.stdout.buffer
    written, i, batch = 0, 0, []
    while True:
        line = (json.dumps(user(i), separators=(",", ":")) + "\n").encode()
        if written + len(line) + 200 > size:
            break
        batch.append(line)
        written += len(line)
        i += 1
        if len(batch) == 10_000:
            out.write(b"".join(batch))
            batch = []
    out.write(b"".join(batch))
    pad = size - written - len(b'{"id":0,"notes":""}\n')
    out.write(b'{"id":0,"notes":"' + b" " * pad + b'"}\n')


if __name__ == "__main__":
    main()

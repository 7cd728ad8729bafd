#!/usr/bin/env python3
"""Writes the load test's JSON response: about 7 KB of user records, a few with sensitive values.

Deterministic (fixed seed), so every run serves the same bytes. Card numbers pass Luhn, SSNs are
in valid areas, emails are at example domains: the redact run has real work to do.
"""
import json
import random
import sys

from records import CITIES, FIRST, LAST, luhn_complete

rng = random.Random(8505)


def user(i):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    record = {
        "id": 1000 + i,
        "name": f"{first} {last}",
        "city": rng.choice(CITIES),
        "plan": rng.choice(["free", "team", "enterprise"]),
        "created": f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T10:{rng.randrange(60):02d}:00Z",
        "active": rng.random() < 0.8,
        "notes": "prefers email contact; renewal due next quarter",
    }
    if i % 4 == 0:
        record["email"] = f"{first.lower()}.{last.lower()}@example.com"
    if i % 8 == 0:
        record["card"] = luhn_complete(rng, "4", 16)
    if i % 16 == 0:
        record["ssn"] = f"{rng.randrange(100, 600):03d}-{rng.randrange(10, 99):02d}-{rng.randrange(1000, 9999):04d}"
    return record


users, i = [], 0
while len(json.dumps({"users": users})) < 7000:
    users.append(user(i))
    i += 1
json.dump({"users": users, "page": 1, "total": len(users)}, sys.stdout, indent=None)

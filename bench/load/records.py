"""What the benchmark data generators share: the names and cities of their user records, and card
numbers that pass Luhn. Imported by bench/load/make-payload.py and bench/make-jsonl.py."""

FIRST = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea"]
LAST = ["Silva", "Okafor", "Novak", "Haddad", "Kim", "Larsen", "Moreau", "Rossi", "Sato", "Weber"]
CITIES = ["Lisbon", "Lagos", "Prague", "Beirut", "Busan", "Oslo", "Lyon", "Turin", "Osaka", "Bremen"]


def luhn_complete(rng, prefix, length):
    """Returns a card number of `length` digits starting with `prefix`, its check digit by Luhn."""
    digits = [int(c) for c in prefix] + [rng.randrange(10) for _ in range(length - len(prefix) - 1)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)

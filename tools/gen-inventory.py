#!/usr/bin/env python3
"""Generates a messy, fictional phone inventory (CSV) for benchmarks.

    gen-inventory.py ROWS [--listed-every N] [--list-size N] > inventory.csv
    gen-inventory.py --list N > list.txt

Numbers are fictional: the 555 exchange of several NANP area codes for listed
numbers, the 556 exchange for the others, and UK drama numbers (020 7946 0xxx). The inventory uses every quirk
hushlist accepts (national and international formats, tel: URIs, extensions,
00/011 prefixes, (0) trunk digits, full-width digits, quoted fields, CRLF, blank
lines, a region column) plus about 1% rows that are not numbers. One row in
--listed-every (default 1000) holds a number from the --list output. Expected
counts go to stderr as JSON, so a benchmark can check the report is correct.
"""
import json
import random
import sys

AREAS = [201, 202, 212, 213, 305, 312, 313, 404, 415, 503, 617, 702, 713, 808, 917]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def listed(i):
    """The i-th number of the publisher's list (E.164 digits after +1)."""
    return AREAS[i % len(AREAS)], i // len(AREAS)


def spell(area, line, rng, exchange=555):
    n, x = f"{line:04d}", exchange
    choice = rng.randrange(11)
    if choice == 0:
        return f"({area}) {x}-{n}"
    if choice == 1:
        return f"+1 {area} {x} {n}"
    if choice == 2:
        return f"{area}.{x}.{n}"
    if choice == 3:
        return f"tel:+1-{area}-{x}-{n}"
    if choice == 4:
        return f"011 1 {area} {x} {n}"
    if choice == 5:
        return f"{area}-{x}-{n} ext. {rng.randrange(10, 99)}"
    if choice == 6:
        return f"{area}{x}{n}".translate(FULLWIDTH)
    if choice == 7:
        return f"1-{area}-{x}-{n}"
    if choice == 8:
        return f"+1{area}{x}{n}"
    if choice == 9:
        return f"\"{area} {x} {n}\""
    return f"{area} {x} {n}"


def main():
    args = sys.argv[1:]
    if args and args[0] == "--list":
        for i in range(int(args[1])):
            area, line = listed(i)
            print(f"+1 {area} 555 {line:04d}")
        return
    rows = int(args[0])
    every = int(args[args.index("--listed-every") + 1]) if "--listed-every" in args else 1000
    list_size = int(args[args.index("--list-size") + 1]) if "--list-size" in args else 10_000
    rng = random.Random(20261128)
    out = sys.stdout
    out.write("\ufeffemployee,department,device,phone,country\r\n")
    expected = {"rows": 0, "invalid": 0, "empty": 0, "possible_matches_at_least": 0}
    for r in range(rows):
        if r % 5000 == 4999:
            out.write("\r\n")  # blank lines are skipped, not counted
        name = f"\"Doe, Employee {r}\"" if r % 3 == 0 else f"Employee {r}"
        dept = rng.choice(["Sales", "Fleet", "IT", "HR", "Legal", "Ops"])
        device = f"SIM {r:07d}"
        country = ""
        if r % every == 0:
            area, line = listed(rng.randrange(list_size))
            phone = spell(area, line, rng)
            expected["possible_matches_at_least"] += 1
        elif rng.random() < 0.01:
            phone = rng.choice(["n/a", "unknown", "call reception", "555", ""])
            # An empty cell is an optional field left blank, not a bad row.
            expected["empty" if phone == "" else "invalid"] += 1
        elif rng.random() < 0.05:
            phone, country = f"020 7946 0{rng.randrange(1000):03d}", "GB"
        else:
            # Exchange 556: never on the list, so any match there is a false positive.
            phone = spell(rng.choice(AREAS), rng.randrange(10_000), rng, exchange=556)
        out.write(f"{name},{dept},{device},{phone},{country}\r\n")
        expected["rows"] += 1
    json.dump(expected, sys.stderr)
    sys.stderr.write("\n")


if __name__ == "__main__":
    main()

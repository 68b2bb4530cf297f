"""What an analyst writes without hushlist, for the ratio in BENCHMARKS.md:
pandas reads the export, `phonenumbers` reads each cell under the row's
region (or US), `hashlib` hashes its E.164 with a salt, and a Python set of
hashed listed numbers answers. Slower and weaker than the package (one region
per row, no doubtful numbers, a plain SHA-256 anyone can reverse), it is the
baseline: python analyst.py LIST.txt CELLS.csv"""

import hashlib
import sys
import time

import pandas as pd
import phonenumbers

listed_file, cells = sys.argv[1:]
salt = b"per-epoch salt, 32 bytes.........."
listed = {hashlib.sha256(salt + line.strip().encode()).digest()
          for line in open(listed_file, encoding="utf-8") if line.strip()}
frame = pd.read_csv(cells, dtype=str, keep_default_na=False)
REGIONS = {"": "US", "US": "US", "USA": "US", "GB": "GB", "UK": "GB"}


def check(cell, country):
    try:
        number = phonenumbers.parse(cell, REGIONS.get(country.strip(), "US"))
    except phonenumbers.NumberParseException:
        return False
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return hashlib.sha256(salt + e164.encode()).digest() in listed


started = time.perf_counter()
matched = sum(check(c, r) for c, r in zip(frame["phone"], frame["country"]))
seconds = time.perf_counter() - started
print(f"analyst script: {len(frame)} cells: {seconds:.3f} s, {len(frame) / seconds:.0f} cells/s, {matched} matched")

"""`List.check_column` on a CSV's phone and country columns, timed in process
(tools/bench-python.sh): python columnar.py SITE KEY CELLS.csv [REGION...]"""

import os
import sys
import time

import pyarrow.csv as pacsv

import hushlist

site, key, cells, *regions = sys.argv[1:]
lst = hushlist.List.open(site, key)
table = pacsv.read_csv(cells, convert_options=pacsv.ConvertOptions(
    column_types={"phone": "string", "country": "string"}, strings_can_be_null=False))
phones, countries = table.column("phone"), table.column("country")
for round in range(1, int(os.environ.get("ROUNDS", "3")) + 1):
    started = time.perf_counter()
    result = lst.check_column(phones, region_column=countries, regions=regions, key_cache=False)
    seconds = time.perf_counter() - started
    matched = result.verdicts.column("matched").to_pylist().count(True)
    print(f"round {round}: column of {len(phones)} cells: {seconds:.3f} s, {len(phones) / seconds:.0f} cells/s, "
          f"{matched} matched")

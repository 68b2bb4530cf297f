#!/usr/bin/env bash
# End-to-end benchmark of `hushlist check`: fast-mode throughput and peak
# memory at 10^4 and 10^6 rows (every output format at 10^6, checked against
# the generator's expected counts), Argon2id scaling over threads, and the
# cached re-check. Prints the figures BENCHMARKS.md records. Takes a few
# minutes on 2 cores; not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --workspace --quiet
bin=$PWD/target/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# GNU time notes a non-zero exit; check exits 1 when it finds possible matches, as here.
measure() { /usr/bin/time -f "%e s wall, %M KiB peak RSS" "$@" 2>&1 | grep -v "Command exited with non-zero status 1"; }

echo "== machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
python3 tools/gen-inventory.py --list 10000 > "$work/list.txt"
"$bin/hushlist-publish" keygen --unencrypted --out-dir "$work/keys" --name bench >/dev/null
"$bin/hushlist-publish" build --key "$work/keys/bench.key" --input "$work/list.txt" --region US \
  --kdf blake3 --valid-for 1d --out "$work/fast" >/dev/null
# The Argon2id runs measure scaling over threads and the cache, so they use the
# version 1 parameters (m=19456 KiB, t=2): at the defaults (128 MiB, t=3, about
# 0.2 s per hash) the same runs take hours. BENCHMARKS.md has the defaults' costs.
head -n 1000 "$work/list.txt" > "$work/list-1000.txt"
"$bin/hushlist-publish" build --key "$work/keys/bench.key" --input "$work/list-1000.txt" --region US \
  --argon2-memory 19456 --argon2-passes 2 --valid-for 1d --out "$work/slow" 2>/dev/null | tail -1

check=("$bin/hushlist" check --key "$work/keys/bench.pub" --region US --region-column country)

for rows in 10000 1000000; do
  python3 tools/gen-inventory.py "$rows" > "$work/inv-$rows.csv" 2> "$work/expected-$rows.json"
done

echo "== fast mode (BLAKE3), CSV report to a file"
for rows in 10000 1000000; do
  printf '%8d rows: ' "$rows"
  measure "${check[@]}" --snapshot "$work/fast" --format csv --output "$work/out.csv" "$work/inv-$rows.csv" 2>&1 \
    | grep -v 'report written' || true
done

echo "== 10^6 rows, every format (counts checked against the generator)"
expected=$(cat "$work/expected-1000000.json")
for format in table csv json jsonl; do
  printf '%6s: ' "$format"
  measure "${check[@]}" --snapshot "$work/fast" --format "$format" --output "$work/out.$format" \
    --report "$work/out.html" "$work/inv-1000000.csv" 2>&1 | grep -v 'report written' || true
done
python3 - "$work" "$expected" <<'PY'
import json, sys
work, expected = sys.argv[1], json.loads(sys.argv[2])
report = json.load(open(f"{work}/out.json"))
s = report["summary"]
assert s["rows"] == expected["rows"], (s, expected)
assert s["not_numbers"] == expected["invalid"], (s, expected)
assert s["empty"] == expected["empty"], (s, expected)
assert s["possible_matches"]["rows"] >= expected["possible_matches_at_least"], (s, expected)
lines = open(f"{work}/out.jsonl").read().splitlines()
assert json.loads(lines[-1])["summary"] == s
csv = open(f"{work}/out.csv").read().splitlines()
assert sum(l.startswith("invalid,") for l in csv) == s["not_numbers"]
assert sum(l.startswith("possible_match,") for l in csv) == s["possible_matches"]["cells"]
table = open(f"{work}/out.table").read()
assert f"{s['rows']} rows read" in table
html = open(f"{work}/out.html").read()
assert "POSSIBLE MATCHES" in html and "http" not in html.split("<footer>")[0].lower().replace("https", "")
print(f"   reports agree: {s['rows']} rows, {s['not_numbers']} not numbers, {s['empty']} empty, "
      f"{s['possible_matches']['rows']} possible matches "
      f"({expected['possible_matches_at_least']} planted)")
PY

echo "== normalization alone vs fast mode: see 'cargo bench --bench throughput'"

echo "== Argon2id (m=19456 KiB, t=2, p=1), 2000 rows, no cache"
python3 tools/gen-inventory.py 2000 > "$work/inv-2000.csv" 2>/dev/null
for jobs in 1 2; do
  printf 'jobs=%d: ' "$jobs"
  measure "${check[@]}" --snapshot "$work/slow" --jobs "$jobs" --no-cache --format csv --output "$work/o.csv" \
    "$work/inv-2000.csv" 2>&1 | grep -v 'report written' || true
done
cargo run --release --quiet --example hash_cost -- 19456 2 1 100 | sed -n 2p

echo "== cached re-check, Argon2id, 2000 rows"
for run in first second; do
  printf '%6s: ' "$run"
  HUSHLIST_CACHE_DIR="$work/cache" measure "${check[@]}" --snapshot "$work/slow" --format csv \
    --output "$work/o.csv" "$work/inv-2000.csv" 2>&1 | grep -v 'report written' || true
done

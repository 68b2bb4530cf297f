#!/usr/bin/env bash
# The Python package's benchmark, side by side in one run (BENCHMARKS.md,
# "Python and clusters"): the columnar call against the Rust library on the
# same 10^6 cells (fast mode), the script an analyst would write otherwise
# (pandas + phonenumbers + hashlib) on the same cells, and Dask with 2 worker
# processes against 1 at the Argon2id defaults. Not part of CI: about 10
# minutes on 2 cores. Needs a venv with the package and pandas, dask,
# phonenumbers (python/tests/run makes one; pip install phonenumbers).
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-target/python-venv/bin/python}
rows=${ROWS:-1000000}
cargo build --release --quiet -p hushlist-publish
cargo build --release --quiet -p hushlist --example column_cost
bin=$PWD/target/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
python3 tools/gen-inventory.py --list 10000 > "$work/list.txt"
python3 tools/gen-inventory.py "$rows" > "$work/cells.csv" 2>/dev/null
"$bin/hushlist-publish" keygen --unencrypted --out-dir "$work/keys" --name bench >/dev/null
"$bin/hushlist-publish" build --key "$work/keys/bench.key" --input "$work/list.txt" --region US \
  --kdf blake3 --valid-for 1d --out "$work/fast" >/dev/null

echo "== $rows cells, fast mode (BLAKE3), regions US GB, each row's country column"
# The two run in turn, one round each, five times: this machine's speed
# drifts, and a ratio taken pair by pair stays meaningful when it does.
echo "-- Rust library (CheckRun::column) and Python package (List.check_column on a pyarrow column), in process, in turn"
ratios=()
for pair in 1 2 3 4 5; do
  rust=$(ROUNDS=1 "$bin/examples/column_cost" "$work/fast" "$work/keys/bench.pub" "$work/cells.csv" US GB)
  python=$(ROUNDS=1 "$py" python/bench/columnar.py "$work/fast" "$work/keys/bench.pub" "$work/cells.csv" US GB)
  echo "pair $pair: rust ${rust#*cells: }"
  echo "pair $pair: python ${python#*cells: }"
  r=${rust% cells/s*}; r=${r##* }; p=${python% cells/s*}; p=${p##* }
  ratios+=("$(python3 -c "print(f'{$p / $r:.2f}')")")
  echo "pair $pair: python/rust throughput ${ratios[-1]}"
done
echo "median python/rust throughput: $(printf '%s\n' "${ratios[@]}" | sort -n | sed -n 3p)"
echo "-- pandas + phonenumbers + hashlib"
tr -d ' ' < "$work/list.txt" > "$work/list-e164.txt"
"$py" python/bench/analyst.py "$work/list-e164.txt" "$work/cells.csv"

echo "== Dask, Argon2id defaults (the demo list: m=128 MiB, t=3, p=1), no key cache"
"$py" python/bench/dask_scaling.py fixtures/demo-published fixtures/keys/demo-TEST-ONLY.pub "${DASK_NUMBERS:-96}" 3

#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) with cargo-fuzz on
# nightly Rust, seeded from the committed inputs (fuzz/seeds, fuzz/regressions).
# New interesting inputs go to fuzz/corpus/TARGET (not committed); a crash
# stops with its input in fuzz/artifacts/TARGET: minimize it
# (`cargo +nightly fuzz tmin TARGET FILE`), fix, and commit it under
# fuzz/regressions/TARGET so the stable test `cli/tests/fuzz_corpus.rs` replays it.
#
#   tools/fuzz.sh [SECONDS] [TARGET...]
# Needs: rustup toolchain install nightly; cargo install cargo-fuzz.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-60}"
shift || true
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
cargo +nightly fuzz build -O
status=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  dirs=("corpus/$t")
  for d in "seeds/$t" "regressions/$t"; do
    [ -d "$d" ] && dirs+=("$d")
  done
  echo "== $t: ${seconds}s"
  # RSS limit: sign_verify builds snapshots; nothing else needs much.
  if cargo +nightly fuzz run -O "$t" "${dirs[@]}" -- \
      -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 \
      2> "corpus/$t.log"; then
    grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "corpus/$t.log" | tail -2 || true
  else
    status=1
    echo "!! $t failed; see fuzz/corpus/$t.log and fuzz/artifacts/$t/"
    # A build failure has no panic line: that must not end the run (pipefail).
    grep -E 'panicked|ERROR|^error' "corpus/$t.log" | head -5 || true
  fi
done
exit "$status"

#!/usr/bin/env bash
# Benchmark of sealed snapshots (RFC 9497 VOPRF) and their evaluation
# service, `hushlist-publish serve`, all on 127.0.0.1:
#
#   first-check   first `hushlist check` of a 3,000-row inventory with an empty
#                 key cache: sealed (service on this machine) vs Argon2id at the
#                 default parameters (several minutes: about 0.3 s of CPU per
#                 hash), same matches required; then the re-check, cache warm
#   throughput    evaluations per second of `serve --threads 1`: 2 clients,
#                 batches of 4096, 15 s; per server CPU-second as well
#   concurrency   50 clients with 50 tokens, batches of 100, 20 s: latency,
#                 no error allowed
#
#   tools/bench-sealed.sh [all|first-check|throughput|concurrency]...
#
# Builds in release into $CARGO_TARGET_DIR (default /tmp/benchtarget), works in
# a temporary directory (removed at exit, the service stopped), and prints a
# Markdown summary last. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."

parts=" ${*:-all} "
case "$parts" in *" all "*) parts=" first-check throughput concurrency " ;; esac
for p in $parts; do
  case "$p" in first-check | throughput | concurrency) ;;
  *) echo "usage: $0 [all|first-check|throughput|concurrency]..." >&2; exit 2 ;; esac
done
wants() { [[ "$parts" == *" $1 "* ]]; }

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/benchtarget}
cargo build --release --quiet -p hushlist -p hushlist-cli -p hushlist-publish --example evaluation_load
bin=$CARGO_TARGET_DIR/release
load=$bin/examples/evaluation_load

work=$(mktemp -d /tmp/bench-sealed.XXXXXX)
server=""
stop_server() {
  if [[ -n "$server" ]]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
}
# KEEP=1 keeps the directory (logs, reports) for a look afterwards.
trap 'stop_server; if [[ -n "${KEEP:-}" ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi' EXIT
# The clients read no configuration, token or cache of the user's.
unset HUSHLIST_TOKEN HUSHLIST_TOKEN_FILE HUSHLIST_EVALUATION_URL HUSHLIST_JOBS HUSHLIST_FORMAT HUSHLIST_CONFIG
export XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache XDG_STATE_HOME=$work/state

summary=$work/summary.md
tick=$(getconf CLK_TCK)
note() { echo "$*" >&2; }
row() { echo "$*" >> "$summary"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# CPU seconds (user + system) a process has used so far.
cpu_of() { awk -v t="$tick" '{printf "%.2f", ($14 + $15) / t}' "/proc/$1/stat"; }
now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<< "$2"; }

# ---- keys, list, inventory, publications, clients -----------------------
note "== setup in $work ($(nproc) cores, load $(loadavg))"
"$bin/hushlist-publish" keygen --out-dir "$work/keys" --unencrypted > /dev/null
"$bin/hushlist-publish" keygen --out-dir "$work/keys" --oprf --unencrypted > /dev/null
key=$work/keys/hushlist.key pub=$work/keys/hushlist.pub oprf=$work/keys/hushlist.oprf.key
python3 tools/gen-inventory.py --list 300 > "$work/list.txt"
# One row in 100 holds a listed number: about 30 planted matches.
python3 tools/gen-inventory.py 3000 --listed-every 100 --list-size 300 \
  > "$work/inventory.csv" 2> "$work/expected.json"
build() { # OUT KDF-ARGS...
  local out=$1; shift
  "$bin/hushlist-publish" build --key "$key" --input "$work/list.txt" --region US \
    --valid-for 30d --publisher-name "Bench" --publisher-contact "bench@example.invalid" \
    --out "$out" "$@" > "$out.log" 2>&1 || { cat "$out.log" >&2; exit 2; }
}
# The snapshot names an https:// service as it must; the clients are pointed
# at the plain-http test service on this machine instead.
build "$work/sealed" --kdf voprf --oprf-key "$oprf" --evaluation-url https://127.0.0.1:8443/evaluate
snapshot=$(ls "$work"/sealed/snapshot-*.hushlist | tail -n 1)
db=$work/clients.db
register() { # NAME TOKEN-FILE
  "$bin/hushlist-publish" clients --db "$db" add "$1" --quota 1000000000 --token-file "$2" > /dev/null
}
mkdir -m 700 "$work/tokens" "$work/tokens-2" "$work/tokens-50"
register first-check "$work/tokens/first-check"
for i in 1 2; do register "throughput-$i" "$work/tokens-2/$i"; done
for i in $(seq -w 1 50); do register "client-$i" "$work/tokens-50/$i"; done

url=""
start_server() { # THREADS-ARGS...
  local log=$work/serve.$RANDOM.log
  "$bin/hushlist-publish" serve --out "$work/sealed" --oprf-key "$oprf" --db "$db" \
    --listen 127.0.0.1:0 "$@" 2> "$log" &
  server=$!
  for _ in $(seq 100); do
    url=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1\/evaluate/p' "$log")
    [[ -n "$url" ]] && break
    kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 2; }
    sleep 0.1
  done
  [[ -n "$url" ]] || { echo "serve did not start" >&2; cat "$log" >&2; exit 2; }
  serve_log=$log
}
evaluations() { curl -sf "${url%/evaluate}/metrics" | awk '/^hushlist_evaluations_total/ {print $2}'; }

{
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -m), $(date -u +%Y-%m-%d); list of 300 numbers, US"
  echo
} >> "$summary"

# ---- a. first check ---------------------------------------------------------
if wants first-check; then
  note "== first check: building the Argon2id publication (default parameters)"
  build "$work/argon2" --kdf argon2id
  grep -h 'took' "$work/argon2.log" >&2 || true
  for mode in sealed argon2; do
    "$bin/hushlist" --state-dir "$work/st-$mode" init --key "$pub" --url http://127.0.0.1:1/ \
      --allow-http > /dev/null 2>&1
    "$bin/hushlist" --state-dir "$work/st-$mode" import "$work/$mode" > /dev/null
  done
  start_server
  check() { # MODE RUN-NAME: wall seconds and the summary's figures
    local mode=$1 run=$2 extra=()
    [[ $mode == sealed ]] && extra=(--token-file "$work/tokens/first-check" --evaluation-url "$url")
    local t0 t1 rc=0
    t0=$(now)
    HUSHLIST_CACHE_DIR=$work/cache-$mode /usr/bin/time -f "%U %S %M" -o "$work/time.$mode.$run" \
      "$bin/hushlist" --state-dir "$work/st-$mode" check --region US --region-column country \
      --no-history --format json --output "$work/report.$mode.$run.json" "${extra[@]}" \
      "$work/inventory.csv" 2> "$work/check.$mode.$run.log" || rc=$?
    t1=$(now)
    if [[ $rc -gt 1 ]]; then cat "$work/check.$mode.$run.log" >&2; exit 2; fi
    python3 - "$work/report.$mode.$run.json" "$(calc "$t1 - $t0")" "$work/time.$mode.$run" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
user, sys_, rss = open(sys.argv[3]).read().split()[-3:]
pm = s["possible_matches"]
print(f'{float(sys.argv[2]):.2f} {float(user) + float(sys_):.1f} {int(rss) // 1024} '
      f'{pm["numbers"]} {pm["rows"]} {s["hashed"]} {s["from_cache"]}')
PY
  }
  before=$(evaluations) load0=$(loadavg)
  r=$(check sealed first)
  read -r s_wall s_cpu s_rss s_num s_rows s_hashed _ <<< "$r"
  asked=$(( $(evaluations) - before ))
  r=$(check sealed again)
  read -r s2_wall _ _ _ _ _ s2_cached <<< "$r"
  note "   sealed: ${s_wall} s (then ${s2_wall} s cached); Argon2id now, several minutes..."
  r=$(check argon2 first)
  read -r a_wall a_cpu a_rss a_num a_rows a_hashed _ <<< "$r"
  r=$(check argon2 again)
  read -r a2_wall _ _ _ _ _ a2_cached <<< "$r"
  load1=$(loadavg)
  stop_server
  planted=$(python3 -c "import json; print(json.load(open('$work/expected.json'))['possible_matches_at_least'])")
  same=yes; [[ "$s_num/$s_rows" == "$a_num/$a_rows" ]] || same="NO: MISMATCH"
  row "### First check of a 3,000-row inventory, empty key cache"
  row
  row "| mode | first check (wall) | CPU (user+sys) | peak RSS | keys computed | possible matches | re-check, cache warm |"
  row "|---|---|---|---|---|---|---|"
  row "| sealed (VOPRF, service on 127.0.0.1, $asked evaluations in one request) | **${s_wall} s** | ${s_cpu} s | ${s_rss} MiB | $s_hashed | $s_num numbers on $s_rows rows | ${s2_wall} s ($s2_cached from cache) |"
  row "| Argon2id m=128 MiB, t=3, p=1, $(nproc) threads | **${a_wall} s** | ${a_cpu} s | ${a_rss} MiB | $a_hashed | $a_num numbers on $a_rows rows | ${a2_wall} s ($a2_cached from cache) |"
  row
  row "Same matches in both modes: $same ($planted rows planted). Sealed is $(calc "round($a_wall / $s_wall)")x faster. Load average $load0 before, $load1 after."
  row
fi

# ---- b. throughput, one worker thread ---------------------------------------
if wants throughput; then
  note "== throughput: serve --threads 1, 2 clients, batches of 4096, 15 s"
  start_server --threads 1
  before=$(evaluations) cpu0=$(cpu_of "$server") load0=$(loadavg)
  out=$(/usr/bin/time -f "loadtool_cpu=%U+%S" "$load" "$snapshot" "$url" "$work/tokens-2" 2 15s 4096 2>&1) \
    || { echo "$out" >&2; exit 2; }
  cpu1=$(cpu_of "$server") served=$(( $(evaluations) - before )) load1=$(loadavg)
  stop_server
  echo "$out" | grep -v '^summary' >&2
  s=$(grep '^summary' <<< "$out")
  wall=$(field wall_s "$s") elements=$(field elements "$s")
  server_cpu=$(calc "round($cpu1 - $cpu0, 2)")
  tool_cpu=$(calc "$(sed -n 's/.*loadtool_cpu=\([0-9.+]*\).*/\1/p' <<< "$out")")
  row "### Evaluation service throughput (\`serve --threads 1\`), 2 clients, batches of 4096, $wall s"
  row
  row "| evaluations | per second (wall) | server CPU | **per server CPU-second** | server cores used | load tool CPU (blind + verify) | latency p50 / p99 | errors |"
  row "|---|---|---|---|---|---|---|---|"
  row "| $elements (service counted $served) | $(field eval_per_s "$s") | $server_cpu s | **$(calc "round($elements / $server_cpu)")** | $(calc "round($server_cpu / $wall, 2)") | $(calc "round($tool_cpu, 1)") s ($(calc "round($tool_cpu * 1e6 / $elements)") µs per number) | $(field p50_ms "$s") / $(field p99_ms "$s") ms | $(field errors "$s") |"
  row
  row "The clients run on the same $(nproc) cores and cost more CPU per number than the service, so the wall rate is bounded by them; the per-CPU-second figure is the service's capacity per core. Load average $load0 before, $load1 after."
  row
fi

# ---- c. 50 concurrent clients ------------------------------------------------
if wants concurrency; then
  note "== concurrency: 50 clients, 50 tokens, batches of 100, 20 s"
  start_server
  cpu0=$(cpu_of "$server") load0=$(loadavg)
  rc=0
  out=$("$load" "$snapshot" "$url" "$work/tokens-50" 50 20s 100 2>&1) || rc=$?
  cpu1=$(cpu_of "$server") load1=$(loadavg)
  bad=$(grep 'outcome=' "$serve_log" | grep -vc 'outcome=ok$' || true)
  stop_server
  echo "$out" | grep -v '^summary' >&2
  [[ $rc -le 1 ]] || exit 2
  s=$(grep '^summary' <<< "$out")
  errors=$(field errors "$s")
  row "### 50 concurrent clients (50 tokens), batches of 100, $(field wall_s "$s") s, default worker threads"
  row
  row "| requests | evaluations/s | latency p50 | p90 | p99 | max | errors | server CPU |"
  row "|---|---|---|---|---|---|---|---|"
  row "| $(field requests "$s") | $(field eval_per_s "$s") | **$(field p50_ms "$s") ms** | $(field p90_ms "$s") ms | **$(field p99_ms "$s") ms** | $(field max_ms "$s") ms | $errors (service logged $bad not ok) | $(calc "round($cpu1 - $cpu0, 1)") s |"
  row
  row "Load average $load0 before, $load1 after."
  row
  if [[ $errors != 0 || $bad != 0 ]]; then
    grep '^errors' <<< "$out" >&2
    echo "FAIL: requests failed under 50 concurrent clients" >&2
    cat "$summary"
    exit 1
  fi
fi

echo
cat "$summary"

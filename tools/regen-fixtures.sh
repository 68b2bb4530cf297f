#!/usr/bin/env bash
# Regenerates fixtures/: the demo key pair (only when missing: it is never
# replaced), the demo published directory (valid for 10 years) and the format
# test vectors. Run from anywhere; commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --workspace --quiet
bin=target/debug
keys=fixtures/keys
name=demo-TEST-ONLY

if [ ! -f "$keys/$name.key" ]; then
  "$bin/hushlist-publish" keygen --unencrypted --out-dir "$keys" --name "$name"
  # Untrusted comments are not signed: mark both files as test material.
  sed -i '1s/.*/untrusted comment: TEST-ONLY hushlist demo key, public in the repository: never use it for a real list/' \
    "$keys/$name.key" "$keys/$name.pub"
fi
# git does not keep file modes beyond the executable bit; hushlist refuses
# secret keys others can read.
chmod 600 "$keys/$name.key"

rm -rf fixtures/demo-published
# A fresh directory each time: its ledger is kept outside the repository.
ledger=$(mktemp -d)
trap 'rm -rf "$ledger"' EXIT
"$bin/hushlist-publish" build --key "$keys/$name.key" --ledger-dir "$ledger" --input fixtures/demo-list.csv \
  --column phone --region US --valid-for 10y --test-fixture-validity --out fixtures/demo-published \
  --publisher-name "Demo Helpline (TEST ONLY)" --publisher-contact "confirm@example.org" \
  --confirm-url "https://example.org/confirm" \
  --confirm-text "Send the number and the date of the snapshot; we confirm or withdraw each match within one working day."

cargo run --quiet -p hushlist-cli --example write_vectors -- fixtures/vectors

#!/usr/bin/env bash
# The WAL's length under writes, and under writes beside reads, on a seeded database:
#   bench/wal.sh BINARY DATABASE        (env: N = users seeded, default 1000; SECS, default 5)
# Seed the database first as bench/run.sh does (bench/seed.py, then `userstore import`), and
# copy it per binary to compare two. Prints each phase's wrk line and the -wal file's size
# after it, and the size once the server has stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1; db=$2; n=${N:-1000}; secs=${SECS:-5}
auth=$(printf 'admin:Bench-user-pw1' | base64 -w0)
out=$(mktemp)
RUST_LOG=warn "$bin" serve --listen 127.0.0.1:0 --database "$db" > "$out" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q "userstore ready" "$out" && break; sleep 0.1; done
addr=$(grep -o 'http://[0-9.:]*' "$out" | head -n1)
wal() { stat -c %s "$db-wal" 2>/dev/null || echo 0; }
drive() { OP=$1 USERS=$n AUTH=$auth wrk -t"$2" -c"$3" -d"$4s" --timeout 10s -s bench/soap.lua "$addr" | tail -n1; }
for op in setUserClaimValue scimPatchUser; do
  echo "$op c=64: $(drive "$op" 2 64 "$secs") wal_bytes=$(wal)"
done
reads=$(mktemp)
drive getUserClaimValue 1 32 "$((secs + 1))" > "$reads" &
reader=$!
writes=$(drive setUserClaimValue 1 32 "$secs")
wait "$reader"
echo "setUserClaimValue c=32 beside reads: $writes wal_bytes=$(wal)"
echo "getUserClaimValue c=32 beside writes: $(cat "$reads")"
rm -f "$reads"
kill "$pid"; wait "$pid" 2>/dev/null || true
echo "after the server stopped: wal_bytes=$(wal)"

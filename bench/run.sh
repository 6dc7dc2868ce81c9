#!/usr/bin/env bash
# Benchmark userstore on this machine, against 127.0.0.1 only, every phase bounded in time.
#
#   bench/run.sh            full run: N = 1k, 100k, 1M users; concurrency 1, 16, 64; 8 s phases
#   bench/run.sh --quick    smoke run: N = 1k; concurrency 1, 16; 2 s phases
#   Partial runs: SIZES="1000000" CONCURRENCIES="64" OPS="health isExistingUser" SECONDS_PER_PHASE=5
#   REFERENCE=1 (or 0) runs (or skips) the reference SCIM server phases (default: full runs only)
#
# Besides one phase per operation there is "reads_beside_authenticate": isExistingUser measured
# while authenticate runs at the same concurrency on other connections (hashing must not starve
# reads).
# Builds the release binary, measures the hashing limit in-process, seeds each N through
# `userstore import` (pre-hashed passwords), starts the server, drives SOAP 1.1 with wrk for
# every operation plus a mixed workload and the ceiling (GET /health on the same connections),
# then prints the table and ratios (bench/report.py) and writes bench/results/<time>.json.
set -euo pipefail
trap 'echo "bench/run.sh: failed at line $LINENO: $BASH_COMMAND (status $?)" >&2' ERR
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1
if [ "$quick" = 1 ]; then
  sizes=(1000); concurrencies=(1 16); seconds=2
else
  sizes=(1000 100000 1000000); concurrencies=(1 16 64); seconds=8
fi
ops=(health isExistingUser getUserClaimValue getRoleListOfUser getUserClaimValues listUsers authenticate addUser setUserClaimValue mixed reads_beside_authenticate scimGetUser scimFilterUser scimPatchUser)
# The reference SCIM server (scim2-server, PyPI) at N = 1k: full runs only, or REFERENCE=1.
reference=$(( 1 - quick ))
[ -n "${REFERENCE:-}" ] && reference=$REFERENCE
[ -n "${SIZES:-}" ] && read -r -a sizes <<< "$SIZES"
[ -n "${CONCURRENCIES:-}" ] && read -r -a concurrencies <<< "$CONCURRENCIES"
[ -n "${OPS:-}" ] && read -r -a ops <<< "$OPS"
[ -n "${SECONDS_PER_PHASE:-}" ] && seconds=$SECONDS_PER_PHASE

command -v wrk >/dev/null || { echo "bench/run.sh needs wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet --bin userstore --example hash_limit
bin=target/release/userstore
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
suffix=""
[ "$quick" = 1 ] && suffix="-quick"
stamp="$(date -u +%Y%m%dT%H%M%SZ)$suffix"
mkdir -p bench/results

hash_seconds=5
[ "$quick" = 1 ] && hash_seconds=2
hash_limit=$(target/release/examples/hash_limit --seconds "$hash_seconds")
phc=$(target/release/examples/hash_limit --phc Bench-user-pw1)
auth=$(printf 'admin:Bench-user-pw1' | base64 -w0)
machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
# Raw lines go straight to bench/results, so a failed run still leaves its numbers.
phases="bench/results/$stamp.phases.jsonl"; seeding="bench/results/$stamp.seeding.jsonl"
: > "$phases"; : > "$seeding"

for n in "${sizes[@]}"; do
  db="$work/bench-$n.db"
  python3 bench/seed.py "$n" "$phc" > "$work/users-$n.jsonl"
  start=$(date +%s.%N)
  "$bin" import "$work/users-$n.jsonl" --database "$db" > "$work/import-$n.log"
  import_s=$(awk "BEGIN { printf \"%.3f\", $(date +%s.%N) - $start }")
  echo "seeded $n users in ${import_s}s: $(tail -n1 "$work/import-$n.log")" >&2
  RUST_LOG=warn "$bin" serve --listen 127.0.0.1:0 --database "$db" > "$work/server-$n.out" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do grep -q "userstore ready" "$work/server-$n.out" && break; sleep 0.1; done
  addr=$(grep -o 'http://[0-9.:]*' "$work/server-$n.out" | head -n1)
  for op in "${ops[@]}"; do
    for c in "${concurrencies[@]}"; do
      threads=$(( c < 2 ? 1 : 2 ))
      driven=$op
      if [ "$op" = reads_beside_authenticate ]; then
        OP=authenticate USERS=$n AUTH=$auth wrk -t1 -c"$c" -d"$((seconds + 2))s" --timeout 10s \
          -s bench/soap.lua "$addr" > /dev/null &
        load_pid=$!
        sleep 1
        driven=isExistingUser
      fi
      line=$(OP=$driven USERS=$n AUTH=$auth RUN="$n$c" wrk -t"$threads" -c"$c" -d"${seconds}s" --timeout 10s \
               -s bench/soap.lua "$addr" | tail -n1)
      if [ "$op" = reads_beside_authenticate ]; then wait "$load_pid"; fi
      echo "{\"op\": \"$op\", \"n\": $n, \"c\": $c, ${line#\{}" >> "$phases"
      echo "  $op N=$n c=$c: $line" >&2
    done
  done
  rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  echo "{\"users\": $n, \"import_s\": $import_s, \"peak_rss_mb\": $(awk "BEGIN { printf \"%.1f\", $rss_kb / 1024 }")}" >> "$seeding"
done

if [ "$reference" = 1 ]; then
  python3 -m venv "$work/reference-venv"
  "$work/reference-venv/bin/pip" install -q --disable-pip-version-check -r bench/requirements.txt
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$work/reference-venv/bin/scim2-server" --hostname 127.0.0.1 --port "$port" > "$work/reference.out" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/ServiceProviderConfig" > /dev/null && break; sleep 0.1; done
  python3 bench/scim_reference_seed.py "http://127.0.0.1:$port" 1000 > "$work/reference-ids.txt"
  for op in scimGetUser scimFilterUser; do
    for c in "${concurrencies[@]}"; do
      threads=$(( c < 2 ? 1 : 2 ))
      line=$(OP=$op USERS=1000 AUTH="" PREFIX="" IDS="$work/reference-ids.txt" wrk -t"$threads" -c"$c" \
               -d"${seconds}s" --timeout 10s -s bench/soap.lua "http://127.0.0.1:$port" | tail -n1)
      echo "{\"op\": \"reference:$op\", \"n\": 1000, \"c\": $c, ${line#\{}" >> "$phases"
      echo "  reference:$op N=1000 c=$c: $line" >&2
    done
  done
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
fi

out="bench/results/$stamp.json"
python3 - "$phases" "$seeding" "$out" "$machine" "$hash_limit" <<'PY'
import json, sys
phases, seeding, out, machine, hash_limit = sys.argv[1:6]
json.dump({
    "machine": machine,
    "hash_limit": json.loads(hash_limit),
    "seeding": [json.loads(l) for l in open(seeding)],
    "phases": [json.loads(l) for l in open(phases)],
}, open(out, "w"), indent=1)
PY
rm -f "$phases" "$seeding"
python3 bench/report.py "$out"
echo "results: $out"

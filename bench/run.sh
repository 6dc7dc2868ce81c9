#!/usr/bin/env bash
# Benchmark userstore on this machine, against 127.0.0.1 only, every phase bounded in time.
#
#   bench/run.sh            full run: N = 1k, 100k, 1M users; concurrency 1, 16, 64; 8 s phases
#   bench/run.sh --quick    smoke run: N = 1k; concurrency 1, 16; 2 s phases
#   bench/run.sh --backend postgres|both   the same table on PostgreSQL (or on both, in one run):
#                           a throwaway cluster in the work directory, one fresh database per N;
#                           NODES2_OPS="isExistingUser ..." also measures those reads with two
#                           server processes on the one database (wrk at c/2 against each)
#   Partial runs: SIZES="1000000" CONCURRENCIES="64" OPS="health isExistingUser" SECONDS_PER_PHASE=5
#   REFERENCE=1 (or 0) runs (or skips) the reference SCIM server phases (default: full runs only)
#   PEER=0 skips the gSOAP peer (bench/gsoap: the same five SOAP reads from an in-memory map,
#          generated from the reference WSDL), which otherwise runs at every N up to 1M
#   HUGE=0 skips N = 10M (full runs only: the single-user reads at concurrency 64, for the growth
#          plot; it needs about 10 GB of disk for the seed file and the database)
#
# Besides one phase per operation there is "reads_beside_authenticate": isExistingUser measured
# while authenticate runs at the same concurrency on other connections (hashing must not starve
# reads).
# Builds the release binary, measures the hashing limit in-process, seeds each N through
# `userstore import` (pre-hashed passwords), starts the server, drives SOAP 1.1 with wrk for
# every operation plus a mixed workload and the ceiling (GET /health on the same connections),
# then prints the table and ratios (bench/report.py), writes bench/results/<time>.json and plots
# requests/s against N (bench/plot.sh, gnuplot) into bench/results/<time>-growth.png.
set -euo pipefail
trap 'echo "bench/run.sh: failed at line $LINENO: $BASH_COMMAND (status $?)" >&2' ERR
cd "$(dirname "$0")/.."

quick=0
backends=(sqlite)
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --backend)
      case "${2:-}" in
        sqlite|postgres) backends=("$2") ;;
        both) backends=(sqlite postgres) ;;
        *) echo "bench/run.sh: --backend takes sqlite, postgres or both" >&2; exit 2 ;;
      esac
      shift ;;
    *) echo "bench/run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
read -r -a nodes2_ops <<< "${NODES2_OPS:-}"
if [ "$quick" = 1 ]; then
  sizes=(1000); concurrencies=(1 16); seconds=2
else
  sizes=(1000 100000 1000000); concurrencies=(1 16 64); seconds=8
fi
ops=(health isExistingUser getUserClaimValue getRoleListOfUser getUserClaimValues listUsers authenticate addUser setUserClaimValue mixed reads_beside_authenticate scimGetUser scimFilterUser scimPatchUser)
# The reference SCIM server (scim2-server, PyPI) at N = 1k: full runs only, or REFERENCE=1.
reference=$(( 1 - quick ))
[ -n "${REFERENCE:-}" ] && reference=$REFERENCE
peer=${PEER:-1}
peer_ops=(isExistingUser getUserClaimValue getRoleListOfUser getUserClaimValues listUsers)
peer_max_n=1000000
# N = 10M: the ceiling and the single-user reads at the highest concurrency only.
huge_n=10000000
huge_ops=(health isExistingUser getUserClaimValue getRoleListOfUser getUserClaimValues)
[ "$quick" = 0 ] && [ "${HUGE:-1}" = 1 ] && [ -z "${SIZES:-}" ] && sizes+=("$huge_n")
[ -n "${SIZES:-}" ] && read -r -a sizes <<< "$SIZES"
[ -n "${CONCURRENCIES:-}" ] && read -r -a concurrencies <<< "$CONCURRENCIES"
[ -n "${OPS:-}" ] && read -r -a ops <<< "$OPS"
[ -n "${SECONDS_PER_PHASE:-}" ] && seconds=$SECONDS_PER_PHASE

command -v wrk >/dev/null || { echo "bench/run.sh needs wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet --bin userstore --example hash_limit
bin=target/release/userstore
work=$(mktemp -d)
server_pid=""; second_pid=""; pg_bin=""; pg_data=""
[ "$peer" = 1 ] && peer_bin=$(bash bench/gsoap/build.sh "$work/gsoap")
as_pg_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  if [ -n "$second_pid" ]; then kill "$second_pid" 2>/dev/null || true; fi
  if [ -n "$pg_data" ]; then as_pg_owner "$pg_bin/pg_ctl" -D "$pg_data" -m fast stop > /dev/null 2>&1 || true; fi
  rm -rf "$work"
  if [ -n "$pg_data" ]; then rm -rf "$pg_data"; fi
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

pg_port=""
if [[ " ${backends[*]} " == *" postgres "* ]]; then
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [ -x "$pg_bin/initdb" ] || { echo "bench/run.sh --backend postgres needs the Debian package postgresql" >&2; exit 1; }
  # Outside $work, which the cluster's owner (postgres, when run as root) may not enter.
  pg_data=$(mktemp -u /tmp/userstore-bench-pg.XXXXXX)
  pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_pg_owner "$pg_bin/initdb" -D "$pg_data" -U postgres -A trust -E UTF8 --no-locale > /dev/null
  # Durable commits, as a production database has them; a buffer pool for the largest N.
  as_pg_owner "$pg_bin/pg_ctl" -D "$pg_data" -w -l "$pg_data.log" \
    -o "-h 127.0.0.1 -p $pg_port -k $pg_data -c shared_buffers=512MB -c max_connections=200" start > /dev/null
fi

# Start a server on database $1 writing to $2; sets started_pid.
start_server() {
  RUST_LOG=warn "$bin" serve --listen 127.0.0.1:0 --database "$1" > "$2" 2>&1 &
  started_pid=$!
  for _ in $(seq 100); do grep -q "userstore ready" "$2" && break; sleep 0.1; done
}

for backend in "${backends[@]}"; do
for n in "${sizes[@]}"; do
  if [ "$backend" = postgres ]; then
    as_pg_owner "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "bench_$n"
    db="postgres://postgres@127.0.0.1:$pg_port/bench_$n"
  else
    db="$work/bench-$n.db"
  fi
  [ -f "$work/users-$n.jsonl" ] || python3 bench/seed.py "$n" "$phc" > "$work/users-$n.jsonl"
  start=$(date +%s.%N)
  "$bin" import "$work/users-$n.jsonl" --database "$db" > "$work/import-$n.log"
  import_s=$(awk "BEGIN { printf \"%.3f\", $(date +%s.%N) - $start }")
  echo "seeded $n users on $backend in ${import_s}s: $(tail -n1 "$work/import-$n.log")" >&2
  start_server "$db" "$work/server-$n.out"
  server_pid=$started_pid
  addr=$(grep -o 'http://[0-9.:]*' "$work/server-$n.out" | head -n1)
  phase_ops=("${ops[@]}"); phase_concurrencies=("${concurrencies[@]}")
  if [ "$n" = "$huge_n" ]; then
    phase_ops=()
    for op in "${ops[@]}"; do
      if [[ " ${huge_ops[*]} " == *" $op "* ]]; then phase_ops+=("$op"); fi
    done
    phase_concurrencies=("${concurrencies[-1]}")
  fi
  for op in "${phase_ops[@]}"; do
    for c in "${phase_concurrencies[@]}"; do
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
      echo "{\"backend\": \"$backend\", \"op\": \"$op\", \"n\": $n, \"c\": $c, ${line#\{}" >> "$phases"
      echo "  $backend $op N=$n c=$c: $line" >&2
    done
  done
  if [ "$backend" = postgres ] && [ "${#nodes2_ops[@]}" -gt 0 ]; then
    # Two nodes on the one database, each a separate process; wrk at c/2 against each.
    start_server "$db" "$work/second-$n.out"
    second_pid=$started_pid
    second=$(grep -o 'http://[0-9.:]*' "$work/second-$n.out" | head -n1)
    for op in "${nodes2_ops[@]}"; do
      for c in "${concurrencies[@]}"; do
        [ "$c" -ge 2 ] || continue
        half=$(( c / 2 ))
        OP=$op USERS=$n AUTH=$auth RUN="a$n$c" wrk -t1 -c"$half" -d"${seconds}s" --timeout 10s \
          -s bench/soap.lua "$addr" | tail -n1 > "$work/node-a.json" &
        node_a=$!
        OP=$op USERS=$n AUTH=$auth RUN="b$n$c" wrk -t1 -c"$half" -d"${seconds}s" --timeout 10s \
          -s bench/soap.lua "$second" | tail -n1 > "$work/node-b.json"
        wait "$node_a"
        line=$(python3 -c 'import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print(json.dumps({"rps": a["rps"] + b["rps"], "p50_ms": max(a["p50_ms"], b["p50_ms"]),
                  "p99_ms": max(a["p99_ms"], b["p99_ms"]), "errors": a["errors"] + b["errors"]}))' \
          "$work/node-a.json" "$work/node-b.json")
        echo "{\"backend\": \"postgres-2nodes\", \"op\": \"$op\", \"n\": $n, \"c\": $c, ${line#\{}" >> "$phases"
        echo "  postgres-2nodes $op N=$n c=$c: $line" >&2
      done
    done
    kill "$second_pid"; wait "$second_pid" 2>/dev/null || true; second_pid=""
  fi
  rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  echo "{\"backend\": \"$backend\", \"users\": $n, \"import_s\": $import_s, \"peak_rss_mb\": $(awk "BEGIN { printf \"%.1f\", $rss_kb / 1024 }")}" >> "$seeding"
  if [ "$peer" = 1 ] && [ "$backend" = "${backends[0]}" ] && [ "$n" -le "$peer_max_n" ]; then
    # The gSOAP peer on the same users and the same wrk settings, while userstore is stopped.
    "$peer_bin" "$work/users-$n.jsonl" admin Bench-user-pw1 > "$work/peer-$n.out" 2>&1 &
    server_pid=$!
    for _ in $(seq 600); do grep -q "gsoap-peer ready" "$work/peer-$n.out" && break; sleep 0.1; done
    peer_addr=$(grep -o 'http://[0-9.:]*' "$work/peer-$n.out" | head -n1)
    for op in "${peer_ops[@]}"; do
      [[ " ${ops[*]} " == *" $op "* ]] || continue
      for c in "${concurrencies[@]}"; do
        threads=$(( c < 2 ? 1 : 2 ))
        line=$(OP=$op USERS=$n AUTH=$auth wrk -t"$threads" -c"$c" -d"${seconds}s" --timeout 10s \
                 -s bench/soap.lua "$peer_addr" | tail -n1)
        echo "{\"backend\": \"gsoap\", \"op\": \"$op\", \"n\": $n, \"c\": $c, ${line#\{}" >> "$phases"
        echo "  gsoap $op N=$n c=$c: $line" >&2
      done
    done
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  fi
  # The seed file and database of the largest N are big; drop them once measured.
  if [ "$n" = "$huge_n" ]; then rm -f "$work/users-$n.jsonl" "$db" "$db-wal" "$db-shm"; fi
done
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
bash bench/plot.sh "$out"
echo "results: $out"

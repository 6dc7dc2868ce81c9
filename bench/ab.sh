#!/usr/bin/env bash
# A/B: one SOAP operation against two userstore binaries, interleaved in one run on 127.0.0.1,
# so their throughput can be compared as a ratio (each with its own fresh SQLite file).
#
#   bench/ab.sh OLD_BINARY NEW_BINARY [OP] [CONCURRENCY] [SECONDS] [ROUNDS]
#   e.g. bench/ab.sh /tmp/old/userstore target/release/userstore isExistingUser 16 5 3
#
# Every request carries HTTP Basic (as scripts send it); OP is one of bench/soap.lua's. Prints
# requests/s per round and binary, then the ratio NEW/OLD of the summed rounds.
set -euo pipefail
OLD=$(realpath "${1:?old binary}")
NEW=$(realpath "${2:?new binary}")
OP=${3:-isExistingUser}
CONC=${4:-16}
SECS=${5:-5}
ROUNDS=${6:-3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PW='Ab-bench-pw-1'
AUTH=$(printf 'admin:%s' "$PW" | base64)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/userstore-ab.XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # binary dir port
    mkdir -p "$2"
    (cd "$2" && USERSTORE_ADMIN_PASSWORD=$PW exec "$1" serve --listen "127.0.0.1:$3" >log 2>&1) &
    PIDS+=($!)
    for _ in $(seq 100); do
        curl -fs "http://127.0.0.1:$3/health" >/dev/null 2>&1 && return
        sleep 0.1
    done
    echo "bench/ab.sh: $1 did not start on $3" >&2
    exit 1
}
OLD_PORT=$(free_port)
start "$OLD" "$WORK/old" "$OLD_PORT"
NEW_PORT=$(free_port)
start "$NEW" "$WORK/new" "$NEW_PORT"

old_sum=0 new_sum=0
for round in $(seq "$ROUNDS"); do
    # Alternate which goes first, so neither always runs on a warmer machine.
    order="old new"; [ $((round % 2)) -eq 0 ] && order="new old"
    for which in $order; do
        port=$OLD_PORT; [ "$which" = new ] && port=$NEW_PORT
        rps=$(cd "$HERE" && OP=$OP USERS=1 AUTH=$AUTH wrk -t2 -c"$CONC" -d"${SECS}s" -s soap.lua \
            "http://127.0.0.1:$port" 2>/dev/null | grep -o '"rps": [0-9.]*' | head -n1 | cut -d' ' -f2)
        echo "round $round $which $OP c=$CONC: $rps req/s"
        if [ "$which" = old ]; then
            old_sum=$(awk -v a="$old_sum" -v b="$rps" 'BEGIN { print a + b }')
        else
            new_sum=$(awk -v a="$new_sum" -v b="$rps" 'BEGIN { print a + b }')
        fi
    done
done
awk -v n="$new_sum" -v o="$old_sum" 'BEGIN { printf "ratio new/old: %.3f\n", n / o }'

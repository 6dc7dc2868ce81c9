#!/usr/bin/env bash
# The migration benchmark (issue 22): a WSO2 user store of N users (salted SHA-256, WSO2's
# default) imported into a fresh SQLite database with --no-wrap (target: N = 1M in under two
# minutes), and WRAP_N users with wrapping (argon2id over each legacy hash), whose users/s is
# compared with the hashing limit measured in the same run (target: at least 0.9 of it).
#
#   bench/migrate.sh              N=1000000 WRAP_N=2000
#   bench/migrate.sh --quick      N=10000   WRAP_N=200
# Writes bench/results/<time>-migrate.json. Everything stays on this machine; each step is
# bounded by its N.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
WRAP_N=${WRAP_N:-2000}
if [ "${1:-}" = "--quick" ]; then N=10000; WRAP_N=200; fi

cargo build --release --quiet --bin userstore --example hash_limit
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=target/release/userstore

limit() { target/release/examples/hash_limit --seconds 5 | python3 -c 'import json,sys; print(json.load(sys.stdin)["verifications_per_second"])'; }

python3 bench/wso2_dump.py "$N" > "$work/wso2.sql"
python3 bench/wso2_dump.py "$WRAP_N" > "$work/wso2-small.sql"

start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$work/rss" "$bin" import --from-wso2 "$work/wso2.sql" --no-wrap --database "$work/nowrap.db" >"$work/nowrap.out"
nowrap_s=$(python3 -c "print($(date +%s.%N) - $start)")
grep -q "imported $N users" "$work/nowrap.out" || { cat "$work/nowrap.out"; exit 1; }

limit_before=$(limit)
start=$(date +%s.%N)
"$bin" import --from-wso2 "$work/wso2-small.sql" --database "$work/wrap.db" >"$work/wrap.out"
wrap_s=$(python3 -c "print($(date +%s.%N) - $start)")
grep -q "imported $WRAP_N users" "$work/wrap.out" || { cat "$work/wrap.out"; exit 1; }
limit_after=$(limit)

mkdir -p bench/results
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ)-migrate.json"
python3 - "$N" "$nowrap_s" "$(cat "$work/rss")" "$WRAP_N" "$wrap_s" "$limit_before" "$limit_after" > "$out" <<'PY'
import json, sys
n, nowrap_s, rss_kib, wrap_n, wrap_s, before, after = sys.argv[1:]
n, wrap_n = int(n), int(wrap_n)
nowrap_s, wrap_s, before, after = map(float, (nowrap_s, wrap_s, before, after))
limit = (before + after) / 2
wrap_rate = wrap_n / wrap_s
print(json.dumps({
    "no_wrap": {"users": n, "seconds": round(nowrap_s, 1), "users_per_second": round(n / nowrap_s),
                "peak_rss_mb": round(int(rss_kib) / 1024)},
    "wrapped": {"users": wrap_n, "seconds": round(wrap_s, 1), "users_per_second": round(wrap_rate, 1)},
    "hashing_limit_per_second": {"before": before, "after": after},
    "wrapped_over_limit": round(wrap_rate / limit, 3),
}, indent=2))
PY
cat "$out"

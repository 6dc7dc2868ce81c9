#!/usr/bin/env bash
# Plot requests/s against N for the single-user reads at the highest concurrency of a benchmark
# result (bench/run.sh writes it), with the ceiling (GET /health) for scale:
#   bench/plot.sh bench/results/<time>.json   -> bench/results/<time>-growth.png
# Needs gnuplot (Debian: gnuplot-nox). Prints the PNG's path; skips (exit 0, with a note) when
# the result holds fewer than two sizes.
set -euo pipefail
result=${1:?usage: plot.sh RESULTS.json}
png="${result%.json}-growth.png"
data=$(mktemp)
trap 'rm -f "$data"' EXIT
# One gnuplot data block per operation: "N rps" lines, blocks separated by two blank lines.
columns=$(python3 - "$result" "$data" <<'PY'
import json, sys
result, out = sys.argv[1:3]
ops = ["health", "isExistingUser", "getUserClaimValue", "getRoleListOfUser", "getUserClaimValues"]
rows = [r for r in json.load(open(result))["phases"] if r.get("backend", "sqlite") == "sqlite"]
top_c = max(r["c"] for r in rows)
sizes = sorted({r["n"] for r in rows if r["c"] == top_c})
with open(out, "w") as f:
    shown = []
    for op in ops:
        points = sorted((r["n"], r["rps"]) for r in rows if r["op"] == op and r["c"] == top_c)
        if len(points) < 2:
            continue
        shown.append("ceiling (GET /health)" if op == "health" else op)
        f.write("".join(f"{n} {rps}\n" for n, rps in points) + "\n\n")
print(f"{top_c}|{len(sizes)}|" + "|".join(shown))
PY
)
IFS='|' read -r -a parts <<< "$columns"
concurrency=${parts[0]}; sizes=${parts[1]}; names=("${parts[@]:2}")
if [ "$sizes" -lt 2 ] || [ "${#names[@]}" = 0 ]; then
  echo "bench/plot.sh: $result has fewer than two sizes at one concurrency; no plot" >&2
  exit 0
fi
command -v gnuplot > /dev/null || { echo "bench/plot.sh needs gnuplot (apt-get install gnuplot-nox)" >&2; exit 1; }
plots=""
for i in "${!names[@]}"; do
  plots+="${plots:+, }'$data' index $i with linespoints linewidth 2 title '${names[$i]}'"
done
gnuplot <<GP
set terminal pngcairo size 760,440 font 'sans,10'
set output '$png'
set title 'userstore, SQLite: requests/s against users stored (concurrency $concurrency)'
set logscale x 10
set format x '10^{%L}'
set xlabel 'users (N)'
set ylabel 'requests/s'
set yrange [0:*]
set grid
set key outside right
plot $plots
GP
echo "$png"

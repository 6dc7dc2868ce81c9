#!/usr/bin/env python3
"""Turn the benchmark's raw JSON (bench/run.sh writes it) into the table and the ratios against
the targets, and exit non-zero if any phase had errors.

Usage: python3 bench/report.py RESULTS.json
"""
import json
import sys

SCIM_READS = ["scimGetUser", "scimFilterUser"]
READS = ["isExistingUser", "getUserClaimValue", "getRoleListOfUser", "getUserClaimValues", "listUsers"] + SCIM_READS


def main():
    data = json.load(open(sys.argv[1]))
    every_row = data["phases"]
    for r in every_row:
        r.setdefault("backend", "sqlite")
    # The targets and their ratios are SQLite's (the default) when it ran, else the one backend's;
    # other backends compare with it.
    backends = [r["backend"] for r in every_row if r["backend"] != "gsoap"]
    main_backend = "sqlite" if "sqlite" in backends else backends[0]
    rows = [r for r in every_row if r["backend"] == main_backend]
    print(f"machine: {data['machine']}")
    print(f"hashing limit: {data['hash_limit']['verifications_per_second']:.1f} argon2id verifications/s "
          f"(m={data['hash_limit']['memory_kib']} KiB, t={data['hash_limit']['iterations']}, "
          f"{data['hash_limit']['threads']} threads)")
    for seed in data["seeding"]:
        rss = "not recorded" if seed.get("peak_rss_mb") is None else f"{seed['peak_rss_mb']:.1f} MB"
        print(f"seeding {seed.get('backend', 'sqlite')} N={seed['users']}: import {seed['import_s']:.1f} s "
              f"({seed['users'] / max(seed['import_s'], 1e-9):.0f} users/s), peak RSS under load {rss}")
    print()
    print(f"{'backend':<16}{'operation':<26}{'N':>9}{'conc':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    ceiling = {(r["n"], r["c"]): r["rps"] for r in rows if r["op"] == "health"}
    for r in every_row:
        print(f"{r['backend']:<16}{r['op']:<26}{r['n']:>9}{r['c']:>6}{r['rps']:>10.1f}{r['p50_ms']:>9.2f}"
              f"{r['p99_ms']:>9.2f}{r['errors']:>8}")
    print()
    top_c = max(r["c"] for r in rows)
    sizes = sorted({r["n"] for r in rows})
    get = lambda op, n, c: next((r for r in rows if r["op"] == op and r["n"] == n and r["c"] == c), None)
    hash_limit = data["hash_limit"]["verifications_per_second"]
    ratios = {}
    for n in sizes:
        for op in READS:
            r = get(op, n, top_c)
            if r and ceiling.get((n, top_c)):
                ratios[f"{op}/ceiling N={n} c={top_c}"] = r["rps"] / ceiling[(n, top_c)]
        for op in ["authenticate", "addUser"]:
            r = get(op, n, top_c)
            if r:
                ratios[f"{op}/hash limit N={n} c={top_c}"] = r["rps"] / hash_limit
    for n in sizes:
        r = get("reads_beside_authenticate", n, top_c)
        if r:
            print(f"reads beside authenticate N={n} c={top_c}: p99 {r['p99_ms']:.2f} ms (target < 5 ms)")
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        for op in READS:
            a, b = get(op, small, top_c), get(op, large, top_c)
            if a and b:
                ratios[f"{op} N={large} vs N={small} c={top_c}"] = b["rps"] / a["rps"]
    for n in sizes:
        r = get("scimPatchUser", n, top_c)
        if r:
            print(f"SCIM PATCH of one attribute N={n} c={top_c}: {r['rps']:.0f}/s (target >= 2000/s)")
    for op in SCIM_READS:
        for c in sorted({r["c"] for r in rows}):
            ours, reference = get(op, 1000, c), get(f"reference:{op}", 1000, c)
            if ours and reference:
                ratios[f"{op} userstore/scim2-server N=1000 c={c}"] = ours["rps"] / reference["rps"]
    # Backends against each other, from this one run: PostgreSQL / SQLite, two nodes / one.
    on = lambda backend, op, n, c: next((r for r in every_row if r["backend"] == backend
                                         and r["op"] == op and r["n"] == n and r["c"] == c), None)
    for backend, base in [("postgres", "sqlite"), ("postgres-2nodes", "postgres")]:
        for r in every_row:
            if r["backend"] != backend or r["op"] == "health":
                continue
            other = on(base, r["op"], r["n"], r["c"])
            if other and other["rps"]:
                ratios[f"{r['op']} {backend}/{base} N={r['n']} c={r['c']}"] = r["rps"] / other["rps"]
    # userstore against the gSOAP peer (the same reads from an in-memory map, no storage work).
    for r in every_row:
        ours = on(main_backend, r["op"], r["n"], r["c"]) if r["backend"] == "gsoap" else None
        if ours and r["rps"]:
            ratios[f"{r['op']} userstore/gsoap N={r['n']} c={r['c']}"] = ours["rps"] / r["rps"]
    for name, value in ratios.items():
        print(f"ratio {name}: {value:.2f}")
    data["ratios"] = ratios
    json.dump(data, open(sys.argv[1], "w"), indent=1)
    errors = sum(r["errors"] for r in every_row)
    if errors:
        print(f"FAILED: {errors} errors across phases")
        sys.exit(1)
    print(f"all {len(every_row)} phases completed without errors")


if __name__ == "__main__":
    main()

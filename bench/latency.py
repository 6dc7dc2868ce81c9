#!/usr/bin/env python3
"""Single-client latency of isExistingUser and authenticate against a real userstore server.

Starts the release binary on 127.0.0.1 (ephemeral port) with a temporary SQLite file and the
default argon2id parameters, then sends N sequential SOAP 1.1 requests per operation on one
keep-alive connection and prints median / p90 / p99 in milliseconds. Bounded: N requests per
operation, loopback only, the server is stopped at the end.

Usage: cargo build --release && python3 bench/latency.py [--requests N] [--binary PATH]
"""
import argparse
import base64
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time

NS = "http://service.ws.um.carbon.wso2.org"
ADMIN_PASSWORD = "Bench-admin-pw1"


def envelope(op, inner):
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:ser="{NS}"><soapenv:Body><ser:{op}>{inner}</ser:{op}></soapenv:Body></soapenv:Envelope>'
    ).encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--binary", default="target/release/userstore")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, USERSTORE_ADMIN_PASSWORD=ADMIN_PASSWORD, RUST_LOG="warn")
        server = subprocess.Popen(
            [args.binary, "serve", "--listen", "127.0.0.1:0", "--database", os.path.join(tmp, "b.db")],
            stdout=subprocess.PIPE, env=env, text=True)
        try:
            addr = None
            for line in server.stdout:
                if line.startswith("userstore listening on http://"):
                    addr = line.split("http://")[1].split("/")[0]
                    break
            host, port = addr.rsplit(":", 1)
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            auth = "Basic " + base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode()

            def call(op, inner):
                headers = {"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": f'"urn:{op}"',
                           "Authorization": auth}
                start = time.perf_counter()
                conn.request("POST", "/services/RemoteUserStoreManagerService", envelope(op, inner), headers)
                response = conn.getresponse()
                body = response.read()
                elapsed = (time.perf_counter() - start) * 1000
                if response.status not in (200, 202):
                    sys.exit(f"{op} failed: {response.status} {body[:300]!r}")
                return elapsed

            call("addUser", "<ser:userName>bench</ser:userName><ser:credential>Bench-user-pw1</ser:credential>")
            cases = {
                "isExistingUser": "<ser:userName>bench</ser:userName>",
                "authenticate": "<ser:userName>bench</ser:userName><ser:credential>Bench-user-pw1</ser:credential>",
            }
            print(f"{'operation':<16} {'n':>5} {'median ms':>10} {'p90 ms':>8} {'p99 ms':>8}")
            for op, inner in cases.items():
                for _ in range(5):
                    call(op, inner)
                samples = sorted(call(op, inner) for _ in range(args.requests))
                pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
                print(f"{op:<16} {len(samples):>5} {statistics.median(samples):>10.2f} {pick(0.9):>8.2f} {pick(0.99):>8.2f}")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()

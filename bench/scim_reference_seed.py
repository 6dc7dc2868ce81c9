#!/usr/bin/env python3
"""Seed the reference SCIM server (scim2-server) with the benchmark's users, over its HTTP API,
and print their ids one per line (bench/soap.lua reads them through IDS).

The users match bench/seed.py's: user0000000 .. user{N-1} with the same names and e-mail.
Usage: python3 bench/scim_reference_seed.py BASE_URL N > ids.txt
"""
import json
import sys
import urllib.request


def main():
    base, count = sys.argv[1].rstrip("/"), int(sys.argv[2])
    for i in range(count):
        name = f"user{i:07d}"
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": name,
            "name": {"givenName": f"Given{i}", "familyName": f"Last{i}"},
            "emails": [{"value": f"{name}@example.com", "primary": True}],
        }
        request = urllib.request.Request(
            f"{base}/Users",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/scim+json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            print(json.load(response)["id"])


if __name__ == "__main__":
    main()

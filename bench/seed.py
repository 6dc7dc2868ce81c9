#!/usr/bin/env python3
"""Write N benchmark users as JSON Lines for `userstore import`: user0000000 .. user{N-1}, each
with 3 of 20 roles, 5 claims and a known SCIM id, all sharing one pre-computed argon2id hash (the bulk path),
plus the admin user the benchmark authenticates as.

Usage: python3 bench/seed.py N PHC > users.jsonl
"""
import json
import random
import sys

CLAIMS = ["country", "organization", "lastname", "givenname", "emailaddress"]
COUNTRIES = ["England", "France", "Sri Lanka", "Japan", "Brazil", "Kenya", "Canada", "India"]


def scim_id(i):
    """The SCIM id of user i: a version-4-shaped UUID that bench/soap.lua rebuilds from i."""
    return f"00000000-0000-4000-8000-{i:012d}"


def main():
    count, phc = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(20261123)
    out = sys.stdout
    out.write(json.dumps({"username": "admin", "password_hash": phc, "roles": ["admin"]}) + "\n")
    for i in range(count):
        name = f"user{i:07d}"
        roles = [f"role{r:02d}" for r in rng.sample(range(1, 21), 3)]
        claims = {
            "http://wso2.org/claims/country": rng.choice(COUNTRIES),
            "http://wso2.org/claims/organization": f"org{rng.randrange(1000)}",
            "http://wso2.org/claims/lastname": f"Last{i}",
            "http://wso2.org/claims/givenname": f"Given{i}",
            "http://wso2.org/claims/emailaddress": f"{name}@example.com",
            # A known SCIM id per user, so the SCIM phases can address users without a lookup.
            "http://wso2.org/claims/userid": scim_id(i),
        }
        out.write(json.dumps({"username": name, "password_hash": phc, "roles": roles, "claims": claims}) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Write a Keycloak realm export (the shape of `kc.sh export`) whose password hashes are
computed here, with Python's hashlib and argon2-cffi, independently of userstore's Rust code.

    keycloak_export.py OUT_DIR            -> OUT_DIR/test-realm.json (realm, groups, no users)
                                             OUT_DIR/test-users-0.json (the users)
    keycloak_export.py OUT_DIR --single   -> OUT_DIR/test-realm.json holding the users too

Prints, as JSON on stdout, each user's name, Keycloak id and password, for the test to log in
with.
"""

import base64
import hashlib
import json
import os
import sys
import uuid

from argon2.low_level import Type, hash_secret_raw

REALM = "test"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def pbkdf2_credential(password: str, algorithm: str, iterations: int) -> dict:
    digest = {"pbkdf2": "sha1", "pbkdf2-sha256": "sha256", "pbkdf2-sha512": "sha512"}[algorithm]
    salt = os.urandom(16)
    key = hashlib.pbkdf2_hmac(digest, password.encode("utf-8"), salt, iterations, 64)
    return {
        "secretData": json.dumps({"value": b64(key), "salt": b64(salt), "additionalParameters": {}}),
        "credentialData": json.dumps(
            {"hashIterations": iterations, "algorithm": algorithm, "additionalParameters": {}}
        ),
    }


def argon2_credential(password: str) -> dict:
    salt = os.urandom(16)
    key = hash_secret_raw(password.encode("utf-8"), salt, time_cost=3, memory_cost=7168,
                          parallelism=1, hash_len=32, type=Type.ID, version=19)
    return {
        "secretData": json.dumps({"value": b64(key), "salt": b64(salt), "additionalParameters": {}}),
        "credentialData": json.dumps({
            "hashIterations": 3, "algorithm": "argon2",
            "additionalParameters": {"hashLength": ["32"], "memory": ["7168"], "type": ["id"],
                                     "version": ["1.3"], "parallelism": ["1"]},
        }),
    }


def user(name, password=None, credential=None, **fields):
    entry = {
        "id": str(uuid.uuid4()),
        "createdTimestamp": 1700000000000,
        "username": name,
        "enabled": True,
        "totp": False,
        "emailVerified": False,
        "credentials": [],
        "disableableCredentialTypes": [],
        "requiredActions": [],
        "realmRoles": [f"default-roles-{REALM}"],
        "notBefore": 0,
        "groups": [],
    }
    entry.update(fields)
    if credential is not None:
        entry["credentials"] = [dict(id=str(uuid.uuid4()), type="password", userLabel="My password",
                                     createdDate=1700000000000, **credential)]
    return entry, password


def main() -> None:
    out, single = sys.argv[1], "--single" in sys.argv[2:]
    people = [
        user("alice", "Alice-pw-1", pbkdf2_credential("Alice-pw-1", "pbkdf2-sha256", 27500),
             email="alice@example.com", firstName="Alice", lastName="Liddell", emailVerified=True,
             attributes={"phoneNumber": ["+44 20 7946 0000"], "locale": ["en"]},
             realmRoles=[f"default-roles-{REALM}", "offline_access", "auditor"],
             groups=["/Sales/EMEA"]),
        user("zoë", "Pässwörd-ü1", pbkdf2_credential("Pässwörd-ü1", "pbkdf2-sha512", 210000),
             firstName="Zoë", requiredActions=["UPDATE_PASSWORD", "CONFIGURE_TOTP"]),
        user("bob", "Bob-pw-1", pbkdf2_credential("Bob-pw-1", "pbkdf2", 1000), groups=["/Sales"]),
        user("dave", "Dave-pw-1", argon2_credential("Dave-pw-1")),
        user("erin", "Erin-pw-1", pbkdf2_credential("Erin-pw-1", "pbkdf2-sha256", 27500),
             enabled=False),
        user("frank"),
        user("gina", "Gina-pw-1", {
            "secretData": json.dumps({"value": b64(hashlib.md5(b"Gina-pw-1").digest()), "salt": ""}),
            "credentialData": json.dumps({"hashIterations": 1, "algorithm": "md5"}),
        }),
        user("service-account-portal", serviceAccountClientLink="portal"),
    ]
    realm = {
        "id": REALM,
        "realm": REALM,
        "enabled": True,
        "roles": {"realm": [{"id": str(uuid.uuid4()), "name": "auditor", "composite": False}]},
        "groups": [{"id": str(uuid.uuid4()), "name": "Sales", "path": "/Sales",
                    "subGroups": [{"id": str(uuid.uuid4()), "name": "EMEA", "path": "/Sales/EMEA"}]}],
    }
    users = [entry for entry, _ in people]
    if single:
        realm["users"] = users
    else:
        with open(os.path.join(out, f"{REALM}-users-0.json"), "w", encoding="utf-8") as f:
            json.dump({"realm": REALM, "users": users}, f, ensure_ascii=False, indent=2)
    with open(os.path.join(out, f"{REALM}-realm.json"), "w", encoding="utf-8") as f:
        json.dump(realm, f, ensure_ascii=False, indent=2)
    json.dump([{"name": e["username"], "id": e["id"], "password": p} for e, p in people],
              sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()

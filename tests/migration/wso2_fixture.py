#!/usr/bin/env python3
"""Write a WSO2 Identity Server user store in WSO2's own schema (carbon-kernel's UM_* tables and
the identity database's IDN_* tables, as its dbscripts create them), as SQL for PostgreSQL,
MySQL/MariaDB, or in the shape of H2's `SCRIPT TO` output. Password hashes are computed here,
with Python's hashlib and bcrypt, exactly as WSO2's JDBC store and hash providers compute them,
independently of userstore's Rust code.

    wso2_fixture.py --flavour postgres|mysql|h2 --digest sha256|sha512|sha1|md5|pbkdf2|bcrypt|plain
                    [--unsalted] --out FILE

Prints, as JSON, what the test expects of each user.
"""

import argparse
import base64
import hashlib
import json
import os
import uuid

import bcrypt

SUPER = -1234


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def hash_password(password: str, digest: str, salted: bool):
    """(UM_USER_PASSWORD, UM_SALT_VALUE) as WSO2 writes them."""
    salt = b64(os.urandom(16)) if salted or digest == "pbkdf2" else None
    if digest == "plain":
        return password, None
    if digest == "pbkdf2":
        # PBKDF2HashProvider: the salt string's UTF-8 bytes, HMAC-SHA256, 10000, 256 bits.
        key = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("utf-8"), 10000, 32)
        return b64(key), salt
    if digest == "bcrypt":
        # BcryptHashProvider's string, kept by the JDBC store as the base64 of its bytes.
        return b64(bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=4, prefix=b"2b"))), None
    name = {"sha256": "sha256", "sha512": "sha512", "sha1": "sha1", "md5": "md5"}[digest]
    # JDBCUserStoreManager.preparePassword: digest(password + salt), base64.
    return b64(hashlib.new(name, (password + (salt or "")).encode("utf-8")).digest()), salt


TABLES = {
    "UM_DOMAIN": ["UM_DOMAIN_ID", "UM_DOMAIN_NAME", "UM_TENANT_ID"],
    "UM_USER": ["UM_ID", "UM_USER_ID", "UM_USER_NAME", "UM_USER_PASSWORD", "UM_SALT_VALUE",
                "UM_REQUIRE_CHANGE", "UM_CHANGED_TIME", "UM_TENANT_ID"],
    "UM_ROLE": ["UM_ID", "UM_ROLE_NAME", "UM_TENANT_ID", "UM_SHARED_ROLE"],
    "UM_USER_ROLE": ["UM_ID", "UM_ROLE_ID", "UM_USER_ID", "UM_TENANT_ID"],
    "UM_HYBRID_ROLE": ["UM_ID", "UM_ROLE_NAME", "UM_TENANT_ID"],
    "UM_HYBRID_USER_ROLE": ["UM_ID", "UM_USER_NAME", "UM_ROLE_ID", "UM_TENANT_ID", "UM_DOMAIN_ID"],
    "UM_PERMISSION": ["UM_ID", "UM_RESOURCE_ID", "UM_ACTION", "UM_TENANT_ID", "UM_MODULE_ID"],
    "UM_ROLE_PERMISSION": ["UM_ID", "UM_PERMISSION_ID", "UM_ROLE_NAME", "UM_IS_ALLOWED",
                           "UM_TENANT_ID", "UM_DOMAIN_ID"],
    "UM_USER_ATTRIBUTE": ["UM_ID", "UM_ATTR_NAME", "UM_ATTR_VALUE", "UM_PROFILE_ID", "UM_USER_ID",
                          "UM_TENANT_ID"],
    "IDN_IDENTITY_USER_DATA": ["TENANT_ID", "USER_NAME", "DATA_KEY", "DATA_VALUE"],
    "IDN_CLAIM_DIALECT": ["ID", "DIALECT_URI", "TENANT_ID"],
    "IDN_SCIM_GROUP": ["ID", "TENANT_ID", "ROLE_NAME", "ATTR_NAME", "ATTR_VALUE"],
    "IDN_CLAIM": ["ID", "DIALECT_ID", "CLAIM_URI", "TENANT_ID"],
    "IDN_CLAIM_MAPPED_ATTRIBUTE": ["ID", "LOCAL_CLAIM_ID", "USER_STORE_DOMAIN_NAME", "ATTRIBUTE_NAME",
                                   "TENANT_ID"],
}
TYPES = {"UM_REQUIRE_CHANGE": "BOOLEAN", "UM_SHARED_ROLE": "BOOLEAN", "UM_CHANGED_TIME": "TIMESTAMP"}
INTEGERS = {"UM_ID", "UM_DOMAIN_ID", "UM_TENANT_ID", "UM_ROLE_ID", "UM_PERMISSION_ID", "UM_IS_ALLOWED",
            "UM_MODULE_ID", "TENANT_ID", "ID", "DIALECT_ID", "LOCAL_CLAIM_ID"}


def column_type(table, column):
    if column in TYPES:
        return TYPES[column]
    if column in INTEGERS or (column == "UM_USER_ID" and table != "UM_USER"):
        return "INTEGER"
    return "VARCHAR(1024)"


def build(digest: str, salted: bool):
    rows = {t: [] for t in TABLES}
    expect = []
    for i, name in enumerate(["PRIMARY", "SYSTEM", "INTERNAL", "APPLICATION"], 1):
        rows["UM_DOMAIN"].append([i, name, SUPER])
    rows["UM_ROLE"] += [[1, "admin", SUPER, False], [2, "engineers", SUPER, False]]
    rows["UM_HYBRID_ROLE"] += [[1, "Internal/everyone", SUPER], [2, "Internal/auditor", SUPER]]
    rows["UM_PERMISSION"] += [[1, "/permission", "ui.execute", SUPER, 0],
                              [2, "/permission/admin/manage/identity/usermgt", "ui.execute", SUPER, 0],
                              [3, "/permission/admin/manage/identity/usermgt/delete", "ui.execute", SUPER, 0]]
    rows["UM_ROLE_PERMISSION"] += [[1, 1, "admin", 1, SUPER, 1], [2, 2, "engineers", 1, SUPER, 1],
                                   [3, 3, "engineers", 0, SUPER, 1], [4, 2, "auditor", 1, SUPER, 3]]
    # WSO2's SCIM id of the engineers group, which SCIM clients link to.
    rows["IDN_SCIM_GROUP"] += [[1, SUPER, "PRIMARY/engineers", "urn:ietf:params:scim:schemas:core:2.0:id",
                               "7d1c0a52-9d3e-4c43-a9a3-6b1f0e2c5a11"],
                              [2, SUPER, "PRIMARY/engineers", "urn:ietf:params:scim:schemas:core:2.0:meta.created",
                               "2024-01-02T03:04:05Z"]]
    # The deployment's own mapping: attribute "dept" holds the department claim.
    rows["IDN_CLAIM_DIALECT"].append([1, "http://wso2.org/claims", SUPER])
    rows["IDN_CLAIM"] += [[1, 1, "http://wso2.org/claims/department", SUPER],
                          [2, 1, "http://wso2.org/claims/emailaddress", SUPER]]
    rows["IDN_CLAIM_MAPPED_ATTRIBUTE"] += [[1, 1, "PRIMARY", "dept", SUPER],
                                           [2, 2, "PRIMARY", "mail", SUPER]]
    people = [
        # name, password, roles, hybrid roles, attributes, identity data, require change, tenant
        ("admin", "admin", [1], [], {}, {}, False, SUPER),
        ("alice", "Alice-pw-1", [2], [], {"givenName": "Alice", "sn": "Liddell", "mail": "alice@example.com",
                                          "dept": "Research"}, {}, False, SUPER),
        ("jürgen", "Gehéim-pw1", [2], [], {"givenName": "Jürgen"}, {}, False, SUPER),
        ("bob", "Bob-pw-1", [], [2], {}, {"http://wso2.org/claims/identity/accountLocked": "true",
                                          "http://wso2.org/claims/identity/unlockTime": "4102444800000"},
         False, SUPER),
        ("carol", "Carol-pw-1", [], [], {}, {}, True, SUPER),
        ("dave", "Dave-pw-1", [], [], {}, {"http://wso2.org/claims/identity/accountDisabled": "true"}, False, SUPER),
        ("erin", "Erin-pw-1", [], [], {}, {}, False, SUPER),
        ("frank", "Frank-pw-1", [], [], {"shoeSize": "44"}, {}, False, SUPER),
        ("tenantuser", "Tenant-pw-1", [], [], {}, {}, False, 1),
    ]
    attribute_id = 1
    for uid, (name, password, roles, hybrid, attributes, data, change, tenant) in enumerate(people, 1):
        stored, salt = hash_password(password, digest, salted)
        if name == "erin" and digest != "plain":
            stored = "not*a*hash"
        user_uuid = str(uuid.uuid4())
        rows["UM_USER"].append([uid, user_uuid, name, stored, salt, change, "2024-01-02 03:04:05", tenant])
        for role in roles:
            rows["UM_USER_ROLE"].append([len(rows["UM_USER_ROLE"]) + 1, role, uid, tenant])
        for role in hybrid:
            rows["UM_HYBRID_USER_ROLE"].append([len(rows["UM_HYBRID_USER_ROLE"]) + 1, name, role, tenant, 1])
        for key, value in attributes.items():
            rows["UM_USER_ATTRIBUTE"].append([attribute_id, key, value, "default", uid, tenant])
            attribute_id += 1
        for key, value in data.items():
            rows["IDN_IDENTITY_USER_DATA"].append([tenant, name, key, value])
        expect.append({"name": name, "password": password, "id": user_uuid, "tenant": tenant})
    return rows, expect


def literal(value, flavour):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return ("1" if value else "0") if flavour == "mysql" else ("TRUE" if value else "FALSE")
    if isinstance(value, int):
        return str(value)
    text = value.replace("'", "''")
    if flavour == "mysql":
        text = text.replace("\\", "\\\\")
    if flavour == "h2" and any(ord(c) > 127 for c in text):
        escaped = "".join(c if ord(c) < 128 else "\\u%04x" % ord(c) for c in text)
        return f"STRINGDECODE('{escaped}')"
    return f"'{text}'"


def render(rows, flavour):
    out = []
    if flavour == "mysql":
        out.append("-- MySQL dump of a WSO2 fixture (mysql client input)\nSET NAMES utf8mb4;\n")
    for table, columns in TABLES.items():
        if flavour == "h2":
            cols = ",\n".join(f'    "{c}" {column_type(table, c)}' for c in columns)
            out.append(f'CREATE CACHED TABLE "PUBLIC"."{table}"(\n{cols}\n);')
        else:
            cols = ",\n".join(f"    {c} {column_type(table, c)}" for c in columns)
            engine = " ENGINE=INNODB DEFAULT CHARSET=utf8mb4" if flavour == "mysql" else ""
            out.append(f"CREATE TABLE {table} (\n{cols}\n){engine};")
        if not rows[table]:
            continue
        values = ",\n".join("(" + ", ".join(literal(v, flavour) for v in row) + ")" for row in rows[table])
        if flavour == "h2":
            names = ", ".join(f'"{c}"' for c in columns)
            out.append(f'INSERT INTO "PUBLIC"."{table}"({names}) VALUES\n{values};')
        else:
            out.append(f"INSERT INTO {table} ({', '.join(columns)}) VALUES\n{values};")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--flavour", choices=["postgres", "mysql", "h2"], required=True)
    parser.add_argument("--digest", default="sha256")
    parser.add_argument("--unsalted", action="store_true")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    rows, expect = build(args.digest, not args.unsalted)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(render(rows, args.flavour))
    print(json.dumps(expect, ensure_ascii=False))


if __name__ == "__main__":
    main()

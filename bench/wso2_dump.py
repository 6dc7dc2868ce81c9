#!/usr/bin/env python3
"""Write a PostgreSQL-style dump of a WSO2 user store with N users (salted SHA-256, WSO2's
default, hashed here with hashlib), two attributes each and a few roles, for the migration
benchmark: `wso2_dump.py N > wso2.sql`. Streams, so a million users take little memory."""

import base64
import hashlib
import os
import sys
import uuid

N = int(sys.argv[1])
BATCH = 1000
out = sys.stdout
out.write("-- PostgreSQL database dump (userstore migration benchmark)\n")
out.write("CREATE TABLE um_user (um_id INTEGER, um_user_id VARCHAR(255), um_user_name VARCHAR(255), "
          "um_user_password VARCHAR(255), um_salt_value VARCHAR(31), um_require_change BOOLEAN, "
          "um_changed_time TIMESTAMP, um_tenant_id INTEGER);\n")
out.write("CREATE TABLE um_role (um_id INTEGER, um_role_name VARCHAR(255), um_tenant_id INTEGER, "
          "um_shared_role BOOLEAN);\n")
out.write("CREATE TABLE um_user_role (um_id INTEGER, um_role_id INTEGER, um_user_id INTEGER, "
          "um_tenant_id INTEGER);\n")
out.write("CREATE TABLE um_user_attribute (um_id INTEGER, um_attr_name VARCHAR(255), "
          "um_attr_value VARCHAR(1024), um_profile_id VARCHAR(255), um_user_id INTEGER, um_tenant_id INTEGER);\n")
out.write("INSERT INTO um_role VALUES (1, 'admin', -1234, false), (2, 'staff', -1234, false), "
          "(3, 'contractors', -1234, false);\n")
# One salt and password for all: hashing a million distinct ones in Python would dominate the
# benchmark's set-up; the importer's work per user is the same.
salt = base64.b64encode(os.urandom(16)).decode()
stored = base64.b64encode(hashlib.sha256(("Bench-pw-1" + salt).encode()).digest()).decode()
for start in range(0, N, BATCH):
    ids = range(start + 1, min(start + BATCH, N) + 1)
    out.write("INSERT INTO um_user VALUES " + ", ".join(
        f"({i}, '{uuid.uuid4()}', 'user{i:08d}', '{stored}', '{salt}', false, '2024-01-01 00:00:00', -1234)"
        for i in ids) + ";\n")
    out.write("INSERT INTO um_user_role VALUES " + ", ".join(
        f"({i}, {2 + i % 2}, {i}, -1234)" for i in ids) + ";\n")
    out.write("INSERT INTO um_user_attribute VALUES " + ", ".join(
        f"({2 * i}, 'givenName', 'Given{i}', 'default', {i}, -1234), "
        f"({2 * i + 1}, 'mail', 'user{i}@example.com', 'default', {i}, -1234)" for i in ids) + ";\n")

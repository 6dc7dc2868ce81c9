#!/usr/bin/env python3
"""Manage users from Python with zeep, a client generated at run time from the served WSDL.

Adds a role and a user with a claim, authenticates the user, reads its roles and claim, lists
users with a filter, then deletes the user and the role again. Prints one line per step.

Usage: python3 zeep_client.py [USER]          (default user name: zeep-example)

Environment: USERSTORE_URL (default http://127.0.0.1:9763/services/RemoteUserStoreManagerService),
USERSTORE_ADMIN_USER (default admin), USERSTORE_ADMIN_PASSWORD (required). The server must
publish its WSDL: `[admin_service.wsdl] enable = true` or USERSTORE_ADMIN_SERVICE__WSDL__ENABLE=true.
Needs `pip install zeep requests`.
"""

import os
import secrets
import sys

try:
    import requests
    import zeep
except ImportError as exc:
    sys.exit(f"error: {exc}; install the client with: pip install zeep requests")

SERVICE_NS = "http://service.ws.um.carbon.wso2.org"
BINDING = f"{{{SERVICE_NS}}}RemoteUserStoreManagerServiceSoap11Binding"
CLAIM_VALUE = "{http://common.mgt.user.carbon.wso2.org/xsd}ClaimValue"
GIVEN_NAME = "http://wso2.org/claims/givenname"


def main():
    url = os.environ.get(
        "USERSTORE_URL", "http://127.0.0.1:9763/services/RemoteUserStoreManagerService"
    )
    admin = os.environ.get("USERSTORE_ADMIN_USER", "admin")
    password = os.environ.get("USERSTORE_ADMIN_PASSWORD")
    if not password:
        sys.exit(f"error: USERSTORE_ADMIN_PASSWORD is not set (the password of admin user '{admin}')")
    user = sys.argv[1] if len(sys.argv) > 1 else "zeep-example"
    role = f"{user}-role"
    user_password = secrets.token_urlsafe(16)  # a throwaway password, never printed

    # Every request (the WSDL download included) carries the admin's HTTP Basic credentials.
    session = requests.Session()
    session.auth = (admin, password)
    client = zeep.Client(url + "?wsdl", transport=zeep.Transport(session=session))
    # Talk to the URL we were given rather than the address written in the WSDL.
    service = client.create_service(BINDING, url)
    ClaimValue = client.get_type(CLAIM_VALUE)
    print(f"loaded WSDL: {url}?wsdl")

    service.addRole(roleName=role, userList=[], permissions=[])
    print(f"addRole: {role}")

    service.addUser(
        userName=user,
        credential=user_password,
        roleList=[role],
        claims=[ClaimValue(claimURI=GIVEN_NAME, value="Zeep")],
        profileName="default",
        requirePasswordChange=False,
    )
    print(f"addUser: {user}")

    print(f"authenticate: {service.authenticate(userName=user, credential=user_password)}")

    roles = service.getRoleListOfUser(userName=user) or []
    print(f"getRoleListOfUser: {', '.join(roles)}")

    given = service.getUserClaimValue(userName=user, claim=GIVEN_NAME, profileName="default")
    print(f"getUserClaimValue: {GIVEN_NAME} = {given}")

    users = service.listUsers(filter=f"{user}*", maxItemLimit=10) or []
    print(f"listUsers {user}*: {', '.join(users)}")

    service.deleteUser(userName=user)
    print(f"deleteUser: {user}")

    service.deleteRole(roleName=role)
    print(f"deleteRole: {role}")


if __name__ == "__main__":
    try:
        main()
    except zeep.exceptions.Fault as fault:  # the server's SOAP fault, e.g. "... already exists ..."
        sys.exit(f"error: SOAP fault: {fault.message}")

#!/usr/bin/env python3
"""End-to-end scenario for userstore driven by a real WSDL-generated client (python zeep).

zeep builds its proxy from the WSDL (served by userstore or WSO2's reference copy), so every
request and every response parse goes through the WSDL contract, not hand-written XML.

Usage:
    python3 tests/clients/zeep/scenario.py --wsdl URL_OR_FILE --user admin --password PW \
        [--address http://127.0.0.1:PORT/services/RemoteUserStoreManagerService] \
        [--binding soap11|soap12] [--prefix NAME]

Without --address the WSDL's own port for the chosen binding is used (the served WSDL's ports
carry the request's Host). With --address the service is bound to that address, which is how the
reference WSDL (ports at https://localhost:9443) is pointed at a test server.

Exit status: 0 on success, 1 on a failed step, 2 when zeep is not installed or the arguments are bad.
"""

import argparse
import re
import sys
import traceback

try:
    import requests
    import zeep
    import zeep.exceptions
    from zeep.transports import Transport
except ImportError as exc:  # never skip silently
    print(
        f"FATAL: python zeep client is not importable ({exc}); "
        "install it with: pip install -r tests/clients/zeep/requirements.txt",
        file=sys.stderr,
    )
    sys.exit(2)

SERVICE_NS = "http://service.ws.um.carbon.wso2.org"
CLAIM_VALUE_TYPE = "{http://common.mgt.user.carbon.wso2.org/xsd}ClaimValue"
BINDINGS = {
    "soap11": (
        f"{{{SERVICE_NS}}}RemoteUserStoreManagerServiceSoap11Binding",
        "RemoteUserStoreManagerServiceHttpsSoap11Endpoint",
    ),
    "soap12": (
        f"{{{SERVICE_NS}}}RemoteUserStoreManagerServiceSoap12Binding",
        "RemoteUserStoreManagerServiceHttpsSoap12Endpoint",
    ),
}
EVERYONE = "Internal/everyone"
GIVEN_NAME = "http://wso2.org/claims/givenname"
LAST_NAME = "http://wso2.org/claims/lastname"
EMAIL = "http://wso2.org/claims/emailaddress"
USER_ID = "http://wso2.org/claims/userid"
ROLE = "http://wso2.org/claims/role"
NICKNAME = "http://wso2.org/claims/nickname"


class ScenarioFailure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise ScenarioFailure(message)


def expect_equal(actual, expected, what):
    check(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")


def ci_sorted(names):
    return sorted(names, key=lambda n: (n.lower(), n))


def as_list(value):
    """zeep returns None for an absent repeated element; normalise to a list."""
    if value is None:
        return []
    return list(value)


def step(name):
    print(f"[zeep] {name} ... ", end="", flush=True)


def ok(detail=""):
    print("ok" + (f" ({detail})" if detail else ""), flush=True)


# Store errors are server-side faults: SOAP 1.1 faultcode Server, SOAP 1.2 Code/Value Receiver.
SERVER_FAULT_CODE = {"soap11": "Server", "soap12": "Receiver"}


def expect_fault(call, needle, what, binding):
    try:
        result = call()
    except zeep.exceptions.Fault as fault:
        message = fault.message or ""
        check(
            needle in message,
            f"{what}: fault message {message!r} does not contain {needle!r} (code {fault.code!r})",
        )
        code = str(fault.code or "")
        expected_code = SERVER_FAULT_CODE[binding]
        check(
            code.rsplit(":", 1)[-1] == expected_code,
            f"{what}: fault code {code!r}, expected ...:{expected_code} for {binding}",
        )
        return fault
    raise ScenarioFailure(f"{what}: expected a SOAP fault containing {needle!r}, got result {result!r}")


class WireLog:
    """Records the HTTP status and body of the last SOAP POST (a requests response hook)."""

    def __init__(self):
        self.last = None

    def hook(self, response, *args, **kwargs):
        if response.request.method == "POST":
            self.last = (response.status_code, response.content)


WIRE = WireLog()


def in_only(result, what):
    """An in-only operation: zeep returns None and the server must have answered 202, empty body."""
    expect_equal(result, None, what)
    check(WIRE.last is not None, f"{what}: no HTTP response recorded")
    status, body = WIRE.last
    check(status == 202 and body.strip() == b"",
          f"{what}: expected HTTP 202 with an empty body, got HTTP {status} with {body[:300]!r}")


def build_service(args):
    session = requests.Session()
    session.auth = requests.auth.HTTPBasicAuth(args.user, args.password)
    session.hooks["response"].append(WIRE.hook)
    transport = Transport(session=session, timeout=30, operation_timeout=30)
    client = zeep.Client(args.wsdl, transport=transport)
    binding_qname, port_name = BINDINGS[args.binding]
    if args.address:
        service = client.create_service(binding_qname, args.address)
        where = f"binding {binding_qname} at {args.address} (address overridden)"
    else:
        service = client.bind("RemoteUserStoreManagerService", port_name)
        binding = service._binding
        check(
            str(binding.name) == binding_qname,
            f"port {port_name} is bound to {binding.name}, expected {binding_qname}",
        )
        where = f"port {port_name} at {service._binding_options['address']} (from the WSDL)"
    return client, service, where


def run(args):
    p = args.prefix
    teacher, doctor, nurse = f"{p}teacher", f"{p}doctor", f"{p}nurse"
    alice, bob = f"{p}alice", f"{p}bob"
    pw1, pw2 = "Alice-pw-1", "Alice-pw-2"

    step("load WSDL and bind service")
    client, svc, where = build_service(args)
    ClaimValue = client.get_type(CLAIM_VALUE_TYPE)
    CLEANUP.update(svc=svc, users=[alice, bob], roles=[teacher, doctor, nurse])
    ok(where)

    step(f"addRole {teacher}, {doctor}, {nurse}")
    for role in (teacher, doctor, nurse):
        in_only(svc.addRole(roleName=role, userList=[], permissions=[]), f"addRole({role})")
    ok()

    step(f"isExistingRole {teacher}")
    expect_equal(svc.isExistingRole(roleName=teacher), True, f"isExistingRole({teacher})")
    expect_equal(svc.isExistingRole(roleName=f"{p}no-such-role"), False, "isExistingRole(unknown)")
    ok()

    step(f"addUser {alice} with roles and claims")
    result = svc.addUser(
        userName=alice,
        credential=pw1,
        roleList=[teacher, doctor],
        claims=[
            ClaimValue(claimURI=GIVEN_NAME, value="Alice"),
            ClaimValue(claimURI=LAST_NAME, value="Liddell"),
        ],
        profileName="default",
        requirePasswordChange=False,
    )
    in_only(result, "addUser")
    ok()

    step(f"addUser {bob} (no roles, no claims)")
    in_only(
        svc.addUser(userName=bob, credential="Bob-pw-1", roleList=[], claims=[], profileName="default",
                    requirePasswordChange=False),
        f"addUser({bob})",
    )
    ok()

    step(f"addUser {alice} again -> fault")
    fault = expect_fault(
        lambda: svc.addUser(userName=alice, credential=pw1, roleList=[], claims=[], profileName="default",
                            requirePasswordChange=False),
        "already exists",
        "adding an existing user",
        args.binding,
    )
    ok(f"Fault: {fault.message}")

    step(f"authenticate {alice}")
    expect_equal(svc.authenticate(userName=alice, credential=pw1), True, "authenticate with the right password")
    expect_equal(svc.authenticate(userName=alice, credential="wrong-pw"), False, "authenticate with a wrong password")
    expect_equal(svc.authenticate(userName=f"{p}ghost", credential=pw1), False, "authenticate an unknown user")
    ok()

    step("isExistingUser")
    expect_equal(svc.isExistingUser(userName=alice), True, f"isExistingUser({alice})")
    expect_equal(svc.isExistingUser(userName=f"{p}ghost"), False, f"isExistingUser({p}ghost)")
    ok()

    step(f"getRoleListOfUser {alice}")
    roles = as_list(svc.getRoleListOfUser(userName=alice))
    expect_equal(roles, ci_sorted([teacher, doctor, EVERYONE]), f"getRoleListOfUser({alice})")
    ok(", ".join(roles))

    step(f"getUserClaimValues {alice}")
    claims = as_list(svc.getUserClaimValues(userName=alice, profileName="default"))
    for c in claims:
        check(hasattr(c, "claimUri") and hasattr(c, "value"), f"claim object {c!r} lacks claimUri/value")
    ids = [c.value for c in claims if c.claimUri == USER_ID]
    check(len(ids) == 1 and re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", ids[0] or ""),
          f"getUserClaimValues: every user has a UUID in {USER_ID}, got {ids!r}")
    got = {c.claimUri: c.value for c in claims if c.claimUri != USER_ID}
    expect_equal(len(got), len(claims) - len(ids), "getUserClaimValues: duplicate claimUri entries")
    # WSO2 computes the role claim from the user's roles (getRoleListOfUser, joined with ",").
    expect_equal(got, {GIVEN_NAME: "Alice", LAST_NAME: "Liddell", ROLE: ",".join(roles)},
                 f"getUserClaimValues({alice})")
    ok(f"{len(claims)} claims")

    if args.contract == "current":
        step(f"addUserClaimValues {alice}")
        in_only(svc.addUserClaimValues(userName=alice, claims=[ClaimValue(claimURI=NICKNAME, value="ali")],
                                       profileName="default"), "addUserClaimValues")
        in_only(svc.addUserClaimValues(userName=alice, claims=[ClaimValue(claimURI=NICKNAME, value="ALI"),
                                                               ClaimValue(claimURI=NICKNAME, value="lissy")],
                                       profileName="default"), "addUserClaimValues")
        expect_equal(svc.getUserClaimValue(userName=alice, claim=NICKNAME, profileName="default"), "ali,lissy",
                     "nickname after addUserClaimValues (the duplicate skipped)")
        in_only(svc.addUserClaimValue(userName=alice, claimURI=NICKNAME, claimValue="ali", profileName="default"),
                "addUserClaimValue")
        expect_equal(svc.getUserClaimValue(userName=alice, claim=NICKNAME, profileName="default"),
                     "ali,lissy,ali", "nickname after addUserClaimValue (no duplicate check)")
        ok()

    if args.auth_wsdl:
        step(f"AuthenticationAdmin.login {alice}, then the session cookie alone")
        in_only(svc.addRole(roleName=f"{p}login", userList=[alice], permissions=[
            {"action": "ui.execute", "resourceId": "/permission/admin/login"},
            {"action": "ui.execute", "resourceId": "/permission/admin/manage/identity"},
        ]), "addRole(login)")
        CLEANUP["roles"].append(f"{p}login")
        cookie_session = requests.Session()  # no Basic: the cookie jar carries JSESSIONID
        auth = zeep.Client(args.auth_wsdl, transport=Transport(session=cookie_session, timeout=30))
        expect_equal(auth.service.login(username=alice, password=pw1, remoteAddress="127.0.0.1"), True,
                     "AuthenticationAdmin.login")
        check("JSESSIONID" in cookie_session.cookies, f"login set no JSESSIONID: {dict(cookie_session.cookies)}")
        user_store = zeep.Client(args.wsdl, transport=Transport(session=cookie_session, timeout=30))
        binding_qname, _ = BINDINGS[args.binding]
        address = args.address or svc._binding_options["address"]
        by_session = user_store.create_service(binding_qname, address)
        expect_equal(by_session.isExistingUser(userName=bob), True, "isExistingUser with the session cookie alone")
        auth.service.logout()
        try:
            by_session.isExistingUser(userName=bob)
            raise ScenarioFailure("the session still works after logout")
        except zeep.exceptions.TransportError as exc:
            expect_equal(exc.status_code, 401, "a call after logout is challenged")
        in_only(svc.deleteRole(roleName=f"{p}login"), "deleteRole(login)")
        ok()

    step(f"setUserClaimValues {alice}")
    result = svc.setUserClaimValues(
        userName=alice,
        claims=[
            ClaimValue(claimURI=EMAIL, value="alice@example.org"),
            ClaimValue(claimURI=LAST_NAME, value="Pleasance"),
        ],
        profileName="default",
    )
    in_only(result, "setUserClaimValues")
    ok()

    step(f"getUserClaimValue {alice}")
    expect_equal(svc.getUserClaimValue(userName=alice, claim=EMAIL, profileName="default"), "alice@example.org",
                 f"getUserClaimValue({alice}, emailaddress)")
    expect_equal(svc.getUserClaimValue(userName=alice, claim=LAST_NAME, profileName="default"), "Pleasance",
                 f"getUserClaimValue({alice}, lastname)")
    expect_equal(svc.getUserClaimValue(userName=alice, claim=GIVEN_NAME, profileName="default"), "Alice",
                 f"getUserClaimValue({alice}, givenname)")
    expect_equal(svc.getUserClaimValue(userName=alice, claim="http://wso2.org/claims/mobile", profileName="default"),
                 None, f"getUserClaimValue({alice}, unset mobile) (xsi:nil)")
    ok()

    step(f"getUserClaimValuesForClaims {alice}")
    pairs = as_list(svc.getUserClaimValuesForClaims(userName=alice, claims=[EMAIL, GIVEN_NAME],
                                                   profileName="default"))
    expect_equal({cv.claimURI: cv.value for cv in pairs}, {EMAIL: "alice@example.org", GIVEN_NAME: "Alice"},
                 f"getUserClaimValuesForClaims({alice})")
    ok()

    step(f"listUsers '{p}*'")
    users = as_list(svc.listUsers(filter=f"{p}*", maxItemLimit=10))
    expect_equal(users, ci_sorted([alice, bob]), f"listUsers({p}*, 10)")
    ok(", ".join(users))

    step(f"listUsers '{p}al*'")
    expect_equal(as_list(svc.listUsers(filter=f"{p}al*", maxItemLimit=10)), [alice], f"listUsers({p}al*, 10)")
    expect_equal(as_list(svc.listUsers(filter=f"{p}nobody*", maxItemLimit=10)), [], f"listUsers({p}nobody*, 10)")
    ok()

    step(f"updateCredential {alice}")
    in_only(svc.updateCredential(userName=alice, newCredential=pw2, oldCredential=pw1), "updateCredential")
    expect_equal(svc.authenticate(userName=alice, credential=pw2), True, "authenticate with the new password")
    expect_equal(svc.authenticate(userName=alice, credential=pw1), False, "authenticate with the old password")
    ok()

    step(f"updateCredential {alice} with a wrong old password -> fault")
    fault = expect_fault(
        lambda: svc.updateCredential(userName=alice, newCredential="Other-pw-3", oldCredential="not-the-pw"),
        "credential",
        "updateCredential with a wrong old password",
        args.binding,
    )
    expect_equal(svc.authenticate(userName=alice, credential=pw2), True, "password unchanged after failed update")
    ok(f"Fault: {fault.message}")

    step(f"updateRoleListOfUser {alice}: -{doctor} +{nurse}")
    in_only(svc.updateRoleListOfUser(userName=alice, deletedRoles=[doctor], newRoles=[nurse]),
            "updateRoleListOfUser")
    roles = as_list(svc.getRoleListOfUser(userName=alice))
    expect_equal(roles, ci_sorted([teacher, nurse, EVERYONE]), f"getRoleListOfUser({alice}) after update")
    ok(", ".join(roles))

    step(f"getUserListOfRole {teacher}")
    expect_equal(as_list(svc.getUserListOfRole(roleName=teacher)), [alice], f"getUserListOfRole({teacher})")
    ok()

    step(f"deleteUser {alice}, {bob}")
    in_only(svc.deleteUser(userName=alice), "deleteUser")
    expect_equal(svc.isExistingUser(userName=alice), False, f"isExistingUser({alice}) after deleteUser")
    in_only(svc.deleteUser(userName=bob), f"deleteUser({bob})")
    expect_equal(as_list(svc.listUsers(filter=f"{p}*", maxItemLimit=10)), [], f"listUsers({p}*) after deletes")
    ok()

    step(f"deleteUser {alice} again -> fault")
    fault = expect_fault(lambda: svc.deleteUser(userName=alice), "does not exist", "deleting a missing user",
                         args.binding)
    ok(f"Fault: {fault.message}")

    step(f"deleteRole {teacher}, {doctor}, {nurse}")
    for role in (teacher, doctor, nurse):
        in_only(svc.deleteRole(roleName=role), f"deleteRole({role})")
        expect_equal(svc.isExistingRole(roleName=role), False, f"isExistingRole({role}) after deleteRole")
    ok()


CLEANUP = {}


def cleanup_after_failure():
    """Best effort: remove what this run created so a rerun with the same --prefix starts clean."""
    svc = CLEANUP.get("svc")
    if svc is None:
        return
    for op, names in (("deleteUser", CLEANUP["users"]), ("deleteRole", CLEANUP["roles"])):
        for name in names:
            try:
                if op == "deleteUser":
                    svc.deleteUser(userName=name)
                else:
                    svc.deleteRole(roleName=name)
            except Exception:
                pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wsdl", required=True, help="WSDL URL or file path")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--address", help="service address overriding the WSDL's port address")
    parser.add_argument("--binding", choices=sorted(BINDINGS), default="soap11")
    parser.add_argument("--prefix", default="zeep", help="prefix for user and role names")
    parser.add_argument("--contract", choices=["current", "carbon-4.0"], default="current",
                        help="the WSDL's contract: carbon-4.0 has no addUserClaimValue(s)")
    parser.add_argument("--auth-wsdl", help="AuthenticationAdmin WSDL: also log in and call with the cookie")
    args = parser.parse_args()

    print(f"[zeep] zeep {zeep.__version__}, requests {requests.__version__}, binding {args.binding}, "
          f"wsdl {args.wsdl}", flush=True)
    try:
        run(args)
    except Exception as exc:  # assertion failures, unexpected faults, transport and parse errors
        print("FAILED", flush=True)
        if isinstance(exc, ScenarioFailure):
            reason = str(exc)
        elif isinstance(exc, zeep.exceptions.Fault):
            reason = f"unexpected SOAP fault: {exc.message!r} (code {exc.code!r})"
        else:
            traceback.print_exc()
            reason = f"{type(exc).__name__}: {exc}"
        if WIRE.last is not None:
            print(f"[zeep] last HTTP response: {WIRE.last[0]} {WIRE.last[1][:500]!r}", file=sys.stderr)
        print(f"[zeep] FAILURE: {reason}", file=sys.stderr)
        cleanup_after_failure()
        return 1
    print(f"[zeep] PASS ({args.binding})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

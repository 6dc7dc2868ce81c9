#!/usr/bin/env python3
"""The Carbon admin services beside RemoteUserStoreManagerService, driven by python zeep
clients built from a WSDL (WSO2's reference copies with the address overridden, or the ones
userstore serves): UserAdmin, RemoteAuthorizationManagerService, UserProfileMgtService and
UserIdentityManagementAdminService, each over SOAP 1.1 or 1.2, every reply parsed through the
WSDL contract.

Usage:
    python3 tests/clients/zeep/admin_services.py --base http://127.0.0.1:PORT \
        --user admin --password PW --wsdl-dir DIR_OR_URL_PREFIX [--binding soap11|soap12] \
        [--prefix NAME]

`--wsdl-dir` is a directory holding <Service>.wsdl, or `served` to fetch
<base>/services/<Service>?wsdl.

Exit status: 0 on success, 1 on a failed step, 2 when zeep is not installed.
"""

import argparse
import os
import sys
import traceback

try:
    import requests
    import zeep
    import zeep.exceptions
    from zeep.transports import Transport
except ImportError as exc:  # never skip silently
    print(f"FATAL: python zeep is not importable ({exc})", file=sys.stderr)
    sys.exit(2)

NAMESPACES = {
    "UserAdmin": "http://mgt.user.carbon.wso2.org",
    "RemoteAuthorizationManagerService": "http://service.ws.um.carbon.wso2.org",
    "UserProfileMgtService": "http://mgt.profile.user.identity.carbon.wso2.org",
    "UserIdentityManagementAdminService": "http://services.mgt.identity.carbon.wso2.org",
}


class ScenarioFailure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise ScenarioFailure(message)


def client(args, name, user, password):
    session = requests.Session()
    session.auth = (user, password)
    transport = Transport(session=session, timeout=30)
    if args.wsdl_dir == "served":
        wsdl = f"{args.base}/services/{name}?wsdl"
    else:
        wsdl = os.path.join(args.wsdl_dir, f"{name}.wsdl")
    c = zeep.Client(wsdl, transport=transport)
    kind = "Soap11" if args.binding == "soap11" else "Soap12"
    port = f"{name}Https{kind}Endpoint"
    service = c.create_service(
        f"{{{NAMESPACES[name]}}}{name}{kind}Binding",
        f"{args.base}/services/{name}.{port}/",
    )
    return c, service


def names(flagged):
    return [f.itemName for f in (flagged or [])]


def selected(flagged):
    return [f.itemName for f in (flagged or []) if f.selected]


def fault_text(call):
    try:
        call()
    except zeep.exceptions.Fault as fault:
        return fault.message
    raise ScenarioFailure("expected a fault")


def run(args):
    p = args.prefix
    ua_client, ua = client(args, "UserAdmin", args.user, args.password)
    claim_type = ua_client.get_type("{http://common.mgt.user.carbon.wso2.org/xsd}ClaimValue")
    flagged_type = ua_client.get_type("{http://common.mgt.user.carbon.wso2.org/xsd}FlaggedName")

    # UserAdmin: users, roles, memberships, passwords.
    ua.addRole(roleName=f"{p}_role", userList=[], permissions=["/permission/admin/login"], isSharedRole=False)
    ua.addUser(
        userName=f"{p}_alice",
        password="Alice1pass",
        roles=[f"{p}_role"],
        claims=[claim_type(claimURI="http://wso2.org/claims/lastname", value=f"{p}Last")],
        profileName="default",
    )
    ua.addUser(userName=f"{p}_bob", password="Bob1pass", roles=[], claims=[], profileName="default")
    users = names(ua.listAllUsers(filter=f"{p}_*", limit=-1))
    check(users == [f"{p}_alice", f"{p}_bob", "false"], f"listAllUsers: {users}")
    check(ua.listUsers(filter=f"{p}_a*", limit=10) == [f"{p}_alice"], "listUsers")
    roles = ua.getRolesOfUser(userName=f"{p}_alice", filter="*", limit=-1)
    check(f"{p}_role" in selected(roles), f"getRolesOfUser: {selected(roles)}")
    check(names(roles)[-1] == "false", "the pagination tail ends the list")
    ua.addRemoveUsersOfRole(roleName=f"{p}_role", newUsers=[f"{p}_bob"], deletedUsers=[])
    members = ua.getUsersOfRole(roleName=f"{p}_role", filter="*", limit=0)
    check(sorted(names(members)[:-1]) == [f"{p}_alice", f"{p}_bob"], f"getUsersOfRole: {names(members)}")
    ua.updateUsersOfRole(roleName=f"{p}_role", userList=[flagged_type(itemName=f"{p}_bob", selected=False)])
    check(names(ua.getUsersOfRole(roleName=f"{p}_role", filter=f"{p}_bob", limit=0)) == ["false"], "updateUsersOfRole")
    by_claim = ua.listUserByClaim(
        claimValue=claim_type(claimURI="http://wso2.org/claims/lastname", value=f"{p}Last"), filter="*", maxLimit=10
    )
    check(names(by_claim) == [f"{p}_alice", "false"], f"listUserByClaim: {names(by_claim)}")
    tree = ua.getRolePermissions(roleName=f"{p}_role")
    check(tree.resourcePath == "/permission/" and tree.displayName == "All Permissions", "permission tree root")
    info = ua.getUserRealmInfo()
    check(info.adminUser == args.user and info.everyOneRole == "Internal/everyone", "getUserRealmInfo")
    check(ua.isSharedRolesEnabled() is False, "isSharedRolesEnabled")
    ua.changePassword(userName=f"{p}_bob", newPassword="Bob2pass")
    text = fault_text(lambda: ua.deleteRole(roleName="admin"))
    check(text.endswith("Cannot delete admin role"), f"deleteRole(admin): {text}")

    # RemoteAuthorizationManagerService: rules on roles and users.
    _, authz = client(args, "RemoteAuthorizationManagerService", args.user, args.password)
    authz.authorizeRole(roleName=f"{p}_role", resourceId=f"/{p}/res", action="ui.execute")
    authz.authorizeUser(userName=f"{p}_bob", resourceId=f"/{p}/res", action="ui.execute")
    check(f"{p}_role" in (authz.getAllowedRolesForResource(resourceId=f"/{p}/res", action="ui.execute") or []), "allowed roles")
    check(authz.isUserAuthorized(userName=f"{p}_bob", resourceId=f"/{p}/res/child", action="ui.execute") is True, "inherited")
    check(authz.isRoleAuthorized(roleName=f"{p}_role", resourceId=f"/{p}/other", action="ui.execute") is False, "not granted")
    authz.clearResourceAuthorizations(resourceId=f"/{p}/res")
    check(not authz.getAllowedRolesForResource(resourceId=f"/{p}/res", action="ui.execute"), "cleared: null")
    check(not authz.getExplicitlyAllowedUsersForResource(resourceId=f"/{p}/res", action="ui.execute"), "cleared users")

    # UserProfileMgtService: the profile of a user, then alice's own associations.
    profile_client, profiles = client(args, "UserProfileMgtService", args.user, args.password)
    dto = profiles.getUserProfile(username=f"{p}_alice", profileName="default")
    by_name = {f.displayName: f.fieldValue for f in dto.fieldValues}
    check(by_name.get("Last Name") == f"{p}Last", f"getUserProfile: {by_name}")
    field_type = profile_client.get_type("{http://mgt.profile.user.identity.carbon.wso2.org/xsd}UserFieldDTO")
    profile_type = profile_client.get_type("{http://mgt.profile.user.identity.carbon.wso2.org/xsd}UserProfileDTO")
    profiles.setUserProfile(
        username=f"{p}_alice",
        profile=profile_type(
            fieldValues=[field_type(claimUri="http://wso2.org/claims/givenname", fieldValue="Alice")],
            profileName="default",
        ),
    )
    dto = profiles.getUserProfile(username=f"{p}_alice", profileName="default")
    check({f.displayName: f.fieldValue for f in dto.fieldValues}.get("First Name") == "Alice", "setUserProfile")
    check(profiles.isAddProfileEnabled() is True, "isAddProfileEnabled")
    _, own = client(args, "UserProfileMgtService", f"{p}_alice", "Alice1pass")
    own.associateID(idpID="idp1", associatedID=f"{p}_fed")
    accounts = own.getAssociatedIDs() or []
    check([(a.identityProviderName, a.id) for a in accounts] == [("idp1", f"{p}_fed")], "getAssociatedIDs")
    check(profiles.getNameAssociatedWith(idpID="idp1", associatedID=f"{p}_fed") == f"{p}_alice", "getNameAssociatedWith")

    # UserIdentityManagementAdminService: lock, unlock, disable, enable, challenges.
    identity_client, identity = client(args, "UserIdentityManagementAdminService", args.user, args.password)
    identity.lockUserAccount(userName=f"{p}_bob")
    _, as_bob = client(args, "UserAdmin", f"{p}_bob", "Bob2pass")
    text = fault_text(lambda: as_bob.getRolesOfCurrentUser())
    check("Authentication failed" in text, f"a locked account cannot log in: {text}")
    identity.unlockUserAccount(userName=f"{p}_bob", notificationType=None)
    identity.disableUserAccount(userName=f"{p}_bob", notificationType=None)
    identity.enableUserAccount(userName=f"{p}_bob", notificationType=None)
    challenge = identity_client.get_type("{http://dto.mgt.identity.carbon.wso2.org/xsd}UserChallengesDTO")
    identity.setChallengeQuestionsOfUser(
        userName=f"{p}_bob",
        challengesDTOs=[challenge(id="http://wso2.org/claims/challengeQuestion1", question="Favorite food ?", order=0, answer="a1")],
    )
    stored = identity.getChallengeQuestionsOfUser(userName=f"{p}_bob") or []
    check([c.question for c in stored] == ["Favorite food ?"] and stored[0].answer, "challenges")
    text = fault_text(lambda: identity.lockUserAccount(userName=f"{p}_nobody"))
    check(text == f"Error occurred while trying to lock the account {p}_nobody", text)

    ua.deleteUser(userName=f"{p}_alice")
    ua.deleteUser(userName=f"{p}_bob")
    ua.deleteRole(roleName=f"{p}_role")
    check(names(ua.listAllUsers(filter=f"{p}_*", limit=-1)) == ["false"], "cleaned up")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--wsdl-dir", required=True)
    parser.add_argument("--binding", default="soap11", choices=["soap11", "soap12"])
    parser.add_argument("--prefix", default="za")
    args = parser.parse_args()
    try:
        run(args)
    except Exception:
        traceback.print_exc()
        sys.exit(1)
    print("admin services scenario passed")


if __name__ == "__main__":
    main()

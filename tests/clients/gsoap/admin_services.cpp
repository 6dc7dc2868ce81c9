// gSOAP interoperability client for the Carbon admin services beside
// RemoteUserStoreManagerService: UserAdmin, RemoteAuthorizationManagerService,
// UserProfileMgtService and UserIdentityManagementAdminService.
//
// Built by admin_services.sh from code wsdl2h/soapcpp2 generate out of the four WSDLs (WSO2's
// reference copies, or the ones userstore serves); uses the SOAP 1.1 bindings' proxy classes,
// or with -DUSERSTORE_SOAP12 the SOAP 1.2 ones.
//
// usage: admin_services BASE_URL USER PASSWORD PREFIX
//   BASE_URL  e.g. http://127.0.0.1:PORT (the port paths are appended)
//
// Prints one line per step; exits non-zero with a message on the first mismatch.

#ifdef USERSTORE_SOAP12
#define BINDING "Soap12"
#include "soapUserAdminSoap12BindingProxy.h"
#include "soapRemoteAuthorizationManagerServiceSoap12BindingProxy.h"
#include "soapUserProfileMgtServiceSoap12BindingProxy.h"
#include "soapUserIdentityManagementAdminServiceSoap12BindingProxy.h"
typedef UserAdminSoap12BindingProxy UserAdmin;
typedef RemoteAuthorizationManagerServiceSoap12BindingProxy Authz;
typedef UserProfileMgtServiceSoap12BindingProxy Profiles;
typedef UserIdentityManagementAdminServiceSoap12BindingProxy Identity;
#else
#define BINDING "Soap11"
#include "soapUserAdminSoap11BindingProxy.h"
#include "soapRemoteAuthorizationManagerServiceSoap11BindingProxy.h"
#include "soapUserProfileMgtServiceSoap11BindingProxy.h"
#include "soapUserIdentityManagementAdminServiceSoap11BindingProxy.h"
typedef UserAdminSoap11BindingProxy UserAdmin;
typedef RemoteAuthorizationManagerServiceSoap11BindingProxy Authz;
typedef UserProfileMgtServiceSoap11BindingProxy Profiles;
typedef UserIdentityManagementAdminServiceSoap11BindingProxy Identity;
#endif
#include "svc.nsmap"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <list>
#include <map>
#include <vector>

static std::string g_base, g_user, g_password, g_prefix;

[[noreturn]] static void fail(const std::string &msg) {
    fflush(stdout);
    fprintf(stderr, "FAIL: %s\n", msg.c_str());
    exit(1);
}

static std::string fault_text(struct soap *soap) {
    std::string s = "soap error " + std::to_string(soap->error) + ", HTTP " + std::to_string(soap->status);
    const char *fs = soap_fault_string(soap);
    if (fs) s += ", faultstring: " + std::string(fs);
    return s;
}

static int (*orig_fsend)(struct soap *, const char *, size_t);
static size_t (*orig_frecv)(struct soap *, char *, size_t);
static int trace_send(struct soap *soap, const char *buf, size_t len) {
    fwrite(buf, 1, len, stderr);
    return orig_fsend(soap, buf, len);
}
static size_t trace_recv(struct soap *soap, char *buf, size_t len) {
    size_t n = orig_frecv(soap, buf, len);
    fwrite(buf, 1, n, stderr);
    return n;
}

/// Each proxy's Basic credentials (gSOAP clears them after every call).
static std::map<struct soap *, std::pair<std::string, std::string>> g_credentials;

/// `p` with its credentials set for the next call.
template <typename P> static P &auth(P &p) {
    auto &credentials = g_credentials[p.soap];
    p.soap->userid = credentials.first.c_str();
    p.soap->passwd = credentials.second.c_str();
    return p;
}

// The endpoint of `service`'s port for this binding, and the caller's credentials; with
// GSOAP_TRACE=1 the raw HTTP exchange goes to stderr.
template <typename P> static void bind(P &p, const char *service, const std::string &user, const std::string &pw) {
    static std::list<std::string> keep;  // stable addresses for the C strings gSOAP keeps
    keep.push_back(g_base + "/services/" + service + "." + service + "Https" BINDING "Endpoint/");
    p.soap_endpoint = keep.back().c_str();
    g_credentials[p.soap] = {user, pw};
    const char *trace = getenv("GSOAP_TRACE");
    if (trace && *trace == '1' && p.soap->fsend != trace_send) {
        orig_fsend = p.soap->fsend;
        orig_frecv = p.soap->frecv;
        p.soap->fsend = trace_send;
        p.soap->frecv = trace_recv;
    }
}

static void step(const char *name) {
    printf("[gsoap] %s ... ", name);
    fflush(stdout);
}
static void ok() { printf("ok\n"); }

template <typename P> static void must(P &p, int rc, const char *what) {
    if (rc != SOAP_OK) fail(std::string(what) + ": " + fault_text(p.soap));
}

// A void operation whose reply struct gSOAP names after the binding; its type is deduced.
template <typename P, typename Req, typename Resp>
static int call_void(P &p, int (P::*method)(Req *, Resp &), Req *req) {
    Resp response;
    return (auth(p).*method)(req, response);
}

// A string the soap context owns (freed with it).
static std::string *str(struct soap *soap, const std::string &s) {
    std::string *owned = soap_new_std__string(soap);
    *owned = s;
    return owned;
}

int main(int argc, char **argv) {
    if (argc != 5) fail("usage: admin_services BASE_URL USER PASSWORD PREFIX");
    g_base = argv[1];
    g_user = argv[2];
    g_password = argv[3];
    g_prefix = argv[4];
    const std::string role = g_prefix + "_role", user = g_prefix + "_alice", pw = "Alice1pass";

    UserAdmin ua;
    bind(ua, "UserAdmin", g_user, g_password);

    step("UserAdmin.addRole");
    {
        _ua__addRole req;
        req.soap_default(ua.soap);
        req.roleName = str(ua.soap, role);
        req.permissions.push_back("/permission/admin/login");
        bool shared = false;
        req.isSharedRole = &shared;
        must(ua, auth(ua).addRole(&req), "addRole");
    }
    ok();

    step("UserAdmin.addUser with a role and a claim");
    {
        _ua__addUser req;
        req.soap_default(ua.soap);
        req.userName = str(ua.soap, user);
        req.password = str(ua.soap, pw);
        req.roles.push_back(role);
        common__ClaimValue claim;
        claim.soap_default(ua.soap);
        claim.claimURI = str(ua.soap, "http://wso2.org/claims/lastname");
        claim.value = str(ua.soap, g_prefix + "Last");
        req.claims.push_back(&claim);
        req.profileName = str(ua.soap, "default");
        must(ua, call_void(ua, &UserAdmin::addUser, &req), "addUser");
    }
    ok();

    step("UserAdmin.listAllUsers ends with the pagination tail");
    {
        _ua__listAllUsers req;
        req.soap_default(ua.soap);
        req.filter = str(ua.soap, g_prefix + "_*");
        int limit = -1;
        req.limit = &limit;
        _ua__listAllUsersResponse resp;
        must(ua, auth(ua).listAllUsers(&req, resp), "listAllUsers");
        std::vector<std::string> names;
        for (auto *f : resp.return_)
            if (f && f->itemName) names.push_back(*f->itemName);
        if (names != std::vector<std::string>{user, "false"}) fail("listAllUsers: unexpected names");
    }
    ok();

    step("UserAdmin.getRolesOfUser marks the user's roles selected");
    {
        _ua__getRolesOfUser req;
        req.soap_default(ua.soap);
        req.userName = str(ua.soap, user);
        req.filter = str(ua.soap, "*");
        int limit = -1;
        req.limit = &limit;
        _ua__getRolesOfUserResponse resp;
        must(ua, auth(ua).getRolesOfUser(&req, resp), "getRolesOfUser");
        bool found = false;
        for (auto *f : resp.return_)
            if (f && f->itemName && *f->itemName == role && f->selected && *f->selected) found = true;
        if (!found) fail("getRolesOfUser: the role is not selected");
    }
    ok();

    step("UserAdmin.deleteRole(admin) faults");
    {
        _ua__deleteRole req;
        req.soap_default(ua.soap);
        req.roleName = str(ua.soap, "admin");
        if (auth(ua).deleteRole(&req) == SOAP_OK) fail("deleteRole(admin) succeeded");
        // An in-only operation: gSOAP reads only the HTTP status of its answer.
        const char *reason = soap_fault_string(ua.soap);
        if (ua.soap->status != 500 ||
            (reason && std::string(reason).find("Cannot delete admin role") == std::string::npos))
            fail("deleteRole(admin): " + fault_text(ua.soap));
    }
    ok();

    Authz authz;
    bind(authz, "RemoteAuthorizationManagerService", g_user, g_password);
    const std::string resource = "/" + g_prefix + "/res";
    step("RemoteAuthorizationManagerService.authorizeRole, isRoleAuthorized, getAllowedRolesForResource");
    {
        _us__authorizeRole req;
        req.soap_default(authz.soap);
        req.roleName = str(authz.soap, role);
        req.resourceId = str(authz.soap, resource);
        req.action = str(authz.soap, "ui.execute");
        must(authz, auth(authz).authorizeRole(&req), "authorizeRole");
        _us__isRoleAuthorized ask;
        ask.soap_default(authz.soap);
        ask.roleName = str(authz.soap, role);
        ask.resourceId = str(authz.soap, resource + "/child");
        ask.action = str(authz.soap, "ui.execute");
        _us__isRoleAuthorizedResponse answer;
        must(authz, auth(authz).isRoleAuthorized(&ask, answer), "isRoleAuthorized");
        if (!answer.return_ || !*answer.return_) fail("isRoleAuthorized: false below a granted resource");
        _us__getAllowedRolesForResource roles;
        roles.soap_default(authz.soap);
        roles.resourceId = str(authz.soap, resource);
        roles.action = str(authz.soap, "ui.execute");
        _us__getAllowedRolesForResourceResponse allowed;
        must(authz, auth(authz).getAllowedRolesForResource(&roles, allowed), "getAllowedRolesForResource");
        if (allowed.return_.size() != 1 || allowed.return_[0] != role) fail("getAllowedRolesForResource");
    }
    ok();

    Profiles profiles;
    bind(profiles, "UserProfileMgtService", g_user, g_password);
    step("UserProfileMgtService.getUserProfile shows the Last Name");
    {
        _prof__getUserProfile req;
        req.soap_default(profiles.soap);
        req.username = str(profiles.soap, user);
        req.profileName = str(profiles.soap, "default");
        _prof__getUserProfileResponse resp;
        must(profiles, auth(profiles).getUserProfile(&req, resp), "getUserProfile");
        if (!resp.return_) fail("getUserProfile: nil");
        bool found = false;
        for (auto *field : resp.return_->fieldValues)
            if (field && field->displayName && *field->displayName == "Last Name" && field->fieldValue &&
                *field->fieldValue == g_prefix + "Last")
                found = true;
        if (!found) fail("getUserProfile: no Last Name field with the value");
    }
    ok();

    Identity identity;
    bind(identity, "UserIdentityManagementAdminService", g_user, g_password);
    step("UserIdentityManagementAdminService.lockUserAccount locks the account everywhere");
    {
        _idmgt__lockUserAccount req;
        req.soap_default(identity.soap);
        req.userName = str(identity.soap, user);
        must(identity, call_void(identity, &Identity::lockUserAccount, &req), "lockUserAccount");
        UserAdmin as_user;
        bind(as_user, "UserAdmin", user, pw);
        _ua__getRolesOfCurrentUser mine;
        mine.soap_default(as_user.soap);
        _ua__getRolesOfCurrentUserResponse roles;
        if (auth(as_user).getRolesOfCurrentUser(&mine, roles) == SOAP_OK) fail("a locked user logged in");
        _idmgt__unlockUserAccount unlock;
        unlock.soap_default(identity.soap);
        unlock.userName = str(identity.soap, user);
        must(identity, call_void(identity, &Identity::unlockUserAccount, &unlock), "unlockUserAccount");
        bind(as_user, "UserAdmin", user, pw);
        must(as_user, auth(as_user).getRolesOfCurrentUser(&mine, roles), "getRolesOfCurrentUser after unlock");
    }
    ok();

    step("clean up");
    {
        _ua__deleteUser del;
        del.soap_default(ua.soap);
        del.userName = str(ua.soap, user);
        must(ua, call_void(ua, &UserAdmin::deleteUser, &del), "deleteUser");
        _ua__deleteRole drop;
        drop.soap_default(ua.soap);
        drop.roleName = str(ua.soap, role);
        must(ua, auth(ua).deleteRole(&drop), "deleteRole");
    }
    ok();
    printf("[gsoap] admin services scenario passed (%s)\n", BINDING);
    return 0;
}

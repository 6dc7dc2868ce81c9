// gSOAP interoperability client for userstore's RemoteUserStoreManagerService.
//
// Built by run.sh from code that wsdl2h/soapcpp2 generate out of the WSDL the server
// publishes; uses the proxy class of the SOAP 1.1 binding
// (RemoteUserStoreManagerServiceSoap11Binding), or with -DUSERSTORE_SOAP12 the one of
// the SOAP 1.2 binding.
//
// usage: client ENDPOINT USER PASSWORD
//   ENDPOINT  the SOAP 1.1 port address (from the WSDL)
//   USER/PASSWORD  HTTP Basic credentials of an admin
// Environment:
//   GSOAP_TRACE=1  dump every raw HTTP request/response to stderr
//   GSOAP_AUTH_ENDPOINT  with -DUSERSTORE_AUTH_ADMIN: AuthenticationAdmin's SOAP 1.1 address
//
// Prints one line per step; exits non-zero with a message on the first mismatch.

#ifdef USERSTORE_SOAP12
// optional: the SOAP 1.2 binding's proxy (run.sh with GSOAP_BINDINGS="soap11 soap12")
#include "soapRemoteUserStoreManagerServiceSoap12BindingProxy.h"
#include "RemoteUserStoreManagerServiceSoap12Binding.nsmap"
typedef RemoteUserStoreManagerServiceSoap12BindingProxy Proxy;
#else
#include "soapRemoteUserStoreManagerServiceSoap11BindingProxy.h"
#include "RemoteUserStoreManagerServiceSoap11Binding.nsmap"
typedef RemoteUserStoreManagerServiceSoap11BindingProxy Proxy;
#endif

#ifdef USERSTORE_AUTH_ADMIN
// AuthenticationAdmin's proxy, generated from its WSDL into the same header
#include "soapAuthenticationAdminSoap11BindingProxy.h"
#endif

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <unistd.h>
#include <vector>

static const char *g_user;
static const char *g_password;
static const char *g_endpoint;

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

[[noreturn]] static void fail(const std::string &msg) {
    fflush(stdout);
    fprintf(stderr, "FAIL: %s\n", msg.c_str());
    exit(1);
}

static std::string fault_text(Proxy &p) {
    struct soap *soap = p.soap;
    std::string s = "soap error " + std::to_string(soap->error) + ", HTTP status " +
                    std::to_string(soap->status);
    const char *fs = soap_fault_string(soap);
    if (fs) s += ", faultstring: " + std::string(fs);
    const char *fc = soap_fault_subcode(soap);
    if (!fc) fc = *soap_faultcode(soap);
    if (fc) s += ", faultcode: " + std::string(fc);
    return s;
}

// Basic-auth credentials are (re)set before every call.
static void auth(Proxy &p) {
    p.soap->userid = g_user;
    p.soap->passwd = g_password;
}

static void check_ok(Proxy &p, int rc, const std::string &what) {
    if (rc != SOAP_OK) fail(what + " failed: " + fault_text(p));
}

// Receive the HTTP response of a one-way (in-only) operation after its generated
// send_X() call. Success is HTTP 200/202 with an empty body. On failure the server
// answers HTTP 500 with a SOAP Fault, which this parses with gSOAP's own fault
// deserializer, so soap_fault_string() works. (The generated X() wrapper uses
// soap_recv_empty_response(), which in gSOAP 2.8.124 skips the HTTP body and only
// reports the HTTP status: it detects the failure but discards the fault.)
static int recv_oneway(struct soap *soap) {
    if (soap_begin_recv(soap)) {
        // no body: soap_begin_recv() reports the HTTP status as the error code
        if (soap->error >= 200 && soap->error <= 202) soap->error = SOAP_OK;
        return soap_closesock(soap);
    }
    if (soap->status >= 200 && soap->status <= 202) {
        if (soap_http_skip_body(soap) == SOAP_OK) soap_end_recv(soap);
        soap_closesock(soap);
        return soap->error;
    }
    if (soap_envelope_begin_in(soap) || soap_recv_header(soap) || soap_body_begin_in(soap))
        return soap_closesock(soap);
    int rc = soap_recv_fault(soap, 1);  // parses SOAP-ENV:Fault, returns SOAP_FAULT
    if (rc == SOAP_OK) rc = soap->error = soap->status ? soap->status : SOAP_NO_DATA;
    return rc;
}

static std::string join(const std::vector<std::string> &v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); i++) {
        if (i) s += ", ";
        s += "\"" + v[i] + "\"";
    }
    return s + "]";
}

static bool ci_less(const std::string &a, const std::string &b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return tolower((unsigned char)x) < tolower((unsigned char)y);
    });
}

#ifdef USERSTORE_AUTH_ADMIN
static std::string g_cookie;
static int (*orig_parsehdr)(struct soap *, const char *, const char *);

// Keep the JSESSIONID of a Set-Cookie header (name=value, without its attributes).
static int capture_cookie(struct soap *soap, const char *key, const char *val) {
    if (!soap_tag_cmp(key, "Set-Cookie")) {
        std::string v(val);
        if (v.rfind("JSESSIONID=", 0) == 0) g_cookie = v.substr(0, v.find(';'));
    }
    return orig_parsehdr(soap, key, val);
}
#endif

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s ENDPOINT USER PASSWORD\n", argv[0]);
        return 2;
    }
    g_endpoint = argv[1];
    g_user = argv[2];
    g_password = argv[3];

    setvbuf(stdout, NULL, _IOLBF, 0);  // keep step lines and FAIL (stderr) in order

    Proxy p(g_endpoint, SOAP_C_UTFSTRING);
    if (getenv("GSOAP_TRACE") && *getenv("GSOAP_TRACE") && *getenv("GSOAP_TRACE") != '0') {
        orig_fsend = p.soap->fsend;
        orig_frecv = p.soap->frecv;
        p.soap->fsend = trace_send;
        p.soap->frecv = trace_recv;
    }
    printf("endpoint: %s (SOAP version in use: 1.%d)\n", p.soap_endpoint, p.soap->version == 2 ? 2 : 1);

    // Unique names so the run does not depend on a fresh database. The role name
    // starts with a lower-case letter so that case-insensitive order
    // ("gsoap..." < "Internal/everyone") differs from byte order.
    std::string suffix = std::to_string((long)getpid()) + "_" + std::to_string((long)time(NULL));
    std::string role = "gsoapRole_" + suffix;
    std::string user = "gsoapuser_" + suffix;
    std::string missing = "gsoapmissing_" + suffix;
    std::string credential = "Gs0ap-pass!word";
    std::string claimUri = "http://wso2.org/claims/emailaddress";
    std::string claimValue = "gsoap_" + suffix + "@example.com";
    std::string profile = "default";
    std::string everyone = "Internal/everyone";

    // 1. addRole (in-only: HTTP 202, empty body)
    {
        _us__addRole req;
        req.roleName = &role;
        auth(p);
        int rc = p.addRole(&req);
        check_ok(p, rc, "addRole(" + role + ")");
        printf("ok   addRole %s (HTTP %d)\n", role.c_str(), p.soap->status);
    }

    // 1b. the same 202 success path through send_addRole() + recv_oneway() (used in step 7b)
    {
        std::string role2 = "gsoapRole2_" + suffix;
        _us__addRole req;
        req.roleName = &role2;
        auth(p);
        int rc = p.send_addRole(&req);
        if (rc == SOAP_OK) rc = recv_oneway(p.soap);
        check_ok(p, rc, "send_addRole(" + role2 + ")");
        printf("ok   send_addRole %s (HTTP %d)\n", role2.c_str(), p.soap->status);
    }

    // 2. addUser with a roleList and a claim (in-only)
    common__ClaimValue claim;
    claim.claimURI = &claimUri;
    claim.value = &claimValue;
    bool requireChange = false;
    _us__addUser addReq;
    addReq.userName = &user;
    addReq.credential = &credential;
    addReq.roleList.push_back(role);
    addReq.claims.push_back(&claim);
    addReq.profileName = &profile;
    addReq.requirePasswordChange = &requireChange;
    {
        auth(p);
        int rc = p.addUser(&addReq);
        check_ok(p, rc, "addUser(" + user + ")");
        printf("ok   addUser %s roleList=[%s] claim %s=%s (HTTP %d)\n", user.c_str(), role.c_str(),
               claimUri.c_str(), claimValue.c_str(), p.soap->status);
    }

    // 3. isExistingUser: true for the new user, false for a missing one
    {
        _us__isExistingUser req;
        _us__isExistingUserResponse resp;
        req.userName = &user;
        auth(p);
        check_ok(p, p.isExistingUser(&req, resp), "isExistingUser(" + user + ")");
        if (!resp.return_) fail("isExistingUser(" + user + ") returned no value");
        if (*resp.return_ != true) fail("isExistingUser(" + user + ") returned false, expected true");
        printf("ok   isExistingUser %s -> true\n", user.c_str());

        _us__isExistingUser req2;
        _us__isExistingUserResponse resp2;
        req2.userName = &missing;
        auth(p);
        check_ok(p, p.isExistingUser(&req2, resp2), "isExistingUser(" + missing + ")");
        if (!resp2.return_) fail("isExistingUser(" + missing + ") returned no value");
        if (*resp2.return_ != false) fail("isExistingUser(" + missing + ") returned true, expected false");
        printf("ok   isExistingUser %s -> false\n", missing.c_str());
    }

    // 4. the claim was stored (getUserClaimValue)
    {
        _us__getUserClaimValue req;
        _us__getUserClaimValueResponse resp;
        req.userName = &user;
        req.claim = &claimUri;
        req.profileName = &profile;
        auth(p);
        check_ok(p, p.getUserClaimValue(&req, resp), "getUserClaimValue(" + user + ")");
        if (!resp.return_) fail("getUserClaimValue returned nil, expected \"" + claimValue + "\"");
        if (*resp.return_ != claimValue)
            fail("getUserClaimValue returned \"" + *resp.return_ + "\", expected \"" + claimValue + "\"");
        printf("ok   getUserClaimValue %s %s -> %s\n", user.c_str(), claimUri.c_str(), resp.return_->c_str());
    }

    // 4b. getUserClaimValues: ClaimDTOs (dao namespace) with the claim and the user's UUID
    {
        _us__getUserClaimValues req;
        _us__getUserClaimValuesResponse resp;
        req.userName = &user;
        req.profileName = &profile;
        auth(p);
        check_ok(p, p.getUserClaimValues(&req, resp), "getUserClaimValues(" + user + ")");
        bool found = false, has_id = false;
        for (dao__ClaimDTO *dto : resp.return_) {
            if (!dto || !dto->claimUri) fail("getUserClaimValues returned a ClaimDTO without claimUri");
            if (*dto->claimUri == claimUri && dto->value && *dto->value == claimValue) found = true;
            if (*dto->claimUri == "http://wso2.org/claims/userid" && dto->value && dto->value->size() == 36)
                has_id = true;
        }
        if (!found) fail("getUserClaimValues lacks " + claimUri + "=" + claimValue);
        if (!has_id) fail("getUserClaimValues lacks the userid UUID");
        printf("ok   getUserClaimValues %s -> %zu ClaimDTOs\n", user.c_str(), resp.return_.size());
    }

    // 4c. addUserClaimValues (in-only) appends to a multi-valued claim, skipping a duplicate
    {
        std::string nickname = "http://wso2.org/claims/nickname";
        std::string first = "gs", dup = "GS", second = "oap";
        common__ClaimValue a, b, c;
        a.claimURI = &nickname; a.value = &first;
        b.claimURI = &nickname; b.value = &dup;
        c.claimURI = &nickname; c.value = &second;
        _us__addUserClaimValues req;
        req.userName = &user;
        req.claims.push_back(&a);
        req.profileName = &profile;
        auth(p);
        check_ok(p, p.addUserClaimValues(&req), "addUserClaimValues(" + user + ")");
        _us__addUserClaimValues req2;
        req2.userName = &user;
        req2.claims.push_back(&b);
        req2.claims.push_back(&c);
        req2.profileName = &profile;
        auth(p);
        check_ok(p, p.addUserClaimValues(&req2), "addUserClaimValues(" + user + ") again");
        _us__getUserClaimValue get;
        _us__getUserClaimValueResponse resp;
        get.userName = &user;
        get.claim = &nickname;
        get.profileName = &profile;
        auth(p);
        check_ok(p, p.getUserClaimValue(&get, resp), "getUserClaimValue(nickname)");
        if (!resp.return_ || *resp.return_ != "gs,oap")
            fail("nickname after addUserClaimValues is " + (resp.return_ ? *resp.return_ : std::string("nil")) +
                 ", expected gs,oap");
        printf("ok   addUserClaimValues %s -> %s\n", user.c_str(), resp.return_->c_str());
    }

    // 5. listUsers with a filter and maxItemLimit: exactly the new user
    {
        std::string filter = "gsoapuser_" + suffix + "*";
        int limit = 10;
        _us__listUsers req;
        _us__listUsersResponse resp;
        req.filter = &filter;
        req.maxItemLimit = &limit;
        auth(p);
        check_ok(p, p.listUsers(&req, resp), "listUsers(" + filter + ")");
        std::vector<std::string> expected{user};
        if (resp.return_ != expected)
            fail("listUsers(" + filter + ", 10) returned " + join(resp.return_) + ", expected " + join(expected));
        printf("ok   listUsers filter=%s maxItemLimit=%d -> %s\n", filter.c_str(), limit, join(resp.return_).c_str());
    }

    // 6. getRoleListOfUser: exactly the role plus Internal/everyone, sorted case-insensitively
    {
        _us__getRoleListOfUser req;
        _us__getRoleListOfUserResponse resp;
        req.userName = &user;
        auth(p);
        check_ok(p, p.getRoleListOfUser(&req, resp), "getRoleListOfUser(" + user + ")");
        std::vector<std::string> expected{role, everyone};
        std::sort(expected.begin(), expected.end(), ci_less);
        if (resp.return_ != expected)
            fail("getRoleListOfUser(" + user + ") returned " + join(resp.return_) + ", expected exactly " +
                 join(expected));
        printf("ok   getRoleListOfUser %s -> %s\n", user.c_str(), join(resp.return_).c_str());
    }

    // 7. adding the same user again must fail.
    // 7a. the generated one-way wrapper addUser() must report the failure (non-zero)
    {
        auth(p);
        int rc = p.addUser(&addReq);
        if (rc == SOAP_OK)
            fail("second addUser(" + user + ") via generated addUser() reported success (HTTP " +
                 std::to_string(p.soap->status) + "), expected failure");
        printf("ok   addUser %s again via generated addUser() -> failure reported (soap error %d, HTTP %d)\n",
               user.c_str(), rc, p.soap->status);
    }
    // 7b. send_addUser() + parsing the response: a SOAP fault mentioning "already exists"
    {
        auth(p);
        int rc = p.send_addUser(&addReq);
        if (rc == SOAP_OK) rc = recv_oneway(p.soap);
        if (rc == SOAP_OK)
            fail("second addUser(" + user + ") succeeded (HTTP " + std::to_string(p.soap->status) +
                 "), expected a SOAP fault");
        if (rc != SOAP_FAULT) fail("second addUser(" + user + ") failed without a SOAP fault: " + fault_text(p));
        const char *fs = soap_fault_string(p.soap);
        if (!fs || std::string(fs).find("already exists") == std::string::npos)
            fail("second addUser(" + user + ") fault does not mention 'already exists': " + fault_text(p));
        const char *fc = soap_fault_subcode(p.soap);
        if (!fc) fc = *soap_faultcode(p.soap);
        printf("ok   addUser %s again via send_addUser() -> SOAP fault (HTTP %d, faultcode %s): %s\n", user.c_str(),
               p.soap->status, fc ? fc : "?", fs);
    }

#ifdef USERSTORE_AUTH_ADMIN
    // 8. AuthenticationAdmin.login, then the user store with the session cookie and no Basic
    {
        const char *auth_endpoint = getenv("GSOAP_AUTH_ENDPOINT");
        if (!auth_endpoint || !*auth_endpoint) fail("GSOAP_AUTH_ENDPOINT is not set");
        AuthenticationAdminSoap11BindingProxy a(auth_endpoint, SOAP_C_UTFSTRING);
        orig_parsehdr = a.soap->fparsehdr;
        a.soap->fparsehdr = capture_cookie;
        std::string name = g_user, password = g_password, address = "127.0.0.1";
        _auth__login req;
        _auth__loginResponse resp;
        req.username = &name;
        req.password = &password;
        req.remoteAddress = &address;
        if (a.login(&req, resp) != SOAP_OK) fail("AuthenticationAdmin.login failed");
        if (!resp.return_ || !*resp.return_) fail("AuthenticationAdmin.login returned false");
        if (g_cookie.empty()) fail("AuthenticationAdmin.login set no JSESSIONID cookie");
        Proxy q(g_endpoint, SOAP_C_UTFSTRING);
        std::string cookie_header = "Cookie: " + g_cookie;
        q.soap->http_extra_header = cookie_header.c_str();
        _us__isExistingUser ask;
        _us__isExistingUserResponse answer;
        ask.userName = &user;
        check_ok(q, q.isExistingUser(&ask, answer), "isExistingUser with the session cookie");
        if (!answer.return_ || !*answer.return_) fail("isExistingUser with the session cookie returned false");
        printf("ok   AuthenticationAdmin.login -> %s; isExistingUser %s with the cookie alone -> true\n",
               g_cookie.substr(0, 16).c_str(), user.c_str());
    }
#endif

    printf("PASS: all gSOAP client checks succeeded\n");
    return 0;
}

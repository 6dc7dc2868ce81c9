// The benchmark's peer: a gSOAP C++ server generated from the reference WSDL that answers
// isExistingUser, getUserClaimValue, getRoleListOfUser, getUserClaimValues and listUsers from
// an in-memory map of the users bench/seed.py writes. It does no storage work, so its
// throughput is what the fastest common SOAP stack reaches on this machine; bench/run.sh
// reports userstore's throughput as a share of it. Other operations answer SOAP_NO_METHOD.
//
// usage: server USERS.jsonl ADMIN PASSWORD
//   Listens on 127.0.0.1 on a free port, prints "gsoap-peer ready on http://127.0.0.1:PORT"
//   once the users are loaded, and serves each keep-alive connection on its own thread.
//   Requests must carry HTTP Basic credentials ADMIN:PASSWORD (checked as a plain string
//   comparison: the peer measures SOAP, not hashing).

#include "soapRemoteUserStoreManagerServiceSoap11BindingService.h"
#include "RemoteUserStoreManagerServiceSoap11Binding.nsmap"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

struct User {
    std::vector<std::string> roles;
    std::vector<std::pair<std::string, std::string>> claims;
};

std::unordered_map<std::string, User> users;
std::vector<std::string> sorted_names;
std::string admin_name, admin_password;

// A reader for the one JSON shape bench/seed.py writes: an object of strings, arrays of
// strings and objects of strings. Returns false on anything else.
struct Json {
    const std::string &s;
    size_t i = 0;
    void ws() { while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) i++; }
    bool eat(char c) { ws(); if (i < s.size() && s[i] == c) { i++; return true; } return false; }
    bool string(std::string &out) {
        if (!eat('"')) return false;
        out.clear();
        while (i < s.size() && s[i] != '"') {
            if (s[i] == '\\' && i + 1 < s.size()) i++;
            out += s[i++];
        }
        return eat('"');
    }
    bool strings(std::vector<std::string> &out) {
        if (!eat('[')) return false;
        std::string v;
        if (eat(']')) return true;
        do { if (!string(v)) return false; out.push_back(v); } while (eat(','));
        return eat(']');
    }
    bool pairs(std::vector<std::pair<std::string, std::string>> &out) {
        if (!eat('{')) return false;
        std::string k, v;
        if (eat('}')) return true;
        do {
            if (!string(k) || !eat(':') || !string(v)) return false;
            out.emplace_back(k, v);
        } while (eat(','));
        return eat('}');
    }
    bool user(std::string &name, User &user) {
        if (!eat('{')) return false;
        std::string key, ignored;
        do {
            if (!string(key) || !eat(':')) return false;
            bool ok = key == "username" ? string(name)
                    : key == "roles"    ? strings(user.roles)
                    : key == "claims"   ? pairs(user.claims)
                                        : string(ignored);
            if (!ok) return false;
        } while (eat(','));
        return eat('}');
    }
};

bool load(const char *path) {
    std::ifstream in(path);
    if (!in) return false;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        Json json{line};
        std::string name;
        User user;
        if (!json.user(name, user)) {
            fprintf(stderr, "gsoap-peer: cannot read line: %.80s\n", line.c_str());
            return false;
        }
        sorted_names.push_back(name);
        users.emplace(std::move(name), std::move(user));
    }
    std::sort(sorted_names.begin(), sorted_names.end());
    return true;
}

const User *find(const std::string *name) {
    if (!name) return nullptr;
    auto it = users.find(*name);
    return it == users.end() ? nullptr : &it->second;
}

}  // namespace

class Peer : public RemoteUserStoreManagerServiceSoap11BindingService {
  public:
    using RemoteUserStoreManagerServiceSoap11BindingService::RemoteUserStoreManagerServiceSoap11BindingService;

    // A connection's service object must be a Peer too, or it would answer with the base
    // class's operations.
    Peer *copy() override {
        Peer *dup = new Peer();
        soap_done(dup->soap);
        soap_copy_context(dup->soap, soap);
        return dup;
    }

    // Every operation starts here (gSOAP's fparse hook would run before the body is read;
    // this check is as cheap and keeps to the generated service API).
    bool authorized() {
        return soap->userid && soap->passwd && admin_name == soap->userid && admin_password == soap->passwd;
    }
    int unauthorized() {
        soap->authrealm = "userstore";
        return 401;
    }

    int isExistingUser(_us__isExistingUser *req, _us__isExistingUserResponse &res) override {
        if (!authorized()) return unauthorized();
        res.return_ = soap_new_bool(soap);
        *res.return_ = find(req->userName) != nullptr;
        return SOAP_OK;
    }

    int getUserClaimValue(_us__getUserClaimValue *req, _us__getUserClaimValueResponse &res) override {
        if (!authorized()) return unauthorized();
        const User *user = find(req->userName);
        if (!user) return soap_receiverfault("UserNotFound: User does not exist", nullptr);
        if (!req->claim) return SOAP_OK;
        for (const auto &claim : user->claims) {
            if (claim.first == *req->claim) {
                res.return_ = soap_new_std__string(soap);
                *res.return_ = claim.second;
            }
        }
        return SOAP_OK;
    }

    int getRoleListOfUser(_us__getRoleListOfUser *req, _us__getRoleListOfUserResponse &res) override {
        if (!authorized()) return unauthorized();
        const User *user = find(req->userName);
        if (!user) return soap_receiverfault("UserNotFound: User does not exist", nullptr);
        res.return_ = user->roles;
        res.return_.push_back("Internal/everyone");
        return SOAP_OK;
    }

    int getUserClaimValues(_us__getUserClaimValues *req, _us__getUserClaimValuesResponse &res) override {
        if (!authorized()) return unauthorized();
        const User *user = find(req->userName);
        if (!user) return soap_receiverfault("UserNotFound: User does not exist", nullptr);
        for (const auto &claim : user->claims) {
            dao__ClaimDTO *dto = soap_new_dao__ClaimDTO(soap);
            dto->claimUri = soap_new_std__string(soap);
            *dto->claimUri = claim.first;
            dto->value = soap_new_std__string(soap);
            *dto->value = claim.second;
            dto->displayOrder = soap_new_int(soap);
            *dto->displayOrder = 0;
            dto->required = soap_new_bool(soap);
            *dto->required = false;
            dto->supportedByDefault = soap_new_bool(soap);
            *dto->supportedByDefault = false;
            res.return_.push_back(dto);
        }
        return SOAP_OK;
    }

    // The filter is a prefix followed by "*" (or an exact name), as the benchmark sends it.
    int listUsers(_us__listUsers *req, _us__listUsersResponse &res) override {
        if (!authorized()) return unauthorized();
        std::string filter = req->filter ? *req->filter : "*";
        int limit = req->maxItemLimit && *req->maxItemLimit >= 0 ? *req->maxItemLimit : 100;
        bool prefix = !filter.empty() && filter.back() == '*';
        if (prefix) filter.pop_back();
        for (auto it = std::lower_bound(sorted_names.begin(), sorted_names.end(), filter);
             it != sorted_names.end() && (int)res.return_.size() < limit; ++it) {
            if (prefix ? it->compare(0, filter.size(), filter) != 0 : *it != filter) break;
            res.return_.push_back(*it);
        }
        return SOAP_OK;
    }

#include "not_implemented.inc"
};

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s USERS.jsonl ADMIN PASSWORD\n", argv[0]);
        return 2;
    }
    if (!load(argv[1])) {
        fprintf(stderr, "gsoap-peer: cannot load %s\n", argv[1]);
        return 1;
    }
    admin_name = argv[2];
    admin_password = argv[3];

    Peer listener(SOAP_IO_KEEPALIVE, SOAP_IO_KEEPALIVE);
    listener.soap->bind_flags = SO_REUSEADDR;
    if (!soap_valid_socket(listener.bind("127.0.0.1", 0, 1024))) {
        listener.soap_stream_fault(std::cerr);
        return 1;
    }
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    getsockname(listener.soap->master, (struct sockaddr *)&addr, &len);
    int port = addr.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&addr)->sin6_port)
                                          : ntohs(((struct sockaddr_in *)&addr)->sin_port);
    printf("gsoap-peer ready on http://127.0.0.1:%d (%zu users)\n", port, users.size());
    fflush(stdout);

    for (;;) {
        if (!soap_valid_socket(listener.accept())) continue;
        Peer *connection = listener.copy();
        if (!connection) continue;
        // Keep-alive for the whole connection (gSOAP's default ends it after 100 requests),
        // and time limits so that an idle client cannot hold a thread for ever.
        connection->soap->max_keep_alive = 0;
        connection->soap->recv_timeout = 30;
        connection->soap->send_timeout = 30;
        std::thread([connection] {
            connection->serve();
            connection->destroy();
            delete connection;  // closes the socket
        }).detach();
    }
}

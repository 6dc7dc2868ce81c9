#!/usr/bin/env bash
# gSOAP (C++) interoperability test for userstore's RemoteUserStoreManagerService.
#
# usage: run.sh WSDL_URL USER PASSWORD [ENDPOINT]
#   WSDL_URL  e.g. http://127.0.0.1:PORT/services/RemoteUserStoreManagerService?wsdl
#   USER/PASSWORD  HTTP Basic credentials of an admin user
#   ENDPOINT  optional; default: the address of the WSDL's SOAP 1.1 port
#
# In a fresh temporary directory: downloads the WSDL with curl, generates C++ code with
# wsdl2h + soapcpp2, compiles it with client.cpp against libgsoap++ and runs the client
# through the proxy class of the SOAP 1.1 binding.
#
# Environment:
#   GSOAP_BINDINGS  bindings to test, default "soap11"; "soap11 soap12" also builds the
#                   SOAP 1.2 binding's proxy and runs the same client against the
#                   WSDL's SOAP 1.2 port (ENDPOINT, if given, applies to soap11 only)
#   GSOAP_IMPORT    gSOAP import directory (default: first of /usr/share/gsoap/import,
#                   /usr/local/share/gsoap/import)
#   GSOAP_TYPEMAP   wsdl2h typemap.dat (default: WS/typemap.dat next to the import dir)
#   GSOAP_TRACE=1   client dumps raw HTTP traffic to stderr
#   KEEP_TMP=1      keep the temporary directory (path is printed)
#   GSOAP_AUTH_WSDL AuthenticationAdmin's WSDL URL: also generate its proxy and have the client
#                   log in through it and call the user store with the session cookie alone
#
# Exits non-zero with a message if a tool is missing or any step fails; never skips.
set -euo pipefail

die() { echo "run.sh: ERROR: $*" >&2; exit 1; }

[ $# -ge 3 ] && [ $# -le 4 ] || die "usage: $0 WSDL_URL USER PASSWORD [ENDPOINT]"
WSDL_URL=$1
USER_NAME=$2
PASSWORD=$3
ENDPOINT_OVERRIDE=${4:-}
BINDINGS=${GSOAP_BINDINGS:-soap11}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
START=$(date +%s.%N)

# --- tools -----------------------------------------------------------------------------
for tool in curl wsdl2h soapcpp2 g++; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "required tool '$tool' not found in PATH (Debian: apt-get install gsoap libgsoap-dev g++ curl)"
done
[ -f "$HERE/client.cpp" ] || die "missing $HERE/client.cpp"

IMPORT_DIR=${GSOAP_IMPORT:-}
if [ -z "$IMPORT_DIR" ]; then
    for d in /usr/share/gsoap/import /usr/local/share/gsoap/import; do
        if [ -f "$d/soap12.h" ]; then IMPORT_DIR=$d; break; fi
    done
fi
[ -n "$IMPORT_DIR" ] && [ -f "$IMPORT_DIR/soap12.h" ] ||
    die "gSOAP import directory (with soap12.h) not found; set GSOAP_IMPORT (Debian package: gsoap)"
TYPEMAP=${GSOAP_TYPEMAP:-$(dirname "$IMPORT_DIR")/WS/typemap.dat}
[ -f "$TYPEMAP" ] || die "wsdl2h typemap.dat not found at $TYPEMAP; set GSOAP_TYPEMAP"

# Compile flags must match how libgsoap++ was built (Debian: -DWITH_IPV6 -DWITH_DOM change
# the layout of struct soap), so take them from pkg-config.
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists gsoap++; then
    read -r -a GSOAP_FLAGS <<<"$(pkg-config --cflags --libs gsoap++)"
else
    die "pkg-config metadata for gsoap++ not found (Debian package: libgsoap-dev, plus pkg-config)"
fi

# (No "soapcpp2 -v" probe: it goes on to read a header from stdin and writes soapC.cpp etc.
# into the current directory. The versions are taken from the tools' banners below.)
echo "gSOAP: import dir $IMPORT_DIR, typemap $TYPEMAP, compile flags: ${GSOAP_FLAGS[*]}"

# --- temp dir --------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/userstore-gsoap.XXXXXX")
cleanup() {
    if [ "${KEEP_TMP:-0}" = 1 ]; then echo "run.sh: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Runs a step, keeping its output in a log; on failure prints the log and exits.
step() {
    local name=$1; shift
    local log="$WORK/$name.log"
    if ! "$@" </dev/null >"$log" 2>&1; then
        echo "run.sh: ERROR: step '$name' failed: $*" >&2
        sed 's/^/    /' "$log" >&2
        exit 1
    fi
}

# --- WSDL ------------------------------------------------------------------------------
echo "== download WSDL: $WSDL_URL"
curl -fsS --max-time 30 -o "$WORK/service.wsdl" "$WSDL_URL" || die "could not download the WSDL from $WSDL_URL"
grep -q 'definitions' "$WORK/service.wsdl" || die "downloaded document is not a WSDL: $(head -c 300 "$WORK/service.wsdl")"
WSDLS=("$WORK/service.wsdl")
if [ -n "${GSOAP_AUTH_WSDL:-}" ]; then
    echo "== download AuthenticationAdmin WSDL: $GSOAP_AUTH_WSDL"
    curl -fsS --max-time 30 -o "$WORK/auth.wsdl" "$GSOAP_AUTH_WSDL" || die "could not download $GSOAP_AUTH_WSDL"
    WSDLS+=("$WORK/auth.wsdl")
fi

# Address of the port whose binding ends in $1 (e.g. Soap11Binding) in WSDL $2 (default the
# service's). The WSDL has one element per line (as served).
port_address() {
    awk -v want="$1" '
        /<([A-Za-z0-9_]+:)?port[ >]/ {
            b = ""
            if (match($0, /binding="[^"]*"/)) b = substr($0, RSTART + 9, RLENGTH - 10)
        }
        /<([A-Za-z0-9_]+:)?address[ >]/ && b ~ (want "$") {
            if (match($0, /location="[^"]*"/)) { print substr($0, RSTART + 10, RLENGTH - 11); exit }
        }' "${2:-$WORK/service.wsdl}"
}

# --- wsdl2h (once; the C++ interface header is the same for both bindings) --------------
# -Nus: one service (and proxy class) per binding with prefix us<N>, instead of one merged
#       service holding both SOAP 1.1 and SOAP 1.2 ports
# -t:   standard typemap
# The type namespaces get fixed prefixes (common__ClaimValue, dao__ClaimDTO...) so client.cpp
# does not depend on the order in which a WSDL declares them.
echo "== wsdl2h"
mkdir -p "$WORK/wsdl2h"
cp "$TYPEMAP" "$WORK/typemap.dat"
# The prefixes: prefixes.dat, which the benchmark's gSOAP peer (bench/gsoap) uses too.
cat "$HERE/prefixes.dat" >>"$WORK/typemap.dat"
step wsdl2h wsdl2h -Nus -t "$WORK/typemap.dat" -o "$WORK/wsdl2h/service.h" "${WSDLS[@]}"
echo "    $(grep -o 'wsdl2h release [0-9.]*' "$WORK/wsdl2h.log" | head -n1 || echo 'wsdl2h (version unknown)')"
grep -E '^Warning|^Error' "$WORK/wsdl2h.log" | sed 's/^/    wsdl2h: /' || true

for binding in $BINDINGS; do
    case $binding in
        soap11) BNAME=Soap11Binding; SOAPVER_FLAG=-1; DEF="" ;;
        # the header imports soap12.h (the WSDL has a SOAP 1.2 binding), so the default
        # envelope is SOAP 1.2; -2 makes it explicit
        soap12) BNAME=Soap12Binding; SOAPVER_FLAG=-2; DEF="-DUSERSTORE_SOAP12" ;;
        *) die "unknown binding '$binding' in GSOAP_BINDINGS (use soap11 and/or soap12)" ;;
    esac
    DIR="$WORK/$binding"
    mkdir -p "$DIR"
    cp "$WORK/wsdl2h/service.h" "$DIR/"

    # soapcpp2: -1/-2 SOAP 1.1/1.2 envelopes (the WSDL holds both bindings, and without -1
    # soapcpp2 makes SOAP 1.2 the envelope of every proxy, the SOAP 1.1 one included);
    # -j C++ proxy classes sharing a soap context; -C client side only; -x no sample XML
    echo "== soapcpp2 ($binding)"
    (cd "$DIR" && step "soapcpp2-$binding" soapcpp2 $SOAPVER_FLAG -j -C -x -I"$IMPORT_DIR" service.h)
    echo "    $(grep -o 'soapcpp2 release [0-9.]*' "$WORK/soapcpp2-$binding.log" | head -n1 || echo 'soapcpp2 (version unknown)')"
    PROXY="soapRemoteUserStoreManagerService${BNAME}Proxy"
    [ -f "$DIR/$PROXY.cpp" ] || die "soapcpp2 did not generate $PROXY.cpp (see $binding output)"

    AUTH_SOURCES=()
    AUTH_ENDPOINT=""
    if [ -n "${GSOAP_AUTH_WSDL:-}" ] && [ "$binding" = soap11 ]; then
        DEF="$DEF -DUSERSTORE_AUTH_ADMIN"
        AUTH_SOURCES=(soapAuthenticationAdminSoap11BindingProxy.cpp)
        AUTH_ENDPOINT=$(port_address AuthenticationAdminSoap11Binding "$WORK/auth.wsdl")
        [ -n "$AUTH_ENDPOINT" ] || die "no AuthenticationAdmin SOAP 1.1 port address in $GSOAP_AUTH_WSDL"
    fi

    echo "== g++ ($binding)"
    # shellcheck disable=SC2086
    (cd "$DIR" && step "gxx-$binding" g++ -std=c++17 -O0 -w $DEF -I. -o client \
        "$HERE/client.cpp" soapC.cpp "$PROXY.cpp" "${AUTH_SOURCES[@]}" "${GSOAP_FLAGS[@]}")

    if [ "$binding" = soap11 ] && [ -n "$ENDPOINT_OVERRIDE" ]; then
        ENDPOINT=$ENDPOINT_OVERRIDE
    else
        ENDPOINT=$(port_address "$BNAME")
        [ -n "$ENDPOINT" ] || die "no port with binding *$BNAME and an address found in the WSDL"
    fi

    echo "== run client ($binding): $ENDPOINT"
    if ! GSOAP_AUTH_ENDPOINT="$AUTH_ENDPOINT" "$DIR/client" "$ENDPOINT" "$USER_NAME" "$PASSWORD"; then
        die "gSOAP client ($binding) failed against $ENDPOINT"
    fi
done

END=$(date +%s.%N)
printf 'run.sh: PASS (bindings: %s) in %ss\n' "$BINDINGS" "$(awk -v s="$START" -v e="$END" 'BEGIN { printf "%.1f", e - s }')"

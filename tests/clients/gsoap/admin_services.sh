#!/usr/bin/env bash
# gSOAP (C++) interoperability test for the Carbon admin services beside
# RemoteUserStoreManagerService: UserAdmin, RemoteAuthorizationManagerService,
# UserProfileMgtService and UserIdentityManagementAdminService.
#
# usage: admin_services.sh BASE_URL USER PASSWORD WSDL_DIR|served
#   BASE_URL  e.g. http://127.0.0.1:PORT
#   WSDL_DIR  a directory holding <Service>.wsdl (WSO2's reference copies), or "served" to
#             download <BASE_URL>/services/<Service>?wsdl
#
# In a temporary directory: wsdl2h over the four WSDLs into one header, soapcpp2 for each
# binding (GSOAP_BINDINGS, default "soap11 soap12"), g++ with admin_services.cpp, and a run
# against the server. Exits non-zero with a message if a tool is missing or a step fails.
set -euo pipefail

die() { echo "admin_services.sh: ERROR: $*" >&2; exit 1; }
[ $# -eq 4 ] || die "usage: $0 BASE_URL USER PASSWORD WSDL_DIR|served"
BASE=$1 USER_NAME=$2 PASSWORD=$3 SOURCE=$4
BINDINGS=${GSOAP_BINDINGS:-soap11 soap12}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SERVICES=(UserAdmin RemoteAuthorizationManagerService UserProfileMgtService UserIdentityManagementAdminService)

for tool in curl wsdl2h soapcpp2 g++ pkg-config; do
    command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' not found (Debian: gsoap libgsoap-dev g++ curl pkg-config)"
done
IMPORT_DIR=${GSOAP_IMPORT:-}
for d in /usr/share/gsoap/import /usr/local/share/gsoap/import; do
    [ -z "$IMPORT_DIR" ] && [ -f "$d/soap12.h" ] && IMPORT_DIR=$d
done
[ -n "$IMPORT_DIR" ] || die "gSOAP import directory not found; set GSOAP_IMPORT"
TYPEMAP=${GSOAP_TYPEMAP:-$(dirname "$IMPORT_DIR")/WS/typemap.dat}
pkg-config --exists gsoap++ || die "pkg-config metadata for gsoap++ not found (libgsoap-dev)"
read -r -a GSOAP_FLAGS <<<"$(pkg-config --cflags --libs gsoap++)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/userstore-gsoap-admin.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
step() {
    local name=$1; shift
    if ! "$@" </dev/null >"$WORK/$name.log" 2>&1; then
        sed 's/^/    /' "$WORK/$name.log" >&2
        die "step '$name' failed: $*"
    fi
}

WSDLS=()
for service in "${SERVICES[@]}"; do
    if [ "$SOURCE" = served ]; then
        curl -fsS --max-time 30 -o "$WORK/$service.wsdl" "$BASE/services/$service?wsdl" ||
            die "could not download the WSDL of $service"
    else
        cp "$SOURCE/$service.wsdl" "$WORK/$service.wsdl" || die "no $SOURCE/$service.wsdl"
    fi
    WSDLS+=("$WORK/$service.wsdl")
done

# Fixed prefixes, so admin_services.cpp names the generated types whatever the WSDLs' order.
cp "$TYPEMAP" "$WORK/typemap.dat"
cat "$HERE/prefixes.dat" >>"$WORK/typemap.dat"
cat >>"$WORK/typemap.dat" <<'PREFIXES'
ua = "http://org.apache.axis2/xsd"
uam = "http://mgt.user.carbon.wso2.org"
prof = "http://mgt.profile.user.identity.carbon.wso2.org"
profdto = "http://mgt.profile.user.identity.carbon.wso2.org/xsd"
idbase = "http://base.identity.carbon.wso2.org/xsd"
idmgt = "http://services.mgt.identity.carbon.wso2.org"
iddto = "http://dto.mgt.identity.carbon.wso2.org/xsd"
idexc = "http://mgt.identity.carbon.wso2.org/xsd"
carboncore = "http://core.carbon.wso2.org/xsd"
PREFIXES
step wsdl2h wsdl2h -Nsvc -t "$WORK/typemap.dat" -o "$WORK/services.h" "${WSDLS[@]}"

for binding in $BINDINGS; do
    case $binding in
        soap11) FLAG=-1; DEF=""; KIND=Soap11 ;;
        soap12) FLAG=-2; DEF="-DUSERSTORE_SOAP12"; KIND=Soap12 ;;
        *) die "unknown binding '$binding'" ;;
    esac
    DIR="$WORK/$binding"
    mkdir -p "$DIR"
    cp "$WORK/services.h" "$DIR/"
    (cd "$DIR" && step "soapcpp2-$binding" soapcpp2 $FLAG -j -C -x -I"$IMPORT_DIR" services.h)
    PROXIES=()
    for service in "${SERVICES[@]}"; do
        PROXIES+=("soap${service}${KIND}BindingProxy.cpp")
    done
    # One namespace map serves every proxy; soapcpp2 writes one per service, all alike.
    cp "$DIR/UserAdmin${KIND}Binding.nsmap" "$DIR/svc.nsmap"
    # shellcheck disable=SC2086
    (cd "$DIR" && step "gxx-$binding" g++ -std=c++17 -O0 -w $DEF -I. -o client \
        "$HERE/admin_services.cpp" soapC.cpp "${PROXIES[@]}" "${GSOAP_FLAGS[@]}")
    echo "== run ($binding)"
    GSOAP_TRACE=${GSOAP_TRACE:-} "$DIR/client" "$BASE" "$USER_NAME" "$PASSWORD" "g${binding}" || die "gSOAP client ($binding) failed"
done
echo "admin_services.sh: PASS ($BINDINGS)"

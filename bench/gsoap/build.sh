#!/usr/bin/env bash
# Build the benchmark's gSOAP peer (server.cpp) from the reference WSDL into directory $1 and
# print the path of the binary. Needs Debian's gsoap and libgsoap-dev, g++ and pkg-config.
#
# wsdl2h turns ../shared/reference/RemoteUserStoreManagerService.wsdl into a C++ header,
# soapcpp2 -S generates the server side (the SOAP 1.1 binding's service class), and every
# operation server.cpp does not answer gets a generated body that returns SOAP_NO_METHOD
# (WITH_PURE_VIRTUAL: the generated base class is abstract, so none can be missed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTDIR}
wsdl="$here/../../../shared/reference/RemoteUserStoreManagerService.wsdl"
[ -f "$wsdl" ] || { echo "gsoap/build.sh: reference WSDL not found at $wsdl" >&2; exit 1; }
for tool in wsdl2h soapcpp2 g++ pkg-config; do
  command -v "$tool" > /dev/null || { echo "gsoap/build.sh needs $tool (apt-get install gsoap libgsoap-dev g++ pkg-config)" >&2; exit 1; }
done
import=/usr/share/gsoap/import
mkdir -p "$out"
cd "$out"
cp /usr/share/gsoap/WS/typemap.dat typemap.dat
# The fixed type-namespace prefixes server.cpp is written against, as the gSOAP client test's.
cat "$here/../../tests/clients/gsoap/prefixes.dat" >> typemap.dat
wsdl2h -Nus -t typemap.dat -o service.h "$wsdl" > wsdl2h.log 2>&1 || { cat wsdl2h.log >&2; exit 1; }
# -1 SOAP 1.1 envelopes, -j service classes, -S server side only, -x no sample messages.
soapcpp2 -1 -j -S -x -I"$import" service.h > soapcpp2.log 2>&1 || { cat soapcpp2.log >&2; exit 1; }
service=soapRemoteUserStoreManagerServiceSoap11BindingService
answered="isExistingUser getUserClaimValue getRoleListOfUser getUserClaimValues listUsers"
awk -v answered=" $answered " '
  /virtual int [A-Za-z]+\(_us__.*SOAP_PURE_VIRTUAL;/ {
    line = $0
    sub(/^[ \t]*virtual /, "", line); sub(/ SOAP_PURE_VIRTUAL;.*/, "", line)
    name = line; sub(/^int /, "", name); sub(/\(.*/, "", name)
    if (index(answered, " " name " ") == 0) print "    " line " override { return SOAP_NO_METHOD; }"
  }' "$service.h" > not_implemented.inc
read -r -a flags <<< "$(pkg-config --cflags --libs gsoap++)"
g++ -std=c++17 -O2 -w -pthread -DWITH_PURE_VIRTUAL -I. -o gsoap-peer "$here/server.cpp" soapC.cpp "$service.cpp" "${flags[@]}"
echo "$out/gsoap-peer"

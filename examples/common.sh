# shellcheck shell=bash
# Shared helpers for the example scripts. Source it, don't run it:
#   source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
#
# Environment:
#   USERSTORE_URL             service endpoint
#                             (default http://127.0.0.1:9763/services/RemoteUserStoreManagerService)
#   USERSTORE_ADMIN_USER      a user whose roles grant the calls' permissions (default admin)
#   USERSTORE_ADMIN_PASSWORD  that user's password (required)
#
# Passwords only travel through environment variables, curl's config (read from a pipe) and
# the request body (curl's stdin): they never appear on a command line, so `ps` cannot see them.
# Do not run these scripts with `bash -x`: tracing would print them.

USERSTORE_URL="${USERSTORE_URL:-http://127.0.0.1:9763/services/RemoteUserStoreManagerService}"
USERSTORE_ADMIN_USER="${USERSTORE_ADMIN_USER:-admin}"
if [[ -z "${USERSTORE_ADMIN_PASSWORD:-}" ]]; then
  echo "error: USERSTORE_ADMIN_PASSWORD is not set (the password of admin user '$USERSTORE_ADMIN_USER')" >&2
  exit 2
fi

# xml_escape VALUE: print VALUE escaped for use as XML element text.
xml_escape() {
  printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' \
    -e 's/"/\&quot;/g' -e "s/'/\&apos;/g"
}

# xml_unescape: undo xml_escape (and the entities a server may use) on stdin.
xml_unescape() {
  sed -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&amp;/\&/g'
}

# returns: print the text of every <ns:return> in a SOAP reply on stdin, one per line.
returns() {
  { grep -o '<ns:return>[^<]*</ns:return>' || true; } |
    sed -e 's/<ns:return>//' -e 's/<\/ns:return>//' | xml_unescape
}

# curl_auth_config: curl config lines with the admin credentials (quoted for curl's parser).
curl_auth_config() {
  local credentials
  credentials=$(printf '%s:%s' "$USERSTORE_ADMIN_USER" "$USERSTORE_ADMIN_PASSWORD" |
    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
  printf 'user = "%s"\n' "$credentials"
}

# soap OPERATION INNER_XML: call OPERATION with <ser:OPERATION>INNER_XML</ser:OPERATION> as the
# SOAP 1.1 body and print the reply (in-only operations such as addUser reply with nothing).
# On a SOAP fault or any other HTTP error, print the server's message on stderr and fail.
soap() {
  local operation=$1 inner=$2 reply status=0 fault
  reply=$(
    printf '%s' "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"
 xmlns:ser=\"http://service.ws.um.carbon.wso2.org\" xmlns:xsd=\"http://common.mgt.user.carbon.wso2.org/xsd\">
<soapenv:Body><ser:$operation>$inner</ser:$operation></soapenv:Body></soapenv:Envelope>" |
      curl --fail-with-body -sS --config <(curl_auth_config) \
        -H 'Content-Type: text/xml; charset=UTF-8' \
        -H "SOAPAction: \"urn:$operation\"" \
        --data-binary @- "$USERSTORE_URL"
  ) || status=$?
  if ((status != 0)); then
    # curl has already said why (e.g. "returned error: 500"); add the SOAP fault's reason.
    fault=$(printf '%s' "$reply" | tr -d '\n' |
      sed -n 's/.*<faultstring>\(.*\)<\/faultstring>.*/\1/p' | xml_unescape)
    echo "error: $operation failed: ${fault:-${reply:-no reply (curl exit status $status)}}" >&2
    return 1
  fi
  if [[ -n $reply ]]; then printf '%s\n' "$reply"; fi
}

# set_account_locked USER true|false: WSO2 models an account lock as the accountLocked claim of
# the default profile; an unlock also releases a lock left by failed logins.
set_account_locked() {
  soap setUserClaimValue "<ser:userName>$(xml_escape "$1")</ser:userName>
<ser:claimURI>http://wso2.org/claims/identity/accountLocked</ser:claimURI>
<ser:claimValue>$2</ser:claimValue>
<ser:profileName>default</ser:profileName>"
}

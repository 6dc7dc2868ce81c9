#!/usr/bin/env bash
# Create a user with roles and claims; roles that do not exist yet are created first.
#
# Usage: NEW_USER_PASSWORD=... add-user.sh USER ROLE[,ROLE...] [CLAIM_URI=VALUE ...]
# Example:
#   NEW_USER_PASSWORD='S3cret-pw' ./add-user.sh alice teacher,doctor \
#     http://wso2.org/claims/givenname=Alice http://wso2.org/claims/emailaddress=alice@example.org
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if (($# < 2)); then
  echo "usage: NEW_USER_PASSWORD=... $0 USER ROLE[,ROLE...] [CLAIM_URI=VALUE ...]" >&2
  exit 2
fi
user=$1 roles=$2
shift 2
if [[ -z "${NEW_USER_PASSWORD:-}" ]]; then
  echo "error: set NEW_USER_PASSWORD to the new user's password" >&2
  exit 2
fi

# One <ser:roleList> per role; create the roles that are missing.
role_xml=""
IFS=',' read -ra role_names <<<"$roles"
for role in "${role_names[@]}"; do
  [[ -n $role ]] || continue
  role_name="<ser:roleName>$(xml_escape "$role")</ser:roleName>"
  exists=$(soap isExistingRole "$role_name" | returns)
  if [[ $exists != true ]]; then
    soap addRole "$role_name"
    echo "created role $role"
  fi
  role_xml+="<ser:roleList>$(xml_escape "$role")</ser:roleList>"
done

# One <ser:claims> (a ClaimValue) per CLAIM_URI=VALUE argument.
claim_xml=""
for claim in "$@"; do
  if [[ $claim != *=* ]]; then
    echo "error: claim '$claim' is not CLAIM_URI=VALUE" >&2
    exit 2
  fi
  claim_xml+="<ser:claims><xsd:claimURI>$(xml_escape "${claim%%=*}")</xsd:claimURI>"
  claim_xml+="<xsd:value>$(xml_escape "${claim#*=}")</xsd:value></ser:claims>"
done

soap addUser "<ser:userName>$(xml_escape "$user")</ser:userName>
<ser:credential>$(xml_escape "$NEW_USER_PASSWORD")</ser:credential>
$role_xml$claim_xml
<ser:profileName>default</ser:profileName>
<ser:requirePasswordChange>false</ser:requirePasswordChange>"
echo "created user $user"

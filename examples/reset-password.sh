#!/usr/bin/env bash
# Set a user's password as admin (the old password is not needed).
#
# Usage: NEW_PASSWORD=... reset-password.sh USER
# Example: NEW_PASSWORD='N3w-secret' ./reset-password.sh alice
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if (($# != 1)); then
  echo "usage: NEW_PASSWORD=... $0 USER" >&2
  exit 2
fi
if [[ -z "${NEW_PASSWORD:-}" ]]; then
  echo "error: set NEW_PASSWORD to the new password" >&2
  exit 2
fi

soap updateCredentialByAdmin "<ser:userName>$(xml_escape "$1")</ser:userName>
<ser:newCredential>$(xml_escape "$NEW_PASSWORD")</ser:newCredential>"
echo "password of $1 reset"

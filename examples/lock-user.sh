#!/usr/bin/env bash
# Lock an account: its logins fail until it is unlocked (see unlock-user.sh).
# WSO2 models the lock as the accountLocked claim of the default profile.
#
# Usage: lock-user.sh USER
# Example: ./lock-user.sh alice
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if (($# != 1)); then
  echo "usage: $0 USER" >&2
  exit 2
fi

set_account_locked "$1" true
echo "locked $1"

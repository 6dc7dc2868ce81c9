#!/usr/bin/env bash
# Unlock an account locked by an admin or by too many failed logins. On this server an
# admin unlock also clears the failed-login counters.
#
# Usage: unlock-user.sh USER
# Example: ./unlock-user.sh alice
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if (($# != 1)); then
  echo "usage: $0 USER" >&2
  exit 2
fi

set_account_locked "$1" false
echo "unlocked $1"

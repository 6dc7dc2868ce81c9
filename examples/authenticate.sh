#!/usr/bin/env bash
# Check a user's password, as a legacy application's login does: prints true or false.
# Failed checks count towards the account lock (account_locking.allowed_failed_attempts).
#
# Usage: CHECK_PASSWORD=... authenticate.sh USER
# Example: CHECK_PASSWORD='Tester-pw1' ./authenticate.sh tester
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if (($# != 1)) || [[ -z "${CHECK_PASSWORD:-}" ]]; then
  echo "usage: CHECK_PASSWORD=... $0 USER" >&2
  exit 2
fi

soap authenticate "<ser:userName>$(xml_escape "$1")</ser:userName>
<ser:credential>$(xml_escape "$CHECK_PASSWORD")</ser:credential>" | returns

#!/usr/bin/env bash
# Print the user names matching a filter, one per line (sorted, case-insensitive).
# In the filter, * matches any text; matching ignores case.
#
# Usage: list-users.sh [FILTER] [LIMIT]      (defaults: '*' and 100)
# Example: ./list-users.sh 'a*' 10
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

filter=${1:-*}
limit=${2:-100}
if [[ ! $limit =~ ^[0-9]+$ ]]; then
  echo "error: LIMIT must be a number, not '$limit'" >&2
  exit 2
fi

soap listUsers "<ser:filter>$(xml_escape "$filter")</ser:filter>
<ser:maxItemLimit>$limit</ser:maxItemLimit>" | returns

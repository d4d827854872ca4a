#!/usr/bin/env bash
# make tools: builds or installs every test server into the tools cache, one
# line per step with its elapsed time, and at the end the total and the cache.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
start=$SECONDS
"$here/build-go-tools.sh" all
"$here/install-python-tools.sh" >/dev/null
tools_log "all test servers ready in $((SECONDS - start))s; cache: $TOOLS_DIR"

#!/usr/bin/env bash
# Stops every server `make dev-up` started and removes their state.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
run="${SECRETSOURCE_RUN_DIR:-$root/e2e/.run}"
# shellcheck source=lib.sh
source "$here/lib.sh"

[ -d "$run" ] || { echo "dev-down: nothing is running"; exit 0; }
stop_servers "$run"
rm -rf "$run"
echo "dev-down: stopped"

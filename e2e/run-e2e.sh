#!/usr/bin/env bash
# Runs the e2e tests against the local environment. Starts it when it is not up
# and then stops it afterwards; leaves an environment it found running alone.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="${SECRETSOURCE_RUN_DIR:-$root/e2e/.run}"
source "$root/e2e/env/lib.sh"

use_env_until_exit "$root" "$run"
cd "$root"
npm run --silent test:e2e -- "$@"

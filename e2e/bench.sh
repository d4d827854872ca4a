#!/usr/bin/env bash
# make bench: the benchmark suite (bench/suite.bench.ts) against the local environment, on the
# compiled operator (npm run build first: dist/cli/main.js, as the image runs it). Named scenarios:
# SCENARIOS=cold,cold-distinct,steady,churn,burst,restart (default all), each with the operator's
# shipped defaults and then tuned (PROFILES=defaults,tuned). make bench-compare (COMPARE=1) builds
# External Secrets Operator from the Go module proxy into the tools cache (e2e/tools/build-eso.sh)
# and runs the same scenarios for it too. Starts the environment when it is not up and stops it
# afterwards; leaves one it found running. Settings come from the environment: BACKEND (openbao, the
# default, aws: moto, azure: the Key Vault test server), N (objects, default 1000), TUNED_CONCURRENCY
# (default 8), REFRESH_INTERVAL, CHURN_PERCENT, RESTART_WINDOW_S, STORM_INTERVAL_S, BURST_NEWCOMERS,
# BURST_CREATE_CONCURRENCY, CREATE_CONCURRENCY, CPU_PROFILE_DIR (bench/README.md). Results:
# bench/results/[compare-]<scenario>-<backend>-<N>.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="${SECRETSOURCE_RUN_DIR:-$root/e2e/.run}"
source "$root/e2e/env/lib.sh"

cd "$root"
if [ "${COMPARE:-0}" = 1 ]; then
  ESO_DIR="$("$root/e2e/tools/build-eso.sh")"
  export ESO_DIR OPERATORS="${OPERATORS:-secretsource,eso}"
fi
npm run --silent build
use_env_until_exit "$root" "$run"
export N="${N:-1000}"
# The resolver: BACKEND=azure reaches the Key Vault test server at *.vault.localhost (docs/adr/0009).
node_modules/.bin/node --import ./e2e/support/localhost-resolver.mjs --import tsx bench/suite.bench.ts

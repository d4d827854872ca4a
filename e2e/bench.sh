#!/usr/bin/env bash
# make bench: benchmarks against the local environment: the sync core (bench/sync.bench.ts), then
# new objects first during a refresh storm (bench/priority.bench.ts); BENCHES="sync" runs one.
# Starts the environment when it is not up and stops it afterwards; leaves one it found running.
# Settings come from the environment: BACKEND (openbao, the default, or aws: moto), N (SecretSources,
# default 1000), PATHS (distinct secrets, default max(10, N/100)), CONCURRENCY (operator
# --concurrency, default the operator's), REFRESH_INTERVAL, KUBE_QPS, KUBE_BURST, CREATE_CONCURRENCY,
# READY_TIMEOUT_S; the priority bench: STORM (due refreshes, default 2000), NEWCOMERS (default 50),
# STORM_INTERVAL_S, STORM_KUBE_QPS. Results: bench/results/sync[-aws]-<N>[-p<PATHS>].json and
# bench/results/priority[-aws]-<STORM>.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="${SECRETSOURCE_RUN_DIR:-$root/e2e/.run}"
source "$root/e2e/env/lib.sh"

use_env_until_exit "$root" "$run"
cd "$root"
export N="${N:-1000}"
export PATHS="${PATHS:-$(( N / 100 > 10 ? N / 100 : 10 ))}"
# The resolver: BACKEND=azure reaches the Key Vault test server at *.vault.localhost (docs/adr/0009).
for bench in ${BENCHES:-sync priority}; do
  node_modules/.bin/node --import ./e2e/support/localhost-resolver.mjs --import tsx "bench/$bench.bench.ts"
done

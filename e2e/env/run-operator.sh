#!/usr/bin/env bash
# make run: the operator, in the foreground, against $KUBECONFIG. With KUBECONFIG unset (or set to
# the local environment's) and `make dev-up` running, it runs against the local environment and
# first applies what the operator needs there: the CRDs and namespace secretsource-system, where
# its leader-election Lease lives. Arguments are flags of `secretsource run`
# (make run ARGS="--namespaces demo").
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
run="${SECRETSOURCE_RUN_DIR:-$root/e2e/.run}"
# shellcheck source=lib.sh
source "$here/lib.sh"
cd "$root"

if [ -z "${KUBECONFIG:-}" ] || [ "$KUBECONFIG" = "$run/kubeconfig" ]; then
  if ! env_is_up "$run"; then
    if [ -z "${KUBECONFIG:-}" ]; then
      echo "make run: KUBECONFIG is not set and the local environment is not up: run make dev-up first, or set KUBECONFIG" >&2
    else
      echo "make run: the local environment is not up: run make dev-up first" >&2
    fi
    exit 1
  fi
  # shellcheck disable=SC1091
  source "$run/env"
  echo "make run: against the local environment ($KUBECONFIG); applying crds/ and config/manager/namespace.yaml" >&2
  "$KUBECTL" apply --server-side --force-conflicts --field-manager make-run -f crds/ >/dev/null
  "$KUBECTL" wait --for condition=Established --timeout=30s \
    crd/secretsources.secretsource.dev crd/secretproviders.secretsource.dev \
    crd/clustersecretproviders.secretsource.dev >/dev/null
  "$KUBECTL" apply --server-side --field-manager make-run -f config/manager/namespace.yaml >/dev/null
fi
exec "$root/node_modules/.bin/node" --import tsx src/cli/main.ts run "$@"

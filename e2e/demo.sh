#!/usr/bin/env bash
# make demo: the operator's main job end to end on the local environment.
# Brings up the servers, installs the CRDs and RBAC, stores a generated
# password in OpenBao, creates a SecretProvider and a SecretSource, runs the
# operator as its own ServiceAccount, shows the synced Secret (keys, never
# values) and the status, then changes the password in OpenBao and shows the
# change arriving. Stops what it started unless DEMO_KEEP=1.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="${SECRETSOURCE_RUN_DIR:-$root/e2e/.run}"
source "$root/e2e/env/lib.sh"
cd "$root"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
started_env=0
if ! env_is_up "$run"; then
  step "Starting the local environment (first run builds the servers; later runs take seconds)"
  e2e/env/dev-up.sh
  started_env=1
fi
source "$run/env"
k() { "$KUBECTL" "$@"; }
bao() { curl -fsS -H "X-Vault-Token: $VAULT_TOKEN" "$@"; }

operator_pid=""
cleanup() {
  if [ -n "$operator_pid" ]; then kill "$operator_pid" 2>/dev/null; wait "$operator_pid" 2>/dev/null || true; fi
  if [ "${DEMO_KEEP:-0}" != 1 ] && [ $started_env = 1 ]; then e2e/env/dev-down.sh >/dev/null; fi
  return 0
}
trap cleanup EXIT

step "Installing the CRDs and the operator's RBAC (config/rbac)"
k apply --server-side --force-conflicts -f crds/ >/dev/null
k wait --for condition=Established crd --all --timeout=30s >/dev/null
k apply --server-side -f config/manager/namespace.yaml >/dev/null
k apply --server-side -k config/rbac >/dev/null

step "Storing a generated password in OpenBao at secret/demo/db"
bao -X POST "$VAULT_ADDR/v1/secret/data/demo/db" \
  -d "{\"data\":{\"username\":\"app\",\"password\":\"$(openssl rand -hex 16)\"}}" >/dev/null
bao -X PUT "$VAULT_ADDR/v1/sys/policies/acl/demo-read" \
  -d '{"policy":"path \"secret/data/demo/*\" { capabilities = [\"read\"] }"}' >/dev/null
demo_token=$(bao -X POST "$VAULT_ADDR/v1/auth/token/create" \
  -d '{"policies":["demo-read"],"ttl":"1h","renewable":true}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["auth"]["client_token"])')

step "Creating namespace demo, a SecretProvider for the local OpenBao and a SecretSource"
k create namespace demo --dry-run=client -o yaml | k apply -f - >/dev/null
k -n demo create secret generic openbao-token --from-literal=token="$demo_token" \
  --dry-run=client -o yaml | k apply -f - >/dev/null
cat <<YAML | k apply -f -
apiVersion: secretsource.dev/v1alpha1
kind: SecretProvider
metadata: { name: openbao, namespace: demo }
spec:
  vault:
    server: $VAULT_ADDR
    path: secret
    version: v2
    auth:
      token: { secretRef: { name: openbao-token, key: token } }
---
apiVersion: secretsource.dev/v1alpha1
kind: SecretSource
metadata: { name: db, namespace: demo }
spec:
  providerRef: { kind: SecretProvider, name: openbao }
  refresh: { interval: 5s }
  target: { name: db-credentials }
  data:
    - key: password
      remoteRef: { path: demo/db, property: password }
    - key: username
      remoteRef: { path: demo/db, property: username }
YAML

step "Running the operator as ServiceAccount secretsource-system/secretsource-operator"
operator_kubeconfig="$run/demo-operator.kubeconfig"
k config view --minify --raw -o json | python3 -c '
import json, sys
cfg = json.load(sys.stdin)
cfg["users"] = [{"name": "operator", "user": {"token": sys.argv[1]}}]
cfg["contexts"][0]["context"]["user"] = "operator"
print(json.dumps(cfg))' "$(k -n secretsource-system create token secretsource-operator --duration=1h)" >"$operator_kubeconfig"
chmod 600 "$operator_kubeconfig"
node_modules/.bin/node --import tsx src/cli/main.ts run --kubeconfig "$operator_kubeconfig" --namespaces demo \
  --leader-election-id demo --metrics-addr 127.0.0.1:0 --health-addr 127.0.0.1:0 \
  >"$run/logs/demo-operator.log" 2>&1 &
operator_pid=$!
k -n demo wait --for condition=Ready secretsources.secretsource.dev/db --timeout=60s >/dev/null

step "The SecretSource and the Secret it keeps (keys only; values never leave the cluster)"
k -n demo get secretsources.secretsource.dev,secretproviders.secretsource.dev
echo
k -n demo get secret db-credentials -o go-template='Secret {{.metadata.name}} ({{.type}}) keys:{{range $k, $v := .data}} {{$k}}{{end}}{{"\n"}}'
k -n demo get secretsources.secretsource.dev db -o go-template='status: {{range .status.conditions}}{{.type}}={{.status}} ({{.reason}}: {{.message}}){{end}}
  syncedHash {{.status.syncedHash}}, lastSyncTime {{.status.lastSyncTime}}{{"\n"}}'

step "Rotating the password in OpenBao; the operator picks it up on the next refresh"
before=$(k -n demo get secret db-credentials -o jsonpath='{.metadata.annotations.secretsource\.dev/content-hash}')
bao -X POST "$VAULT_ADDR/v1/secret/data/demo/db" \
  -d "{\"data\":{\"username\":\"app\",\"password\":\"$(openssl rand -hex 16)\"}}" >/dev/null
for _ in $(seq 1 60); do
  after=$(k -n demo get secret db-credentials -o jsonpath='{.metadata.annotations.secretsource\.dev/content-hash}')
  [ "$after" != "$before" ] && break
  sleep 0.5
done
echo "content hash: $before"
echo "          ->  $after"
[ "$after" != "$before" ] || { echo "demo: the change did not arrive; see $run/logs/demo-operator.log" >&2; exit 1; }
k -n demo get events --field-selector involvedObject.name=db --sort-by=.lastTimestamp | tail -n 3

step "Done. Operator log: $run/logs/demo-operator.log"
[ "${DEMO_KEEP:-0}" = 1 ] && echo "Environment left running (DEMO_KEEP=1): source $run/env; make dev-down to stop."
exit 0

#!/usr/bin/env bash
# Starts the local environment the operator is tested against, every server a
# real one on 127.0.0.1 with a free port chosen at start:
#   etcd, kube-apiserver (RBAC, client-cert admin, ServiceAccount token issuing,
#   Secrets encrypted at rest), kube-controller-manager (garbage collector,
#   namespace and service-account controllers), OpenBao (dev server, KV v2 at
#   secret/), moto_server (AWS Secrets Manager and STS), and the project's own
#   Azure Key Vault test server (e2e/backends/azure-keyvault, docs/adr/0009).
# Writes e2e/.run/env, a sourceable file with everything a client needs.
# Idempotent: when everything is already up it only prints how to use it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
run="${SECRETSOURCE_RUN_DIR:-$root/e2e/.run}"
tools="$root/e2e/tools"
# shellcheck source=lib.sh
source "$here/lib.sh"

if env_is_up "$run"; then
  print_usage "$run"
  exit 0
fi
# Something is half up (a crash, a reboot): start clean.
"$here/dev-down.sh" >/dev/null 2>&1 || true
mkdir -p "$run/logs" "$run/pids" "$run/pki" "$run/etcd"

"$tools/install.sh"
pybin="$("$tools/install-python-tools.sh")"
kube_bin="$(kube_tools_dir)"
etcd_bin="$(etcd_tools_dir)"

write_pki "$run/pki"
write_azure_pki "$run/pki"
write_encryption_config "$run/encryption.yaml"

etcd_client=$(free_port); etcd_peer=$(free_port); api_port=$(free_port); kcm_port=$(free_port)
bao_port=$(free_port); moto_port=$(free_port); kv_port=$(free_port); kv_mi_port=$(free_port)
bao_token="root-$(openssl rand -hex 12)"
azure_tenant=$(new_uuid); azure_client=$(new_uuid); azure_mi_client=$(new_uuid); azure_vault=e2e-kv
azure_client_secret="$(openssl rand -hex 20)"; azure_admin_token="$(openssl rand -hex 24)"
azure_identity_header="$(openssl rand -hex 16)"

start etcd "$run" "$etcd_bin/etcd" \
  --name default --data-dir "$run/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_client" --advertise-client-urls "http://127.0.0.1:$etcd_client" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "default=http://127.0.0.1:$etcd_peer" --log-level warn
wait_for etcd "$run" 60 curl -fsS "http://127.0.0.1:$etcd_client/health"

start kube-apiserver "$run" "$kube_bin/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$etcd_client" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --tls-cert-file "$run/pki/apiserver.crt" --tls-private-key-file "$run/pki/apiserver.key" \
  --client-ca-file "$run/pki/ca.crt" \
  --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$run/pki/sa.pub" --service-account-signing-key-file "$run/pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 \
  --encryption-provider-config "$run/encryption.yaml" \
  --endpoint-reconciler-type none \
  --audit-policy-file "$here/audit-policy.yaml" --audit-log-path "$run/logs/audit.log" \
  --audit-log-maxsize 50 --audit-log-maxbackup 2 \
  --allow-privileged=false --profiling=false --cert-dir "$run/pki"
write_kubeconfig "$run/kubeconfig" "https://127.0.0.1:$api_port" "$run/pki"
wait_for kube-apiserver "$run" 120 curl -fsS --cacert "$run/pki/ca.crt" \
  --cert "$run/pki/admin.crt" --key "$run/pki/admin.key" "https://127.0.0.1:$api_port/readyz"

start kube-controller-manager "$run" "$kube_bin/kube-controller-manager" \
  --kubeconfig "$run/kubeconfig" --leader-elect=false \
  --controllers garbage-collector-controller,namespace-controller,serviceaccount-controller,clusterrole-aggregation-controller \
  --bind-address 127.0.0.1 --secure-port "$kcm_port" \
  --authentication-skip-lookup=true --authorization-always-allow-paths /healthz,/readyz,/livez,/metrics
wait_for kube-controller-manager "$run" 60 curl -fsSk "https://127.0.0.1:$kcm_port/healthz"

start openbao "$run" "$pybin/bao" server -dev -dev-no-store-token \
  -dev-root-token-id "$bao_token" -dev-listen-address "127.0.0.1:$bao_port"
wait_for openbao "$run" 60 curl -fsS "http://127.0.0.1:$bao_port/v1/sys/health"

start moto "$run" "$pybin/moto_server" -H 127.0.0.1 -p "$moto_port"
wait_for moto "$run" 60 curl -fsS "http://127.0.0.1:$moto_port/moto-api/"

# After the API server: it reads the ServiceAccount issuer's keys (JWKS) at start.
write_azure_keyvault_config "$run/azure-keyvault.json"
(cd "$root" && start azure-keyvault "$run" "$root/node_modules/.bin/node" --import tsx \
  "$root/e2e/backends/azure-keyvault/main.ts" --config "$run/azure-keyvault.json")
wait_for azure-keyvault "$run" 60 curl -fsS --cacert "$run/pki/azure-ca.crt" \
  "https://127.0.0.1:$kv_port/_test/health"

cat >"$run/env.tmp" <<ENV
# Written by make dev-up; source it to reach the local environment.
export SECRETSOURCE_RUN_DIR='$run'
export KUBECONFIG='$run/kubeconfig'
export KUBECTL='$kube_bin/kubectl'
export HELM='$(helm_tools_dir)/helm'
export KUBE_API_URL='https://127.0.0.1:$api_port'
export KUBE_CA_FILE='$run/pki/ca.crt'
export KUBE_SERVICE_ACCOUNT_ISSUER='https://kubernetes.default.svc.cluster.local'
export ETCD_URL='http://127.0.0.1:$etcd_client'
export BAO_BIN='$pybin/bao'
export VAULT_ADDR='http://127.0.0.1:$bao_port'
export VAULT_TOKEN='$bao_token'
export AWS_ENDPOINT_URL='http://127.0.0.1:$moto_port'
export AWS_REGION='us-east-1'
export AWS_ACCESS_KEY_ID='testing'
export AWS_SECRET_ACCESS_KEY='testing'
export AZURE_KEYVAULT_URL='https://$azure_vault.vault.localhost:$kv_port'
export AZURE_KEYVAULT_RESOURCE='https://vault.localhost'
export AZURE_AUTHORITY_HOST='https://login.localhost:$kv_port'
export AZURE_TENANT_ID='$azure_tenant'
export AZURE_CLIENT_ID='$azure_client'
export AZURE_CLIENT_SECRET='$azure_client_secret'
export AZURE_CA_FILE='$run/pki/azure-ca.crt'
export AZURE_KEYVAULT_ADMIN_TOKEN='$azure_admin_token'
export AZURE_POD_IDENTITY_AUTHORITY_HOST='http://127.0.0.1:$kv_mi_port'
export AZURE_MANAGED_IDENTITY_CLIENT_ID='$azure_mi_client'
export AZURE_KEYVAULT_IDENTITY_ENDPOINT='http://127.0.0.1:$kv_mi_port/msi/token'
export AZURE_KEYVAULT_IDENTITY_HEADER='$azure_identity_header'
export NODE_OPTIONS='--import $root/e2e/support/localhost-resolver.mjs'
ENV
mv "$run/env.tmp" "$run/env"
print_usage "$run"

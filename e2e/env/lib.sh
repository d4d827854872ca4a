# Helpers shared by dev-up.sh and dev-down.sh. Sourced, not run.

TOOLS_DIR="${SECRETSOURCE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/secretsource-operator/tools}"
SERVERS=(etcd kube-apiserver kube-controller-manager openbao moto azure-keyvault)

kube_tools_dir() { echo "$TOOLS_DIR/kubernetes-${KUBE_VERSION:-v1.37.2}"; }
etcd_tools_dir() { echo "$TOOLS_DIR/etcd-${ETCD_VERSION:-v3.6.16}"; }
helm_tools_dir() { echo "$TOOLS_DIR/helm-${HELM_VERSION:-v4.3.2}"; }

# A port the kernel just handed out and released; the servers bind it right after.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start NAME RUN_DIR COMMAND...: runs a server detached, logging to RUN_DIR/logs/NAME.log.
start() {
  local name="$1" run="$2"; shift 2
  setsid nohup "$@" >"$run/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$run/pids/$name.pid"
}

# wait_for NAME RUN_DIR SECONDS PROBE...: waits until PROBE succeeds; on failure
# names the server and shows the tail of its log.
wait_for() {
  local name="$1" run="$2" seconds="$3"; shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$run/pids/$name.pid")" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
      echo "dev-up: $name failed to start (log: $run/logs/$name.log). Last lines:" >&2
      tail -n 25 "$run/logs/$name.log" >&2 || true
      stop_servers "$run"
      exit 1
    fi
    sleep 0.3
  done
}

# stop_servers RUN_DIR: TERM, then KILL, every server with a pid file.
stop_servers() {
  local run="$1" pidfile alive
  for pidfile in "$run"/pids/*.pid; do
    [ -f "$pidfile" ] || continue
    # Each server leads its own session (setsid), so the group takes its children too.
    kill -TERM -- "-$(cat "$pidfile")" 2>/dev/null || kill -TERM "$(cat "$pidfile")" 2>/dev/null
  done
  for _ in $(seq 1 50); do
    alive=0
    for pidfile in "$run"/pids/*.pid; do
      [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && alive=1
    done
    [ $alive -eq 0 ] && break
    sleep 0.2
  done
  for pidfile in "$run"/pids/*.pid; do
    [ -f "$pidfile" ] && kill -KILL -- "-$(cat "$pidfile")" 2>/dev/null
    rm -f "$pidfile"
  done
  return 0
}

env_is_up() {
  local run="$1" name
  [ -f "$run/env" ] || return 1
  for name in "${SERVERS[@]}"; do
    [ -f "$run/pids/$name.pid" ] && kill -0 "$(cat "$run/pids/$name.pid")" 2>/dev/null || return 1
  done
  # shellcheck disable=SC1091
  (source "$run/env" && curl -fsS --cacert "$KUBE_CA_FILE" --cert "$run/pki/admin.crt" \
    --key "$run/pki/admin.key" "$KUBE_API_URL/readyz" >/dev/null 2>&1)
}

# Starts the environment when it is not up, and stops it when the calling script exits; an
# environment that was already running is left alone. $1: the repository root, $2: the run dir.
use_env_until_exit() {
  local root="$1" run="$2"
  if ! env_is_up "$run"; then
    "$root/e2e/env/dev-up.sh"
    # shellcheck disable=SC2064  # expand now: the trap runs after these locals are gone
    trap "\"$root/e2e/env/dev-down.sh\"" EXIT
  fi
}

print_usage() {
  local run="$1"
  cat <<EOF
Local environment is up (logs in $run/logs):
$(grep '^export' "$run/env" | grep -v -E 'TOKEN|SECRET|IDENTITY_HEADER' | sed 's/^export /  /')
Use it:   source $run/env && \$KUBECTL get ns
Stop it:  make dev-down
EOF
}

# write_pki DIR: a CA, the API server's serving cert, an admin client cert
# (group system:masters) and the ServiceAccount token signing key pair.
write_pki() {
  local dir="$1"
  (
    cd "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 \
      -subj "/CN=secretsource-e2e-ca" 2>/dev/null
    issue() { # issue NAME SUBJECT EXTENSIONS
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
        -out "$1.crt" -extfile <(printf '%s\n' "$3") 2>/dev/null
      rm -f "$1.csr"
    }
    issue apiserver "/CN=kube-apiserver" \
      "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc
extendedKeyUsage=serverAuth"
    issue admin "/O=system:masters/CN=secretsource-e2e-admin" "extendedKeyUsage=clientAuth"
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    chmod 600 ./*.key
  )
}

# write_azure_pki DIR: a CA of its own for the Key Vault test server (the Azure
# provider must trust it through its caBundle, never through the kube CA) and a
# serving cert for every name the server answers: <vault>.vault.localhost,
# login.localhost, localhost and 127.0.0.1.
write_azure_pki() {
  local dir="$1"
  (
    cd "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout azure-ca.key -out azure-ca.crt -days 30 \
      -subj "/CN=secretsource-e2e-azure-ca" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout azure-keyvault.key -out azure-keyvault.csr \
      -subj "/CN=vault.localhost" 2>/dev/null
    openssl x509 -req -in azure-keyvault.csr -CA azure-ca.crt -CAkey azure-ca.key -CAcreateserial -days 30 \
      -out azure-keyvault.crt -extfile <(printf '%s\n' \
        "subjectAltName=DNS:*.vault.localhost,DNS:login.localhost,DNS:localhost,DNS:*.localhost,IP:127.0.0.1" \
        "extendedKeyUsage=serverAuth") 2>/dev/null
    rm -f azure-keyvault.csr
    chmod 600 azure-ca.key azure-keyvault.key
  )
}

new_uuid() { cat /proc/sys/kernel/random/uuid; }

# write_azure_keyvault_config FILE: the Key Vault test server's config (JSON,
# mode 600), from the shell variables dev-up.sh sets.
write_azure_keyvault_config() {
  local file="$1"
  cat >"$file" <<EOF
{
  "host": "127.0.0.1",
  "port": $kv_port,
  "managedIdentityPort": $kv_mi_port,
  "domain": "localhost",
  "tlsCertFile": "$run/pki/azure-keyvault.crt",
  "tlsKeyFile": "$run/pki/azure-keyvault.key",
  "adminToken": "$azure_admin_token",
  "appServiceIdentityHeader": "$azure_identity_header",
  "tenants": ["$azure_tenant"],
  "vaults": [{ "name": "$azure_vault", "tenantId": "$azure_tenant" }],
  "clients": [
    {
      "tenantId": "$azure_tenant",
      "clientId": "$azure_client",
      "secrets": ["$azure_client_secret"],
      "permissions": { "secrets": ["all"], "certificates": ["all"] }
    },
    {
      "tenantId": "$azure_tenant",
      "clientId": "$azure_mi_client",
      "managedIdentity": "system",
      "permissions": { "secrets": ["all"], "certificates": ["all"] }
    }
  ],
  "kubernetes": {
    "issuer": "https://kubernetes.default.svc.cluster.local",
    "apiUrl": "https://127.0.0.1:$api_port",
    "caFile": "$run/pki/ca.crt",
    "certFile": "$run/pki/admin.crt",
    "keyFile": "$run/pki/admin.key"
  }
}
EOF
  chmod 600 "$file"
}

write_encryption_config() {
  cat >"$1" <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - secretbox:
          keys:
            - name: key1
              secret: $(openssl rand -base64 32)
      - identity: {}
EOF
  chmod 600 "$1"
}

write_kubeconfig() {
  local file="$1" server="$2" pki="$3"
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: secretsource-e2e
    cluster:
      server: $server
      certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
  - name: admin
    user:
      client-certificate-data: $(base64 -w0 "$pki/admin.crt")
      client-key-data: $(base64 -w0 "$pki/admin.key")
contexts:
  - name: admin@secretsource-e2e
    context: { cluster: secretsource-e2e, user: admin }
current-context: admin@secretsource-e2e
EOF
  chmod 600 "$file"
}

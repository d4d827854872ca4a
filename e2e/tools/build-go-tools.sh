#!/usr/bin/env bash
# Builds the Go servers the local control plane needs (etcd, kube-apiserver,
# kube-controller-manager) from their published Go modules and caches the
# binaries outside the checkout, keyed by version, so only the first run on a
# machine pays for the build.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
TOOLS_DIR="${SECRETSOURCE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/secretsource-operator/tools}"
PROXY="${GOPROXY_URL:-https://proxy.golang.org}"

log() { echo "[tools] $*" >&2; }

build_etcd() {
  local dest="$TOOLS_DIR/etcd-$ETCD_VERSION"
  [ -x "$dest/etcd" ] && return 0
  log "building etcd $ETCD_VERSION into $dest (first run only)"
  local work; work=$(mktemp -d)
  cat >"$work/main.go" <<'GO'
// Command etcd is a thin wrapper over etcdmain so the server builds from its Go module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$work" && go mod init secretsource.dev/etcd-wrapper 2>/dev/null &&
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" 2>&1 | grep -v '^go: downloading' >&2;
    go mod tidy 2>&1 | grep -v '^go: downloading' >&2;
    CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$work/etcd" .)
  mkdir -p "$dest" && mv "$work/etcd" "$dest/etcd" && rm -rf "$work"
}

# Stamps the release into the binaries, as the upstream build does, so clients
# see v1.X.Y instead of v0.0.0-master and the emulation version is right.
version_ldflags() {
  local minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  local pkg=k8s.io/component-base/version
  echo "-X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
}

build_kube() {
  local dest="$TOOLS_DIR/kubernetes-$KUBE_VERSION"
  [ -x "$dest/kube-apiserver" ] && [ -x "$dest/kube-controller-manager" ] && [ -x "$dest/kubectl" ] && return 0
  log "building kube-apiserver, kube-controller-manager and kubectl $KUBE_VERSION into $dest (first run only)"
  local work; work=$(mktemp -d)
  local staging="v0.${KUBE_VERSION#v1.}"
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and points them at
  # ./staging with replace directives that do not apply to a dependency; the
  # wrapper replaces each with its published version, read from the tag's go.mod.
  local replaces
  replaces=$(curl -fsSL "$PROXY/k8s.io/kubernetes/@v/$KUBE_VERSION.mod" |
    sed -n 's#^\s*\(k8s.io/[a-z0-9./-]*\) => ./staging/.*#\1#p' |
    while read -r m; do echo "	$m => $m $staging"; done)
  local goversion
  goversion=$(curl -fsSL "$PROXY/k8s.io/kubernetes/@v/$KUBE_VERSION.mod" | sed -n 's/^go \(.*\)/\1/p')
  cat >"$work/go.mod" <<GOMOD
module secretsource.dev/kube-wrapper

go $goversion

require k8s.io/kubernetes $KUBE_VERSION

replace (
$replaces
)
GOMOD
  cat >"$work/tools.go" <<'GO'
//go:build tools

// Package tools pins the commands built from k8s.io/kubernetes.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  (cd "$work" && { go mod tidy -e 2>&1 | grep -v '^go: downloading' >&2 || true; } &&
    CGO_ENABLED=0 go build -trimpath -o "$work/bin/" -ldflags "-s $(version_ldflags)" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kubectl)
  mkdir -p "$dest" && mv "$work/bin/"* "$dest/" && rm -rf "$work"
}

case "${1:-all}" in
  etcd) build_etcd ;;
  kube) build_kube ;;
  all) build_etcd; build_kube ;;
  *) echo "usage: $0 [etcd|kube|all]" >&2; exit 2 ;;
esac

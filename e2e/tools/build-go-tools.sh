#!/usr/bin/env bash
# Builds the Go servers the local control plane needs (etcd, kube-apiserver,
# kube-controller-manager, kubectl) and the helm client the chart tests render
# with, from their published Go modules, and caches the binaries outside the
# checkout, keyed by version, so only the first run on a machine pays for the build.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
HELM_VERSION="${HELM_VERSION:-v4.3.2}"
GOPHER_LUA_VERSION="${GOPHER_LUA_VERSION:-v1.1.1}"
PROXY="${GOPROXY_URL:-https://proxy.golang.org}"

# wrapper_build WORK DEST MODULE REQUIREMENT BINARY: builds the main.go in WORK as module MODULE
# with REQUIREMENT (module@version) into DEST/BINARY.
wrapper_build() {
  local work="$1" dest="$2" module="$3" requirement="$4" binary="$5"
  cd "$work"
  go mod init "$module"
  go get "$requirement"
  go mod tidy
  CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$work/$binary" .
  mkdir -p "$dest"
  mv "$work/$binary" "$dest/$binary"
}

# etcd_wrapper_build WORK DEST: a wrapper main over etcdmain, built from the module.
etcd_wrapper_build() {
  local work="$1" dest="$2"
  cat >"$work/main.go" <<'GO'
// Command etcd is a thin wrapper over etcdmain so the server builds from its Go module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  wrapper_build "$work" "$dest" secretsource.dev/etcd-wrapper "go.etcd.io/etcd/server/v3@$ETCD_VERSION" etcd
}

build_etcd() {
  local dest="$TOOLS_DIR/etcd-$ETCD_VERSION"
  [ -x "$dest/etcd" ] && return 0
  tools_log "building etcd $ETCD_VERSION into $dest (first run only, about 1 minute)"
  local work; work=$(mktemp -d)
  tool_step "etcd-$ETCD_VERSION" etcd_wrapper_build "$work" "$dest"
  rm -rf "$work"
}

# Stamps the release into the binaries, as the upstream build does, so clients
# see v1.X.Y instead of v0.0.0-master and the emulation version is right.
version_ldflags() {
  local minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  local pkg=k8s.io/component-base/version
  echo "-X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
}

# kube_wrapper_module WORK: a go.mod that requires k8s.io/kubernetes and replaces
# each staging module with its published version. k8s.io/kubernetes requires its
# staging modules at v0.0.0 and points them at ./staging with replace directives
# that do not apply to a dependency; the replaces are read from the tag's go.mod.
kube_wrapper_module() {
  local work="$1" staging="v0.${KUBE_VERSION#v1.}" upstream="$1/upstream.mod"
  curl -fsSL --retry 3 -o "$upstream" "$PROXY/k8s.io/kubernetes/@v/$KUBE_VERSION.mod"
  local goversion
  goversion=$(sed -n 's/^go \(.*\)/\1/p' "$upstream")
  {
    printf 'module secretsource.dev/kube-wrapper\n\ngo %s\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' \
      "$goversion" "$KUBE_VERSION"
    sed -n 's#^\s*\(k8s.io/[a-z0-9./-]*\) => ./staging/.*#\1#p' "$upstream" |
      while read -r m; do printf '\t%s => %s %s\n' "$m" "$m" "$staging"; done
    printf ')\n'
  } >"$work/go.mod"
  grep -q '=> k8s.io/api ' "$work/go.mod" || { echo "no staging replaces found in $upstream" >&2; return 1; }
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
  # -e: k8s.io/kubernetes' test-only imports name modules the wrapper never builds.
  cd "$work" && go mod tidy -e
}

kube_wrapper_build() {
  local work="$1" dest="$2"
  cd "$work"
  CGO_ENABLED=0 go build -trimpath -o "$work/bin/" -ldflags "-s $(version_ldflags)" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl
  mkdir -p "$dest"
  mv "$work/bin/"* "$dest/"
}

# Argo CD runs resource health scripts in gopher-lua (Lua 5.1): e2e/tools/argocd-lua is a small
# runner over that module, so the health check is tested under the VM Argo CD uses.
argocd_lua_build() {
  local work="$1" dest="$2"
  cp "$here/argocd-lua/main.go" "$work/main.go"
  wrapper_build "$work" "$dest" secretsource.dev/argocd-lua "github.com/yuin/gopher-lua@$GOPHER_LUA_VERSION" argocd-lua
}

build_argocd_lua() {
  local dest="$TOOLS_DIR/argocd-lua-gopher-lua-$GOPHER_LUA_VERSION"
  [ -x "$dest/argocd-lua" ] && return 0
  tools_log "building the Argo CD health-script runner (gopher-lua $GOPHER_LUA_VERSION) into $dest"
  local work; work=$(mktemp -d)
  tool_step "argocd-lua-$GOPHER_LUA_VERSION" argocd_lua_build "$work" "$dest"
  rm -rf "$work"
}

build_kube() {
  local dest="$TOOLS_DIR/kubernetes-$KUBE_VERSION"
  [ -x "$dest/kube-apiserver" ] && [ -x "$dest/kube-controller-manager" ] && [ -x "$dest/kubectl" ] && return 0
  tools_log "building kube-apiserver, kube-controller-manager and kubectl $KUBE_VERSION into $dest (first run only, about 6 minutes on 2 cores)"
  local work; work=$(mktemp -d)
  tool_step "kubernetes-$KUBE_VERSION-modules" kube_wrapper_module "$work"
  tool_step "kubernetes-$KUBE_VERSION-build" kube_wrapper_build "$work" "$dest"
  rm -rf "$work"
}

# helm_build WORK DEST: `go install` of the module's own command at that version (helm.sh/helm/v4
# has no replace directives, so it needs no wrapper module), into WORK and then moved, so an
# interrupted build leaves no binary behind. The version is stamped as upstream's Makefile does.
# From empty module and build caches it takes about 5 CPU minutes (measured: 4m10s user, 52s
# system); a build cache that holds the kube build (the same k8s.io modules, v0.37.2) saves a
# fifth of that.
helm_build() {
  local work="$1" dest="$2" pkg=helm.sh/helm/v4/internal/version
  GOBIN="$work" CGO_ENABLED=0 go install -trimpath \
    -ldflags "-s -X $pkg.version=$HELM_VERSION -X $pkg.gitTreeState=clean" \
    "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
  "$work/helm" version --short
  mkdir -p "$dest"
  mv "$work/helm" "$dest/helm"
}

build_helm() {
  local dest="$TOOLS_DIR/helm-$HELM_VERSION"
  [ -x "$dest/helm" ] && return 0
  tools_log "building helm $HELM_VERSION into $dest (first run only, about 2 minutes on 2 cores)"
  local work; work=$(mktemp -d)
  tool_step "helm-$HELM_VERSION" helm_build "$work" "$dest"
  rm -rf "$work"
}

case "${1:-all}" in
  etcd) build_etcd ;;
  argocd-lua) build_argocd_lua ;;
  kube) build_kube ;;
  helm) build_helm ;;
  all) build_etcd; build_kube; build_helm; build_argocd_lua ;;
  *) echo "usage: $0 [etcd|kube|helm|all]" >&2; exit 2 ;;
esac

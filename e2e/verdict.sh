#!/usr/bin/env bash
# verdict.sh LABEL COMMAND...: runs COMMAND after printing the Node.js version the
# project runs on, and ends with one line that says whether LABEL passed or failed
# and how long it took, so a long run never ends on an ambiguous tail of output.
set -uo pipefail
label="$1"; shift
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node="$root/node_modules/.bin/node"
echo "$label: Node.js $("$node" --version 2>/dev/null || echo "not installed yet (npm ci installs node@24)")"
start=$SECONDS
"$@"
rc=$?
if [ $rc -eq 0 ]; then
  printf '\n%s: PASSED in %ss\n' "$label" "$((SECONDS - start))"
else
  printf '\n%s: FAILED (exit %s) after %ss; the first error is above\n' "$label" "$rc" "$((SECONDS - start))" >&2
fi
exit $rc

# Helpers shared by the tool install scripts. Sourced, not run.
#
# Every step runs with its output in a log file, so a step's exit status is the
# command's own and never depends on what the command happened to print (a
# `cmd | grep -v ...` pipeline fails under pipefail when grep filters out every
# line). The user sees one line when a step starts and one when it ends, with
# the elapsed time; a failing step is named and the tail of its log is shown.

TOOLS_DIR="${SECRETSOURCE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/secretsource-operator/tools}"

tools_log() { echo "[tools] $*" >&2; }

# tool_step NAME COMMAND...: runs COMMAND in a subshell with its output in
# $TOOLS_DIR/logs/NAME.log, printing a line every 30 s while it runs. The
# subshell runs in the background so `set -e` holds inside it (bash ignores -e
# in anything called from an `if` or `||` condition).
tool_step() {
  local name="$1"; shift
  local log="$TOOLS_DIR/logs/$name.log" start=$SECONDS rc=0
  mkdir -p "$TOOLS_DIR/logs"
  tools_log "$name: started (log: $log)"
  ( set -e; "$@" ) >"$log" 2>&1 &
  local pid=$!
  ( while sleep 30 >/dev/null 2>&1 </dev/null && kill -0 "$pid" 2>/dev/null; do
      tools_log "$name: still running ($((SECONDS - start))s)"
    done ) &
  local beat=$!
  wait "$pid" || rc=$?
  kill "$beat" 2>/dev/null; wait "$beat" 2>/dev/null || true
  if [ "$rc" -eq 0 ]; then
    tools_log "$name: done in $((SECONDS - start))s"
  else
    tools_log "$name: FAILED after $((SECONDS - start))s (exit $rc). Last lines of $log:"
    tail -n 30 "$log" >&2
  fi
  return "$rc"
}

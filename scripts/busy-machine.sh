#!/usr/bin/env bash
# Runs a command while two CPU-bound processes run beside it for the whole run, as on a shared machine; stops them
# afterwards and exits with the command's code. Usage: scripts/busy-machine.sh npm test
set -uo pipefail
[ $# -gt 0 ] || { echo "usage: $0 command [args...]" >&2; exit 2; }
busy=()
for _ in 1 2; do
  node -e 'for(;;){}' &
  busy+=("$!")
done
stop() { kill "${busy[@]}" 2>/dev/null; wait "${busy[@]}" 2>/dev/null; }
trap stop EXIT
trap 'exit 130' INT TERM
started=$(date +%s)
"$@"
status=$?
echo "busy-machine: '$*' took $(( $(date +%s) - started )) s beside two CPU-bound processes (exit $status)" >&2
exit "$status"

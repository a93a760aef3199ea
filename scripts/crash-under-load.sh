#!/usr/bin/env bash
# Runs the crash-safety suite with the CPU saturated, the way a busy CI machine would: the tests at
# nice 10 beside N busy loops (default 2; issue 12 §11), which are stopped by their PIDs at the end.
#   scripts/crash-under-load.sh [N] [more vitest arguments]
set -uo pipefail
cd "$(dirname "$0")/.."
n="${1:-2}"
[ $# -gt 0 ] && shift
pids=()
for _ in $(seq "$n"); do
  node -e 'for(;;){}' &
  pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null' EXIT
echo "crash-under-load: $n busy loops (${pids[*]}); $(uptime)"
start=$(date +%s)
nice -n 10 npx vitest run test/integration/inbox-crash.test.ts "$@"
rc=$?
echo "crash-under-load: exit $rc after $(($(date +%s) - start)) s; $(uptime)"
exit $rc

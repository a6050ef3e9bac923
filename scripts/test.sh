#!/usr/bin/env bash
# Set up, run the checks (scripts/check.ts: tsc, biome ci, import rules) and the whole test suite side by
# side (the suite runs even if a check failed); ends with the plain line `N passed, N failed` for CI, a
# failed check counting as one.
#
# The test files run in parallel worker processes (bun test --parallel, each file in a fresh global), the
# slowest first as test/timings.json says (refresh it with `npm run test:timings`). CIRCUS_TEST_JOBS sets
# the number of workers (default 4: most tests wait on processes and sockets, so on 2 cores 4 workers
# keep both busy; see README "Tests").
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
export PATH="$PWD/node_modules/.bin:$PATH"

bun scripts/build.ts >/dev/null || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

# The checks write to a file while the tests run; their report is printed before the tests' totals.
checks_log=$(mktemp)
bun scripts/check.ts >"$checks_log" 2>&1 &
checks_pid=$!

log=$(mktemp)
bun test --timeout 30000 --parallel="${CIRCUS_TEST_JOBS:-4}" --timings=test/timings.json "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# The totals bun prints last (with --parallel too: one summary for all workers).
passed=$(grep -aEo '^ *[0-9]+ pass$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
failed=$(grep -aEo '^ *[0-9]+ fail$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi

wait "$checks_pid"
checks=$?
cat "$checks_log"
rm -f "$checks_log"
if [ "$checks" -ne 0 ]; then
  echo "checks failed (see the output of scripts/check.ts above)"
  failed=$((failed + 1))
  [ "$status" -eq 0 ] && status=1
fi
echo "${passed} passed, ${failed} failed"
exit "$status"

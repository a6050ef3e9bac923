#!/usr/bin/env bash
# Set up, run the checks (scripts/check.ts: tsc, biome ci, import rules), then the whole test suite even
# if a check failed; ends with the plain line `N passed, N failed` for CI, a failed check counting as one.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
export PATH="$PWD/node_modules/.bin:$PATH"

bun scripts/build.ts >/dev/null || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

bun scripts/check.ts
checks=$?

log=$(mktemp)
bun test --timeout 30000 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -aEo '^ *[0-9]+ pass$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
failed=$(grep -aEo '^ *[0-9]+ fail$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$checks" -ne 0 ]; then
  echo "checks failed (see the output of scripts/check.ts above)"
  failed=$((failed + 1))
  [ "$status" -eq 0 ] && status=1
fi
echo "${passed} passed, ${failed} failed"
exit "$status"

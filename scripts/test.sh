#!/usr/bin/env bash
# Runs every test suite of the project, installing what it needs on first run:
#   fmt, clippy (-D warnings), native `cargo test --workspace`, the recorder check
#   (tools/record --check, when present), the app's wasm tests in headless Chromium,
#   the release build of dist/ (scripts/build.sh) and the browser end-to-end test against dist/.
# Every suite runs even when an earlier one fails; the last line is `N passed, N failed`.
# Usage: scripts/test.sh [--quick]   (--quick: fmt, clippy and native tests only)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

quick=0
[ "${1:-}" = "--quick" ] && quick=1

passed=0
failed=0
failed_names=()

suite() {
  local name="$1"
  shift
  printf '\n==== %s ====\n' "$name"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    printf '==== %s: ok (%ss)\n' "$name" $((SECONDS - start))
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    printf '==== %s: FAILED (%ss)\n' "$name" $((SECONDS - start))
  fi
}

wasm_tests() {
  ensure_wasm_target && ensure_wasm_bindgen && ensure_chromium || return 1
  CHROMEDRIVER=/usr/bin/chromedriver \
  WASM_BINDGEN_TEST_WEBDRIVER_JSON="$REPO_ROOT/scripts/webdriver.json" \
  WASM_BINDGEN_TEST_TIMEOUT=120 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --target wasm32-unknown-unknown -p layerlab-app --test browser
}

trunk_build() {
  ensure_app_tools || return 1
  rm -rf dist
  release_build
}

e2e() {
  [ -f dist/index.html ] || { say "dist/index.html missing (trunk build failed?)"; return 1; }
  ensure_chromium && ensure_e2e_deps || return 1
  node --test --test-reporter=spec tests/e2e/app.test.mjs tests/e2e/shrink-glue.test.mjs tests/e2e/order-functions.test.mjs
}

suite fmt cargo fmt --all --check
suite clippy cargo clippy --workspace --all-targets -- -D warnings
if [ -x tools/record ] && [ "$quick" = 0 ]; then
  # Re-record on real engines and fail on drift. The whole suite takes about an hour, more than
  # CI can spend, so every run checks the smoke scenarios and then as many others as fit in
  # RECORD_BUDGET seconds (default 20 min), starting at a place derived from the commit: each
  # landing checks a different share, and drift in any checked scenario fails the run. Engines
  # that cannot be installed or started are reported as SKIP and do not fail the run. It runs
  # before the native tests because it unpacks Docker 26's buildx, which the bake export test
  # uses. `tools/record --check` by hand checks everything.
  seed=$(git rev-parse HEAD 2>/dev/null || date +%F)
  suite recorder-check tools/record --check --rotate "$seed" --budget "${RECORD_BUDGET:-1200}"
fi
suite native-tests cargo test --workspace --no-fail-fast
if [ "$quick" = 0 ]; then
  suite wasm-tests wasm_tests
  suite trunk-build trunk_build
  suite e2e e2e
fi

echo
if [ "$failed" -gt 0 ]; then echo "failed suites: ${failed_names[*]}"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

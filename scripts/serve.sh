#!/usr/bin/env bash
# Serve the playground locally (http://127.0.0.1:8080) with the default example loaded.
# Installs what is missing on first run: the wasm target, trunk 0.21, wasm-bindgen-cli (at
# the Cargo.lock version) and wasm-opt (npm binaryen, into .tools/). Extra arguments go to
# `trunk serve`, e.g. `scripts/serve.sh --port 9000 --release`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
ensure_app_tools
exec trunk serve --offline "$@"

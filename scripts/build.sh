#!/usr/bin/env bash
# Release build of the playground into dist/ (static files: serve them from any web server).
# Installs what is missing on first run, like scripts/serve.sh, and rebuilds std for wasm32
# with panic = "immediate-abort" when rust-src is available (see release_build in lib.sh).
# Extra arguments go to `trunk build`, e.g. `scripts/build.sh --public-url /layerlab/`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
ensure_app_tools
release_build "$@"

# shellcheck shell=bash
# Shared helpers for scripts/serve.sh and scripts/test.sh: find or install the tools the
# playground needs, quietly when they are already there. Sourced, not executed.
#
# Tools go where their ordinary installers put them: rustup target, `cargo install` into
# ~/.cargo/bin (trunk, wasm-bindgen-cli), npm's binaryen (for wasm-opt) into .tools/
# (gitignored), Debian's chromium + chromium-driver with apt (only when root).

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$REPO_ROOT/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"

TRUNK_REQ="^0.21"
BINARYEN_VERSION="132"
# terser minifies the main wasm-bindgen glue in release builds (scripts/shrink-glue.mjs).
TERSER_VERSION="5.51.4"

say() { printf '[layerlab] %s\n' "$*" >&2; }

# The wasm-bindgen version pinned in Cargo.lock (wasm-bindgen-cli must match it exactly).
lockfile_wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' \
    "$REPO_ROOT/Cargo.lock"
}

ensure_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "installing the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown >&2
  fi
}

ensure_trunk() {
  if trunk --version 2>/dev/null | grep -q '^trunk 0\.21\.'; then return 0; fi
  # Another install (e.g. started by hand) may be running; cargo serialises on its own lock.
  say "installing trunk $TRUNK_REQ (cargo install; takes several minutes once)"
  cargo install --locked trunk --version "$TRUNK_REQ" >&2
}

ensure_wasm_bindgen() {
  local want
  want="$(lockfile_wasm_bindgen_version)"
  if [ -z "$want" ]; then say "no wasm-bindgen in Cargo.lock"; return 1; fi
  if [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $want" ] &&
     command -v wasm-bindgen-test-runner >/dev/null; then
    return 0
  fi
  say "installing wasm-bindgen-cli $want (matches Cargo.lock)"
  # Not --locked: its lockfile names a dependency version missing from the registry index.
  cargo install wasm-bindgen-cli --version "=$want" --force >&2
}

# npm packages the build uses, in .tools/: binaryen (wasm-opt) and terser. Installed in one
# command: `npm install --no-save` removes the packages it was not given.
ensure_wasm_opt() {
  local bin="$REPO_ROOT/.tools/node_modules"
  if [ -x "$bin/.bin/wasm-opt" ] &&
     "$bin/.bin/wasm-opt" --version 2>/dev/null | grep -q "version $BINARYEN_VERSION" &&
     grep -q "\"version\": \"$TERSER_VERSION\"" "$bin/terser/package.json" 2>/dev/null; then
    return 0
  fi
  if ! command -v npm >/dev/null; then
    say "npm is missing: install Node.js (apt-get install nodejs npm)"; return 1
  fi
  # Debian's binaryen is too old to read current rustc output; npm's build of it works.
  say "installing binaryen $BINARYEN_VERSION (wasm-opt) and terser $TERSER_VERSION into .tools/"
  mkdir -p "$REPO_ROOT/.tools"
  npm install --prefix "$REPO_ROOT/.tools" --no-save --no-audit --no-fund --silent \
    "binaryen@$BINARYEN_VERSION" "terser@$TERSER_VERSION" >&2
}

ensure_app_tools() {
  ensure_wasm_target && ensure_wasm_bindgen && ensure_wasm_opt && ensure_trunk
}

# The standard library's source, for rebuilding std with the playground's wasm (see
# release_build). Optional: without it the release build uses the prebuilt std.
ensure_rust_src() {
  local sysroot
  sysroot="$(rustc --print sysroot 2>/dev/null)" || return 1
  [ -f "$sysroot/lib/rustlib/src/rust/library/Cargo.lock" ] && return 0
  say "installing rust-src (std's source, for the size-optimised wasm build)"
  rustup component add rust-src >&2
}

# `trunk build --release --offline "$@"`, with std rebuilt for wasm32 at the playground's
# opt-level and panic = "immediate-abort": no panic messages, file names or formatting code in
# the bundle (a panic was already an abort without a message: panic = "abort" and no hook), so
# about 22 KB gzip less for the main wasm and 16 KB for the worker (docs/benchmarks/app.md).
# These are unstable cargo features, enabled on the stable toolchain with RUSTC_BOOTSTRAP=1
# for this one command only; the flags are those of rustc >= 1.92. When rust-src cannot be
# installed or that build fails (another toolchain), it says so and builds with the prebuilt
# std: same app, bigger bundle.
release_build() {
  trunk_release "$@" && shrink_glue dist && precompress_dist dist
}

# Short import names in the wasm and its glue, and the main glue minified (-5.9 KB gzip on
# first load; see scripts/shrink-glue.mjs). Needs node, which the build has (binaryen).
shrink_glue() {
  node "$REPO_ROOT/scripts/shrink-glue.mjs" "$1"
}

trunk_release() {
  if ensure_rust_src; then
    if RUSTC_BOOTSTRAP=1 \
       CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
       CARGO_UNSTABLE_PANIC_IMMEDIATE_ABORT=true \
       CARGO_PROFILE_WASM_RELEASE_PANIC=immediate-abort \
       trunk build --release --offline "$@"; then
      return 0
    fi
    say "the build with std rebuilt for wasm failed; building with the prebuilt std instead"
  else
    say "no rust-src: building with the prebuilt std (main wasm about 22 KB gzip bigger)"
  fi
  trunk build --release --offline "$@"
}

# Debian's zopfli: a gzip encoder whose output any gzip decoder reads, ~4 % smaller than
# gzip -9 on the wasm. Optional (installed when we are root, like chromium).
ensure_zopfli() {
  command -v zopfli >/dev/null && return 0
  [ "$(id -u)" = 0 ] || return 1
  say "installing Debian zopfli (precompressed .gz files for dist/)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q zopfli >&2 ||
    { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q zopfli >&2; }
}

# Writes FILE.gz next to every text and wasm file of a release dist/, for servers that send
# precompressed files as they are (nginx `gzip_static on`, Caddy `file_server { precompressed
# gzip }`, ...): zopfli output, smaller than what such a server would make on the fly. Servers
# that compress themselves ignore the .gz files. Without zopfli it says so and writes none.
precompress_dist() {
  local dir="$1" f
  if ! ensure_zopfli; then
    say "zopfli is not available: no precompressed .gz files in $dir (servers compress on the fly)"
    return 0
  fi
  for f in "$dir"/*.wasm "$dir"/*.js "$dir"/*.css "$dir"/*.html "$dir"/*.svg; do
    [ -f "$f" ] || continue
    zopfli --i15 -c "$f" > "$f.gz.tmp" || return 1
    # A tiny file can come out bigger: then it is better sent as it is.
    if [ "$(stat -c %s "$f.gz.tmp")" -lt "$(stat -c %s "$f")" ]; then
      mv "$f.gz.tmp" "$f.gz" && touch -r "$f" "$f.gz"
    else
      rm -f "$f.gz.tmp" "$f.gz"
    fi
  done
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    say "chromium and chromium-driver are missing; run as root or: sudo apt-get install chromium chromium-driver"
    return 1
  fi
  say "installing Debian chromium + chromium-driver"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >&2; then
    apt-get update -q >&2 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >&2
  fi
}

ensure_e2e_deps() {
  local dir="$REPO_ROOT/tests/e2e"
  if [ -d "$dir/node_modules/playwright-core" ]; then return 0; fi
  say "installing e2e dependencies (npm ci in tests/e2e)"
  # PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: we drive Debian's chromium, never a downloaded one.
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent >&2)
}

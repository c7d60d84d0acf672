#!/bin/bash
# Installs (if needed) and starts the layerlab engines, idempotently, and prints one line per
# engine: "UP <name> ..." or "DOWN <name>: <reason>". Exit status 0 even when an engine is down
# (the recorder turns that into SKIP); non-zero only on bad usage.
#
# Engines (each its own dockerd on its own socket, data root, exec root and pidfile; never the
# system's /var/run/docker.sock):
#   d20       Debian bookworm docker.io 20.10 (system binary /usr/sbin/dockerd), vfs graphdriver.
#             Builders: classic (DOCKER_BUILDKIT=0) and BuildKit (DOCKER_BUILDKIT=1, no buildx).
#   d20k      a second 20.10 daemon, same binaries and setup, used only for the classic builder so
#             that classic (the slowest: a container per step) runs beside 20.10's BuildKit.
#   d26       Debian trixie docker.io 26.1 unpacked in /opt/layerlab/d26, vfs graphdriver,
#             buildx 0.13 docker driver (and classic via DOCKER_BUILDKIT=0).
#   d26c      same binaries, containerd image store (containerd-snapshotter, native snapshotter):
#             the only one that can --cache-to type=registry|local.
#   registry  Debian docker-registry 2.8 on 127.0.0.1:5000 (storage /var/lib/layerlab/registry),
#             also a pull-through mirror target for d26c (bases are pushed there).
# Every engine gets the deterministic base images layerlab/base:1, layerlab/base:2,
# layerlab/tools:1 (see mkbase.sh) loaded, and they are pushed to the registry.
#
# Usage: up.sh [d20|d20k|d26|d26c|registry|all]...   (default all). For each engine it writes
# /run/layerlab/<engine>.env (KEY=VALUE lines) which the recorder reads.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

WANT=${*:-all}
want() { local w; for w in $WANT; do [ "$w" = all ] || [ "$w" = "$1" ] && return 0; done; return 1; }
for w in $WANT; do case $w in all|d20|d20k|d26|d26c|registry) ;; *) echo "usage: up.sh [d20|d20k|d26|d26c|registry|all]..." >&2; exit 2;; esac; done
STATUS=()
status() { STATUS+=("$*"); }

if [ "$(id -u)" != 0 ]; then
  for e in registry $LL_ENGINES_ALL; do want $e && echo "DOWN $e: not root (dockerd needs root)"; done
  exit 0
fi
mkdir -p "$LL_RUN" "$LL_STATE"

# ---------------------------------------------------------------- install
inst_args=()
{ want d20 || want d20k; } && inst_args+=(d20)
{ want d26 || want d26c; } && inst_args+=(d26)
want registry && inst_args+=(registry)
# d26c pushes/pulls through the registry; d20/d26 need it for cache-from-image.
inst_args+=(registry)
INSTALL_ERR=""
if ! out=$("$HERE/install.sh" "${inst_args[@]}" 2>&1); then INSTALL_ERR=$(echo "$out" | tail -1); fi
[ -n "$out" ] && echo "$out" >&2
"$HERE/mkbase.sh" >&2 || INSTALL_ERR="mkbase.sh failed"
BASES=$LL_STATE/bases

# ---------------------------------------------------------------- registry
registry_up() {
  local dir=$LL_STATE/registry pidfile=$LL_RUN/registry.pid
  if ll_pid_alive "$pidfile" && curl -fsS "http://$LL_REGISTRY/v2/" >/dev/null 2>&1; then return 0; fi
  command -v docker-registry >/dev/null || { echo "docker-registry not installed"; return 1; }
  mkdir -p "$dir/storage"
  cat > "$dir/config.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: $LL_REGISTRY
YML
  ll_stop_pidfile "$pidfile" registry
  ( cd / && exec setsid docker-registry serve "$dir/config.yml" ) >"$dir/registry.log" 2>&1 </dev/null &
  echo $! > "$pidfile"
  ll_wait_for 20 curl -fsS "http://$LL_REGISTRY/v2/" || { echo "registry did not answer on $LL_REGISTRY (see $dir/registry.log)"; return 1; }
}

# ---------------------------------------------------------------- dockerd engines
# engine_paths NAME: sets DOCKERD CLIENT PLUGINS XPATH for the engine.
engine_paths() {
  case $1 in
    d20|d20k) DOCKERD=/usr/sbin/dockerd; CLIENT=/usr/bin/docker; PLUGINS=""; XPATH="" ;;
    d26|d26c) DOCKERD=$LL_OPT/d26/usr/sbin/dockerd; CLIENT=$LL_OPT/d26/usr/bin/docker
              PLUGINS=$LL_OPT/d26/usr/libexec/docker/cli-plugins; XPATH=$LL_OPT/d26/usr/bin:$LL_OPT/d26/usr/sbin: ;;
  esac
}

engine_up() {
  local name=$1 dir=$LL_STATE/$1 sock=$LL_RUN/$1.sock pidfile=$LL_RUN/$1.pid
  engine_paths "$name"
  [ -x "$DOCKERD" ] || { echo "no dockerd at $DOCKERD${INSTALL_ERR:+ ($INSTALL_ERR)}"; return 1; }
  [ -x "$CLIENT" ] || { echo "no docker client at $CLIENT"; return 1; }
  mkdir -p "$dir/client"
  # The client config dir: cli-plugins (buildx) for d26*, nothing else; never ~/.docker.
  if [ -n "$PLUGINS" ]; then mkdir -p "$dir/client/cli-plugins"; ln -sfn "$PLUGINS/docker-buildx" "$dir/client/cli-plugins/docker-buildx"; fi
  [ -f "$dir/client/config.json" ] || echo '{}' > "$dir/client/config.json"
  case $name in
    d26c) echo '{"features": {"containerd-snapshotter": true}, "storage-driver": "native", "registry-mirrors": ["http://'"$LL_REGISTRY"'"], "insecure-registries": ["'"$LL_REGISTRY"'"]}' ;;
    *)    echo '{"storage-driver": "vfs", "insecure-registries": ["'"$LL_REGISTRY"'"]}' ;;
  esac > "$dir/daemon.json.new"
  local changed=0
  cmp -s "$dir/daemon.json.new" "$dir/daemon.json" || { mv "$dir/daemon.json.new" "$dir/daemon.json"; changed=1; }
  rm -f "$dir/daemon.json.new"
  export DOCKER_HOST=unix://$sock DOCKER_CONFIG=$dir/client
  if ll_pid_alive "$pidfile" && [ $changed = 0 ] && "$CLIENT" version >/dev/null 2>&1; then
    :
  else
    ll_stop_pidfile "$pidfile" "$name dockerd"
    ( cd / && PATH="$XPATH$PATH" exec setsid "$DOCKERD" --config-file "$dir/daemon.json" \
        --data-root "$dir/data" --exec-root "$LL_RUN/$name-exec" --pidfile "$pidfile" \
        -H "unix://$sock" --iptables=false --ip6tables=false --ip-masq=false --bridge=none \
        --userland-proxy=false ) >"$dir/dockerd.log" 2>&1 </dev/null &
    ll_wait_for 60 "$CLIENT" version || { echo "dockerd did not come up: $(grep -E 'level=(fatal|error)|failed to start' "$dir/dockerd.log" | tail -1)"; return 1; }
  fi
  # Bases: load the canonical archives when the tag does not already point at them.
  local b tag want_id have
  for b in base-1 base-2 tools-1; do
    tag=$(cat "$BASES/$b.tar.tag")
    have=$("$CLIENT" image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
    want_id=$(cat "$BASES/$b.tar.id")
    if [ "$name" = d26c ]; then
      # containerd store: the image ID is the manifest digest; compare the config digest instead.
      have=$("$CLIENT" image inspect --format '{{.Config.Image}}' "$tag" >/dev/null 2>&1 && "$CLIENT" image inspect --format '{{index .RootFS.Layers 0}}' "$tag" 2>/dev/null || true)
      want_id=$(cat "$BASES/$b.tar.diffid")
    fi
    if [ "$have" != "$want_id" ]; then
      "$CLIENT" load -q -i "$BASES/$b.tar" >/dev/null || { echo "docker load $b failed"; return 1; }
    fi
  done
  local ver bkver
  ver=$("$CLIENT" version --format '{{.Server.Version}}' 2>/dev/null)
  case $name in
    d20|d20k) bkver="v0.8.x" ;;
    *)   bkver="v0.13.x" ;;
  esac
  {
    echo "LL_ENGINE=$name"
    echo "DOCKER_HOST=unix://$sock"
    echo "DOCKER_CONFIG=$dir/client"
    echo "LL_DOCKER=$CLIENT"
    echo "LL_DOCKER_VERSION=$ver"
    echo "LL_BUILDKIT_VERSION=$bkver"
    if [ -n "$PLUGINS" ]; then
      echo "LL_BUILDX=$PLUGINS/docker-buildx"
      echo "LL_BUILDX_VERSION=$("$CLIENT" buildx version 2>/dev/null | awk '{print $2}')"
    fi
    case $name in d26c) echo "LL_STORE=containerd";; *) echo "LL_STORE=graphdriver";; esac
    echo "LL_REGISTRY=$LL_REGISTRY"
    echo "LL_BASES=$BASES"
  } > "$LL_RUN/$name.env"
  echo "docker $ver, socket $sock"
}

push_bases() { # ENGINE: push the bases to the registry (same repo names, so the registry mirror serves them)
  local name=$1
  engine_paths "$name"
  export DOCKER_HOST=unix://$LL_RUN/$name.sock DOCKER_CONFIG=$LL_STATE/$name/client
  local tag
  for tag in layerlab/base:1 layerlab/base:2 layerlab/tools:1; do
    curl -fsS -o /dev/null "http://$LL_REGISTRY/v2/${tag%%:*}/manifests/${tag##*:}" 2>/dev/null && continue
    "$CLIENT" tag "$tag" "$LL_REGISTRY/$tag" && "$CLIENT" push -q "$LL_REGISTRY/$tag" >/dev/null && "$CLIENT" rmi "$LL_REGISTRY/$tag" >/dev/null ||
      { echo "push of $tag failed"; return 1; }
  done
}

REG_OK=0
if msg=$(registry_up 2>&1); then REG_OK=1; status "UP registry $LL_REGISTRY (docker-registry $(dpkg-query -W -f '${Version}' docker-registry 2>/dev/null))"
else status "DOWN registry: $msg"; fi

for e in $LL_ENGINES_ALL; do
  want $e || continue
  if msg=$(engine_up $e 2>&1); then
    if [ $REG_OK = 1 ] && pmsg=$(push_bases $e 2>&1); then :; else [ $REG_OK = 1 ] && msg="$msg; WARNING: $pmsg"; fi
    status "UP $e $msg"
  else
    rm -f "$LL_RUN/$e.env"
    status "DOWN $e: $msg"
  fi
done
printf '%s\n' "${STATUS[@]}"
exit 0

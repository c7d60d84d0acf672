# Shared settings and helpers for the layerlab engine scripts. Sourced, not executed.
#
# Layout (all outside the repo, all owned by these scripts):
#   /opt/layerlab/<pkgset>/      unpacked newer engines (never installed over the system ones)
#   /var/lib/layerlab/<engine>/  data roots, daemon.json, logs
#   /var/lib/layerlab/bases/     deterministic base image archives (docker-archive tars)
#   /run/layerlab/               sockets, pidfiles, exec roots, <engine>.env (read by the recorder)

set -u
LL_OPT=${LL_OPT:-/opt/layerlab}
LL_STATE=${LL_STATE:-/var/lib/layerlab}
LL_RUN=${LL_RUN:-/run/layerlab}
LL_REGISTRY=${LL_REGISTRY:-127.0.0.1:5000}
LL_ENGINES_ALL="d20 d20k d26 d26c"

ll_log() { echo "[engines] $*" >&2; }
ll_die() { echo "[engines] ERROR: $*" >&2; exit 1; }

# ll_pid_alive PIDFILE: true when the pidfile names a live process.
ll_pid_alive() {
  [ -s "$1" ] || return 1
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# ll_wait_for SECONDS CMD...: retry CMD every 0.2 s until it succeeds or time runs out.
ll_wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

# ll_stop_pidfile PIDFILE NAME: TERM the process, wait, then KILL; removes the pidfile.
ll_stop_pidfile() {
  local pidfile=$1 name=$2 pid i
  if ll_pid_alive "$pidfile"; then
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      ll_log "$name did not stop in 10 s, killing pid $pid"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

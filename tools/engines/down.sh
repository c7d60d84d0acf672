#!/bin/bash
# Stops the layerlab engines started by up.sh (by pidfile; nothing else is touched).
# Usage: down.sh [d20|d20k|d26|d26c|registry|all]... (default all). --purge also deletes their data roots.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
PURGE=0; WANT=()
for a in "$@"; do case $a in --purge) PURGE=1;; *) WANT+=("$a");; esac; done
[ ${#WANT[@]} = 0 ] && WANT=(all)
want() { local w; for w in "${WANT[@]}"; do [ "$w" = all ] || [ "$w" = "$1" ] && return 0; done; return 1; }
for e in $LL_ENGINES_ALL; do
  want $e || continue
  ll_stop_pidfile "$LL_RUN/$e.pid" "$e dockerd"
  rm -f "$LL_RUN/$e.env"
  if [ $PURGE = 1 ]; then
    # vfs/native layers can hold mounts; unmount anything left below the data root first.
    grep -o " $LL_STATE/$e/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
    rm -rf "$LL_STATE/$e/data" "$LL_RUN/$e-exec"
  fi
  echo "DOWN $e"
done
if want registry; then
  ll_stop_pidfile "$LL_RUN/registry.pid" registry
  [ $PURGE = 1 ] && rm -rf "$LL_STATE/registry/storage"
  echo "DOWN registry"
fi

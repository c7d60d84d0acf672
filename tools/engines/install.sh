#!/bin/bash
# Installs what the layerlab engines need. Idempotent; safe to run on every CI start.
#   - Debian bookworm packages (system): docker.io 20.10 (classic + BuildKit), containerd, runc,
#     tini, busybox-static (base image rootfs), docker-registry (local registry on 127.0.0.1:5000).
#   - Docker 26.x + containerd 1.7 + buildx 0.13 from Debian trixie, *unpacked* (dpkg-deb -x) into
#     /opt/layerlab/d26 — never installed over the system packages. The trixie apt source is added
#     with pin priority 1 so nothing is ever upgraded from it by accident.
# Usage: install.sh [d20|d26|registry|all]...   (default all)
# Exit status non-zero (with a message) when something could not be installed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || ll_die "must run as root (apt-get, dockerd)"
command -v apt-get >/dev/null || ll_die "no apt-get on this machine"
export DEBIAN_FRONTEND=noninteractive

want() { local w; for w in $WANT; do [ "$w" = all ] || [ "$w" = "$1" ] && return 0; done; return 1; }
WANT=${*:-all}

apt_updated=0
apt_update_once() {
  [ $apt_updated = 1 ] && return 0
  apt-get update -qq >/dev/null 2>&1 || ll_log "apt-get update had errors (continuing)"
  apt_updated=1
}

need_pkgs=()
dpkg -s busybox-static >/dev/null 2>&1 || need_pkgs+=(busybox-static)
if want d20 || want d26; then
  for p in docker.io containerd runc tini; do dpkg -s $p >/dev/null 2>&1 || need_pkgs+=($p); done
fi
if want registry; then dpkg -s docker-registry >/dev/null 2>&1 || need_pkgs+=(docker-registry); fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  ll_log "apt-get install ${need_pkgs[*]}"
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/tmp/layerlab-apt.log 2>&1 || {
    apt_update_once
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/tmp/layerlab-apt.log 2>&1 ||
      ll_die "apt-get install ${need_pkgs[*]} failed (see /tmp/layerlab-apt.log)"
  }
fi
# The docker.io package ships systemd units; make sure no system dockerd is what we talk to:
# our daemons use their own sockets, so a system one running is harmless but not needed.

if want d26; then
  D26=$LL_OPT/d26
  if [ -x "$D26/usr/sbin/dockerd" ] && [ -x "$D26/usr/bin/docker" ] && [ -x "$D26/usr/bin/containerd" ] &&
     [ -x "$D26/usr/libexec/docker/cli-plugins/docker-buildx" ]; then
    :
  else
    SRC=/etc/apt/sources.list.d/layerlab-trixie.sources
    if [ ! -f "$SRC" ]; then
      printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > "$SRC"
      printf 'Package: *\nPin: release n=trixie\nPin-Priority: 1\n' > /etc/apt/preferences.d/layerlab-trixie
    fi
    if ! apt-cache policy docker.io 2>/dev/null | grep -q '^ *26\.'; then
      ll_log "apt-get update (trixie source only)"
      apt-get update -qq -o Dir::Etc::sourcelist="$SRC" -o Dir::Etc::sourceparts=- \
        -o APT::Get::List-Cleanup=0 >/dev/null 2>&1 || ll_die "apt-get update of the trixie source failed"
    fi
    dl=$(mktemp -d); chmod 755 "$dl"
    ( cd "$dl" && apt-get download -qq -t trixie docker.io docker-cli containerd docker-buildx >/dev/null 2>&1 ) ||
      { rm -rf "$dl"; ll_die "apt-get download of trixie docker.io/docker-cli/containerd/docker-buildx failed"; }
    rm -rf "$D26.tmp"; mkdir -p "$D26.tmp"
    for f in "$dl"/*.deb; do dpkg-deb -x "$f" "$D26.tmp" || ll_die "dpkg-deb -x $f failed"; done
    ls "$dl" > "$D26.tmp/PACKAGES"
    rm -rf "$D26" "$dl"; mv "$D26.tmp" "$D26"
    ll_log "unpacked $(tr '\n' ' ' < "$D26/PACKAGES") into $D26"
  fi
fi
exit 0

#!/bin/bash
# Builds the deterministic base images the scenarios use, as docker-archive tars for `docker load`:
#   layerlab/base:1   busybox rootfs, marker /etc/layerlab-base = "base 1"
#   layerlab/base:2   same rootfs, marker "base 2"            (different digest than base:1)
#   layerlab/tools:1  same rootfs + /usr/local/bin/layerlab-tool, marker "tools 1"
# and, for `change.base_rebuilt`, a "rebuilt" variant of each (same tag, different marker, so a
# different image ID / digest). Everything is byte-for-byte reproducible (fixed mtimes, owners,
# order, fixed `created`), so every engine and every machine gets the same image IDs.
#
# Usage: mkbase.sh [OUTDIR]   (default /var/lib/layerlab/bases). Idempotent.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
OUT=${1:-$LL_STATE/bases}
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || ll_die "no static busybox at $BUSYBOX (apt-get install busybox-static)"
mkdir -p "$OUT"
EPOCH=946684800   # 2000-01-01T00:00:00Z
CREATED="2000-01-01T00:00:00Z"

make_rootfs() { # DIR MARKER [tools]
  local d=$1 marker=$2 kind=${3:-base}
  rm -rf "$d"; mkdir -p "$d"/{bin,etc,tmp,root,var,home,usr/local/bin}
  cp "$BUSYBOX" "$d/bin/busybox"; chmod 0755 "$d/bin/busybox"
  local a
  for a in $("$BUSYBOX" --list); do
    [ "$a" = busybox ] || ln -s busybox "$d/bin/$a"
  done
  chmod 1777 "$d/tmp"; chmod 0700 "$d/root"
  printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$d/etc/passwd"
  printf 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n' > "$d/etc/group"
  printf '%s\n' "$marker" > "$d/etc/layerlab-base"
  if [ "$kind" = tools ]; then
    printf '#!/bin/sh\necho "layerlab-tool $*"\n' > "$d/usr/local/bin/layerlab-tool"
    chmod 0755 "$d/usr/local/bin/layerlab-tool"
  fi
}

make_archive() { # TAG MARKER KIND OUTFILE
  local tag=$1 marker=$2 kind=$3 outfile=$4
  local work; work=$(mktemp -d)
  make_rootfs "$work/rootfs" "$marker" "$kind"
  (cd "$work/rootfs" && tar --sort=name --mtime=@$EPOCH --owner=0 --group=0 --numeric-owner \
      --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
      -cf "$work/layer.tar" .)
  local diff; diff=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  local cfg
  cfg=$(printf '{"architecture":"amd64","os":"linux","created":"%s","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"%s","created_by":"layerlab %s"}]}' \
      "$CREATED" "$diff" "$CREATED" "$marker")
  local cfgsum; cfgsum=$(printf '%s' "$cfg" | sha256sum | cut -d' ' -f1)
  mkdir -p "$work/img/$diff"
  mv "$work/layer.tar" "$work/img/$diff/layer.tar"
  printf '%s' "$cfg" > "$work/img/$cfgsum.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$cfgsum" "$tag" "$diff" > "$work/img/manifest.json"
  (cd "$work/img" && tar --sort=name --mtime=@$EPOCH --owner=0 --group=0 --numeric-owner -cf "$outfile.tmp" .)
  mv "$outfile.tmp" "$outfile"
  printf 'sha256:%s\n' "$cfgsum" > "$outfile.id"
  printf '%s\n' "$tag" > "$outfile.tag"
  printf 'sha256:%s\n' "$diff" > "$outfile.diffid"
  rm -rf "$work"
}

# name  tag               marker            kind
while read -r name tag marker kind; do
  [ -s "$OUT/$name.tar" ] && [ -s "$OUT/$name.tar.id" ] && [ -s "$OUT/$name.tar.diffid" ] && continue
  make_archive "$tag" "${marker//_/ }" "$kind" "$OUT/$name.tar"
  ll_log "built $OUT/$name.tar ($tag, id $(cat "$OUT/$name.tar.id"))"
done <<'LIST'
base-1          layerlab/base:1   base_1            base
base-1-rebuilt  layerlab/base:1   base_1_rebuilt    base
base-2          layerlab/base:2   base_2            base
base-2-rebuilt  layerlab/base:2   base_2_rebuilt    base
tools-1         layerlab/tools:1  tools_1           tools
tools-1-rebuilt layerlab/tools:1  tools_1_rebuilt   tools
LIST

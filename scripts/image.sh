#!/usr/bin/env bash
# make image: builds the container image of deploy/docker/Dockerfile with buildah, no container engine needed, and
# writes it as the OCI archive BUILD/jinguo-image.tar (deploy/docker/README.md says how to push it). Steps:
#   1. deps    buildah and mmdebstrap (scripts/deps.sh image)
#   2. base    a Debian 12 root filesystem from Debian's packages (mmdebstrap, minbase) as BUILD/image/base-*.tar;
#              kept once made (REFRESH_BASE=1 makes it again, e.g. for security updates)
#   3. import  that tarball as the buildah image localhost/jinguo-base:bookworm; skipped while the tarball is the one
#              imported last
#   4. build   buildah bud of the Dockerfile FROM that base (chroot isolation, vfs storage, cached layers and a
#              compiler cache: an unchanged tree rebuilds in a minute or two, vfs copying each layer; a source change
#              compiles mostly from ccache)
#   5. push    the image to BUILD/jinguo-image.tar; skipped when that archive already holds the same image
#   6. smoke   each binary's --help run inside the image's root filesystem (chroot, as uid 10001), and the data files
#              the binaries look for checked to be there; fails on any binary that does not start
# All of buildah's state stays under BUILD/image/ (storage, run root, temporary files and the build's cache mounts):
# rm -rf BUILD/image forgets it. Needs root (mmdebstrap, chroot and mount).
#   IMAGE_TAG   the image's tag (default: the chart's appVersion, deploy/helm/jinguo/Chart.yaml)
#   CA_BUNDLE   the CA bundle the build's downloads trust (default: this machine's, /etc/ssl/certs/ca-certificates.crt)
# usage: image.sh [BUILD]
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
mkdir -p "$BUILD/image"
BUILD=$(cd "$BUILD" && pwd)
IMG=$BUILD/image
TAG=${IMAGE_TAG:-$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' deploy/helm/jinguo/Chart.yaml)}
[ -n "$TAG" ] || { echo "image: no appVersion in deploy/helm/jinguo/Chart.yaml; set IMAGE_TAG" >&2; exit 1; }
IMAGE=localhost/jinguo:$TAG
BASE_IMAGE=localhost/jinguo-base:bookworm
# mmdebstrap's arguments; the tarball's name carries their hash, so changing them makes a new one. Merged /usr is set
# up by mmdebstrap's hook rather than the usrmerge package (which would pull perl into the image). Left out as
# debian:bookworm-slim leaves them out: manuals, documentation (the copyright files stay) and translations.
MMDEBSTRAP_ARGS=(
  --variant=minbase --mode=root --format=tar --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias'
  bookworm
)
MIRRORS=(
  "deb http://deb.debian.org/debian bookworm main"
  "deb http://deb.debian.org/debian bookworm-updates main"
  "deb http://deb.debian.org/debian-security bookworm-security main"
)
BASE_TAR=$IMG/base-bookworm-$(printf '%s\n' "${MMDEBSTRAP_ARGS[@]}" "${MIRRORS[@]}" | sha256sum | cut -c1-12).tar
OUT=$BUILD/jinguo-image.tar
[ "$(id -u)" = 0 ] || { echo "image: run as root (mmdebstrap, chroot and mount need it)" >&2; exit 1; }

# buildah with a project-local store; its temporary files and RUN --mount=type=cache directories go under TMPDIR.
mkdir -p "$IMG/storage" "$IMG/run" "$IMG/tmp"
export TMPDIR=$IMG/tmp BUILDAH_ISOLATION=chroot
bah() { buildah --root "$IMG/storage" --runroot "$IMG/run" --storage-driver vfs "$@"; }

# Seconds since $1 (an $EPOCHREALTIME), to a tenth.
since() { awk -v t0="$1" -v t1="$EPOCHREALTIME" 'BEGIN { printf "%.1f", t1 - t0 }'; }
TIMES=()
step_start() {
  STEP=$1
  STEP_T0=$EPOCHREALTIME
  echo "image: [$STEP] $2"
}
step_end() {
  local secs
  secs=$(since "$STEP_T0")
  TIMES+=("$(printf '%-7s %7ss  %s' "$STEP" "$secs" "$1")")
  echo "image: [$STEP] ${1} (${secs}s)"
}

step_start deps "buildah and mmdebstrap"
scripts/deps.sh image
step_end "ready"

step_start base "Debian 12 minbase root filesystem"
if [ -s "$BASE_TAR" ] && [ "${REFRESH_BASE:-0}" != 1 ]; then
  step_end "kept $BASE_TAR"
else
  rm -f "$IMG"/base-bookworm-*.tar
  mmdebstrap "${MMDEBSTRAP_ARGS[@]}" "$BASE_TAR.tmp" "${MIRRORS[@]}" >"$IMG/base.log" 2>&1 || {
    tail -n 30 "$IMG/base.log" >&2
    echo "image: mmdebstrap failed; the whole log is $IMG/base.log" >&2
    exit 1
  }
  mv "$BASE_TAR.tmp" "$BASE_TAR"
  step_end "made $BASE_TAR ($(du -h "$BASE_TAR" | cut -f1))"
fi

step_start import "$BASE_IMAGE from the tarball"
sum=$(sha256sum "$BASE_TAR" | cut -c1-64)
if [ "$(cat "$IMG/base.sha256" 2>/dev/null)" = "$sum" ] && bah inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
  step_end "kept (tarball unchanged)"
else
  ctr=$(bah from scratch)
  bah add "$ctr" "$BASE_TAR" / >/dev/null
  bah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd '["/bin/bash"]' "$ctr"
  bah commit --rm --quiet "$ctr" "$BASE_IMAGE" >/dev/null
  echo "$sum" >"$IMG/base.sha256"
  step_end "imported"
fi

step_start build "buildah bud deploy/docker/Dockerfile → $IMAGE (log: $IMG/build.log)"
# The machine's CA bundle, for the build's HTTPS downloads (Go modules, npm) to trust what this machine trusts (a
# network whose egress re-signs TLS): a build secret, in no layer.
secret=()
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
[ ! -s "$CA_BUNDLE" ] || secret=(--secret "id=ca-certificates,src=$CA_BUNDLE")
# Docker's image format while building: the OCI format has no SHELL, and the Dockerfile's RUN steps need pipefail.
# The archive is OCI all the same (push --format oci).
if ! bah bud --format docker --isolation chroot --layers --force-rm --pull-never --build-arg "BASE=$BASE_IMAGE" \
  "${secret[@]}" \
  -f deploy/docker/Dockerfile -t "$IMAGE" . >"$IMG/build.log" 2>&1; then
  tail -n 40 "$IMG/build.log" >&2
  echo "image: the build failed; the whole log is $IMG/build.log" >&2
  exit 1
fi
image_id=$(bah inspect --type image --format '{{.FromImageID}}' "$IMAGE")
# Untagged images this build neither made nor took from its cache (the log names each): earlier builds' layers, each
# a full copy on disk with vfs. The builder stage's last layer is untagged too, and kept while the build uses it.
# Removing an image can leave its parent unused, hence the passes.
mapfile -t used < <(grep -oE -- '--> [0-9a-f]{11,}|Using cache [0-9a-f]{11,}' "$IMG/build.log" |
  sed -E 's/.* ([0-9a-f]{11})[0-9a-f]*$/\1/' | sort -u)
for _ in 1 2 3 4 5 6 7 8; do
  stale=()
  while read -r id; do
    [[ " ${used[*]} " == *" ${id:0:11} "* ]] || stale+=("$id")
  done < <(bah images --noheading --filter dangling=true --format '{{.ID}}')
  [ ${#stale[@]} -gt 0 ] || break
  bah rmi "${stale[@]}" >/dev/null 2>&1 || break
done
step_end "built ${image_id:0:12}"

step_start push "OCI archive $OUT"
if [ -s "$OUT" ] && [ "$(cat "$IMG/pushed.id" 2>/dev/null)" = "$image_id $TAG" ]; then
  step_end "kept (same image)"
else
  rm -f "$OUT.tmp" "$IMG/pushed.id"
  bah push --quiet --format oci "$IMAGE" "oci-archive:$OUT.tmp:$TAG"
  mv "$OUT.tmp" "$OUT"
  echo "$image_id $TAG" >"$IMG/pushed.id"
  step_end "written"
fi

step_start smoke "each binary's --help inside the image, as uid 10001"
# What an interrupted run left: its /proc mount and working container (this store holds only this script's).
findmnt -rn -o TARGET | grep "^$IMG/storage/.*/proc\$" | xargs -r umount || true
bah rm --all >/dev/null
ctr=$(bah from --pull-never "$IMAGE")
mnt=$(bah mount "$ctr")
cleanup() {
  umount "$mnt/proc" 2>/dev/null || true
  bah umount "$ctr" >/dev/null 2>&1 || true
  bah rm "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT
# /proc for the binaries that find their data files from /proc/self/exe.
mount -t proc proc "$mnt/proc"
mapfile -t services < <(awk '!/^#/ && NF {print $1}' deploy/local/services.txt)
binaries=("${services[@]/#/jinguo-}" jinguoctl jinguo-gateway)
failed=0
# A path --help gives as a flag's default must exist in the image and be an installed one.
check_default() {
  local help=$1 flag=$2 path
  path=$(grep -o -- "--$flag TEXT=[^ ]*" <<<"$help" | head -n1 | cut -d= -f2)
  [ -n "$path" ] || return 0
  if [[ "$path" != /usr/share/jinguo/* ]] || [ ! -e "$mnt$path" ]; then
    echo "  --$flag defaults to $path, which the image does not have"
    return 1
  fi
  echo " $flag=$path"
}
for bin in "${binaries[@]}"; do
  t0=$EPOCHREALTIME
  if help=$(chroot --userspec=10001:10001 "$mnt" /usr/bin/env -i PATH=/usr/bin:/bin \
    JINGUO_DATA_DIR=/var/lib/jinguo "/usr/bin/$bin" --help 2>&1); then
    ms=$(awk -v t0="$t0" -v t1="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (t1 - t0) * 1000 }')
    notes=""
    ok=1
    for flag in regions-dir dashboard-assets job-categories; do
      if note=$(check_default "$help" "$flag"); then notes+=$note; else echo "$note"; ok=0; fi
    done
    if [ "$bin" = jinguo-gateway ]; then
      for f in openapi.json index.html swagger-ui-bundle.js; do
        [ -s "$mnt/usr/share/jinguo/api-docs/$f" ] || { echo "  /usr/share/jinguo/api-docs/$f is missing"; ok=0; }
      done
      notes+=" api-docs=/usr/share/jinguo/api-docs"
    fi
    if [ $ok = 1 ]; then
      echo "smoke: ok   /usr/bin/$bin --help (${ms} ms)$notes"
    else
      echo "smoke: FAIL /usr/bin/$bin: data files missing"
      failed=$((failed + 1))
    fi
  else
    echo "smoke: FAIL /usr/bin/$bin --help exited $?:"
    head -n 20 <<<"$help" | sed 's/^/  /'
    failed=$((failed + 1))
  fi
done
cleanup
trap - EXIT
passed=$((${#binaries[@]} - failed))
step_end "$passed of ${#binaries[@]} binaries start"

echo
echo "image: $IMAGE (${image_id:0:12}), $(bah images --noheading --format '{{.Size}}' "$IMAGE") unpacked;" \
  "$OUT $(du -h "$OUT" | cut -f1) ($(du -b "$OUT" | cut -f1) bytes)"
echo "image: steps"
printf '  %s\n' "${TIMES[@]}"
echo "smoke: $passed passed, $failed failed"
[ "$failed" = 0 ]

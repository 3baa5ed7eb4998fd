#!/usr/bin/env bash
# Downloads Debian's busybox-static .deb for amd64, arm64 and armhf into .cache/debs/, once.
# The integration tests build real per-architecture images from them (test/support/images.ts),
# offline: nothing but Debian's own archive is contacted, and only when a .deb is missing.
set -euo pipefail

cd "$(dirname "$0")/.."
DEBS_DIR="${DEBS_DIR:-.cache/debs}"
ARCHES=(amd64 arm64 armhf)

# Parallel test workers may all find a .deb missing at once: one fetches, the others wait and then
# find it there (apt would also refuse two concurrent updates).
mkdir -p "$DEBS_DIR"
exec 9>"$DEBS_DIR/.lock"
flock 9

missing=()
for arch in "${ARCHES[@]}"; do
  if ! compgen -G "$DEBS_DIR/busybox-static_*_${arch}.deb" >/dev/null; then
    missing+=("busybox-static:${arch}")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  # Foreign architectures must be known to apt before it lists their packages.
  dpkg --add-architecture arm64
  dpkg --add-architecture armhf
  # A mirror in the middle of a sync can fail one index ("File has unexpected size"); the
  # download below may still succeed from the lists that did update, so go on and let it decide.
  apt-get update -qq || echo "fetch-test-debs: apt-get update failed; trying the download anyway" >&2
else
  echo "fetch-test-debs: not root; assuming arm64/armhf are already added to dpkg and apt lists are current" >&2
fi

# apt-get download writes into the current directory and needs no root.
(cd "$DEBS_DIR" && apt-get download -qq "${missing[@]}")
ls -l "$DEBS_DIR"

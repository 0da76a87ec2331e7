#!/usr/bin/env bash
# Makes a base image for the export tests without any registry: this machine's
# node binary plus the shared libraries that it and onnxruntime-node need (from
# ldd), a world-writable /tmp (the server's log falls back there when it runs
# as uid 10001) and minimal /etc/passwd and /etc/group, imported with
# `docker import`. There is no shell in it; the bundle's Dockerfile needs none.
#
#   .ci/docker-base-image.sh [tag]      (default kiln-test-base:1)
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-kiln-test-base:1}

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

node_bin=$(readlink -f "$(command -v node)")
mkdir -p "$root/usr/local/bin" "$root/etc" "$root/tmp"
chmod 1777 "$root/tmp"
cp "$node_bin" "$root/usr/local/bin/node"

# The libraries a binary loads, as ldd resolves them here. Libraries inside
# node_modules travel in the bundle itself, so they are left out.
copy_libraries() {
  ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | while read -r library; do
    case $library in "$PWD"/node_modules/*) continue ;; esac
    [ -e "$root$library" ] || cp -L --parents "$library" "$root"
  done
}
copy_libraries "$node_bin"
found=0
for binary in node_modules/onnxruntime-node/bin/napi-v*/linux/x64/*.node node_modules/onnxruntime-node/bin/napi-v*/linux/x64/libonnxruntime.so*; do
  [ -e "$binary" ] || continue
  copy_libraries "$binary"
  found=1
done
if [ $found = 0 ]; then
  echo "$0: no onnxruntime-node Linux x64 binaries under node_modules; run npm ci first" >&2
  exit 1
fi

printf 'root:x:0:0:root:/root:/sbin/nologin\nkiln:x:10001:10001:kiln:/tmp:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nkiln:x:10001:\n' > "$root/etc/group"

tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64' \
  --change 'CMD ["node"]' \
  - "$tag" >/dev/null
size=$(docker image inspect --format '{{.Size}}' "$tag")
echo "built $tag from $node_bin ($(node --version)): $((size / 1000000)) MB"

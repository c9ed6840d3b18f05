#!/bin/sh
# berth's quick start: installs the Debian packages berth needs, builds it,
# makes a local busybox image (from Debian's busybox-static, no network)
# and runs a container that says hello. Run as root from the source tree.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
make
tar=$(mktemp /tmp/busybox-rootfs.XXXXXX.tar)
trap 'rm -f "$tar"' EXIT
tests/make-busybox-rootfs.sh "$tar"
./build/berth import "$tar" busybox >/dev/null
./build/berth run --rm busybox echo "Hello from berth, in a container!"

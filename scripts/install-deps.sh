#!/bin/sh
# Installs, from Debian 12's archive, what berth needs to build, to run
# containers, and to run its tests. Run as root.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    build-essential meson ninja-build pkg-config python3 git ca-certificates \
    libjansson-dev libsqlite3-dev libarchive-dev libssl-dev \
    zlib1g-dev libbz2-dev liblzma-dev libzstd-dev \
    crun runc busybox-static \
    python3-pytest python3-docker skopeo umoci \
    clang-format clang libclang-rt-14-dev \
    procps iproute2 tar gzip xz-utils zstd >/dev/null

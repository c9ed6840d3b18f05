#!/bin/sh
# Installs, from Debian 12's archive, what berth needs to build, to run
# containers, and to run its tests. Run as root.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    build-essential meson ninja-build pkg-config python3 git ca-certificates \
    libjansson-dev libsqlite3-dev libarchive-dev libssl-dev libmicrohttpd-dev \
    zlib1g-dev libbz2-dev liblzma-dev libzstd-dev \
    crun runc busybox-static \
    python3-pytest python3-docker skopeo umoci \
    clang-format clang libclang-rt-14-dev \
    procps iproute2 tar gzip xz-utils zstd >/dev/null

# The tests drive berthd with the docker CLI too. Debian ships it only in
# docker.io, with dockerd: install it without letting it start a daemon
# (policy-rc.d forbids service starts during the install).
if ! command -v docker >/dev/null; then
    made_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    apt-get install -y -qq --no-install-recommends docker.io >/dev/null
    [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
    # nor at the next boot: berth's tests need only its CLI
    if command -v systemctl >/dev/null; then
        systemctl disable docker.service docker.socket >/dev/null 2>&1 || true
    fi
fi

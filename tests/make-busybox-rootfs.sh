#!/bin/sh
# Writes a small root filesystem tarball built from Debian's busybox-static:
# /bin/busybox with its applets as symlinks, /etc/passwd and /etc/group with
# root, nobody and a test user (uid 1000), and the usual empty directories.
# Usage: make-busybox-rootfs.sh OUT.tar
set -eu
out=${1:?usage: $0 OUT.tar}
bb=/bin/busybox
[ -x "$bb" ] || { echo "busybox-static is not installed ($bb)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/root" "$dir/home/tester" "$dir/proc" \
         "$dir/sys" "$dir/dev" "$dir/var" "$dir/usr/bin" "$dir/usr/sbin" "$dir/sbin"
cp "$bb" "$dir/bin/busybox"
for applet in $("$bb" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$dir/bin/$applet"
done
cat > "$dir/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/bin/sh
tester:x:1000:1000:tester:/home/tester:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$dir/etc/group" <<GROUP
root:x:0:
tester:x:1000:
extra:x:1001:tester
nogroup:x:65534:
GROUP
chmod 755 "$dir"
chmod 1777 "$dir/tmp"
chown 1000:1000 "$dir/home/tester"
tar --numeric-owner --sort=name --mtime=2024-01-01 -C "$dir" -cf "$out" .

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# make install DESTDIR=... lays files out where Debian's corosync-qnetd
# has them (dpkg -L corosync-qnetd, when installed), with sane modes; make
# uninstall takes them away again and leaves the admin's files.

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

for p in corosync-qnetd corosync-qnetd-tool corosync-qnetd-certutil \
    corosync-qnetd-enroll corosync-qnetd-join; do
	[ -x "$top/$BUILD/$p" ] || [ -x "$BUILD/$p" ] || skip "$BUILD/$p not built (run make)"
done
T=$(mktemp -d /tmp/qnetd-install.XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 2' INT TERM
D=$T/root

make -s -C "$top" install DESTDIR="$D" BUILD="$BUILD" > "$T/install.log" 2>&1 ||
    { cat "$T/install.log"; fail "make install"; }

# mode path
while read -r mode path; do
	[ -e "$D$path" ] || fail "$path not installed"
	m=$(stat -c %a "$D$path")
	[ "$m" = "$mode" ] || fail "$path has mode $m, expected $mode"
done <<'EOF'
755 /usr/bin/corosync-qnetd
755 /usr/bin/corosync-qnetd-tool
755 /usr/bin/corosync-qnetd-certutil
755 /usr/bin/corosync-qnetd-enroll
755 /usr/bin/corosync-qnetd-join
644 /usr/share/man/man8/corosync-qnetd-enroll.8
644 /usr/share/man/man8/corosync-qnetd-join.8
644 /lib/systemd/system/corosync-qnetd-enroll.service
644 /etc/default/corosync-qnetd-enroll
755 /usr/libexec/corosync-qnetd/corosync-qnetd-ca
644 /usr/share/man/man8/corosync-qnetd.8
644 /usr/share/man/man8/corosync-qnetd-tool.8
644 /usr/share/man/man8/corosync-qnetd-certutil.8
644 /lib/systemd/system/corosync-qnetd.service
644 /etc/default/corosync-qnetd
644 /usr/lib/sysusers.d/corosync-qnetd.conf
644 /usr/lib/tmpfiles.d/corosync-qnetd.conf
755 /etc/corosync/qnetd
EOF
# The certutil got its configuration directory substituted.
grep -q '@SYSCONFDIR@' "$D/usr/bin/corosync-qnetd-certutil" &&
    fail "certutil still holds @SYSCONFDIR@"
grep -q '/etc/corosync/qnetd}' "$D/usr/bin/corosync-qnetd-certutil" ||
    fail "certutil does not default to /etc/corosync/qnetd"
grep -q '@HELPERDIR@' "$D/usr/bin/corosync-qnetd-certutil" &&
    fail "certutil still holds @HELPERDIR@"
grep -q 'CA_HELPER=/usr/libexec/corosync-qnetd/corosync-qnetd-ca' \
    "$D/usr/bin/corosync-qnetd-certutil" || fail "certutil does not find the installed helper"

# Everything Debian's package ships, except its SysV script and docs.
if dpkg -L corosync-qnetd > "$T/debian.list" 2> /dev/null; then
	while read -r path; do
		case $path in
		/. | /etc/init.d* | /usr/share/doc* ) continue ;;
		esac
		# Debian gzips its man pages.
		path=${path%.gz}
		[ -e "$D$path" ] || fail "Debian ships $path, make install does not"
	done < "$T/debian.list"
else
	echo "corosync-qnetd not installed here: layout not compared with Debian's"
fi

# An admin's options file survives a reinstall.
echo 'COROSYNC_QNETD_OPTIONS="-s req"' > "$D/etc/default/corosync-qnetd"
make -s -C "$top" install DESTDIR="$D" BUILD="$BUILD" > "$T/install2.log" 2>&1 ||
    { cat "$T/install2.log"; fail "second make install"; }
grep -q -- '-s req' "$D/etc/default/corosync-qnetd" ||
    fail "make install overwrote /etc/default/corosync-qnetd"

make -s -C "$top" uninstall DESTDIR="$D" BUILD="$BUILD" > "$T/uninstall.log" 2>&1 ||
    { cat "$T/uninstall.log"; fail "make uninstall"; }
left=$(cd "$D" && find . -type f | sort | tr '\n' ' ')
[ "$left" = "./etc/default/corosync-qnetd ./etc/default/corosync-qnetd-enroll " ] ||
    fail "make uninstall left: $left"
echo "install layout passes"
exit 0

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Upgrades in place and switches between Debian's corosync-qnetd and ours,
# under connected clusters, in a throw-away copy of this machine booted
# with systemd (the approach of test_deb.sh: an overlay over / in private
# namespaces, then systemd-nspawn --boot).  Debian's package is installed
# and its service runs; clusters are enrolled the pvecm way and their
# nodes (simulated qdevices with real TLS, tests/blackbox/upgrade_fleet.py)
# stay connected while the packages change under them:
# Debian's -> ours (OLD) -> ours (NEW, a second build with a higher
# version) -> Debian's, then purges.  upgrade_driver.py checks and
# measures each step; the figures are printed as FIGURE: lines
# (docs/admin.md, "Upgrading", records them).
#
# Slow (two package builds, a container boot): only with
# QNETD_SLOW_TESTS=1.  QNETD_DEB=path.deb is used as OLD instead of a
# build; QNETD_DEBIAN_DEB=path.deb is Debian's corosync-qnetd (default:
# apt's cache, else apt-get download).

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

if [ "${1:-}" != inner ]; then
	[ "${QNETD_SLOW_TESTS:-0}" = 1 ] ||
	    skip "slow package test; set QNETD_SLOW_TESTS=1 to run it"
	[ "$(id -u)" = 0 ] || skip "needs root (namespaces, chroot, dpkg)"
	for t in unshare chroot dpkg ip systemd-nspawn nsenter python3 \
	    dpkg-buildpackage dh corosync-qdevice-net-certutil certutil openssl; do
		command -v "$t" > /dev/null 2>&1 || skip "$t not installed"
	done
	unshare --mount --pid --net --fork true 2> /dev/null ||
	    skip "unshare of mount/pid/net namespaces not permitted here"
	grep -qw overlay /proc/filesystems ||
	    modprobe overlay 2> /dev/null ||
	    skip "no overlay file system"
	T=$(mktemp -d /tmp/qnetd-upgrade.XXXXXX) || exit 2
	trap 'rm -rf "$T"' EXIT
	trap 'exit 2' INT TERM
	export T

	deb=${QNETD_DEBIAN_DEB:-}
	if [ -z "$deb" ]; then
		for f in /var/cache/apt/archives/corosync-qnetd_*.deb; do
			[ -f "$f" ] && deb=$f
		done
	fi
	if [ -z "$deb" ]; then
		(cd "$T" && apt-get download corosync-qnetd > /dev/null 2>&1)
		for f in "$T"/corosync-qnetd_*.deb; do
			[ -f "$f" ] && deb=$f
		done
	fi
	[ -n "$deb" ] || skip "no corosync-qnetd .deb (apt cache, apt-get download)"
	cp "$deb" "$T/debian.deb" || fail "cannot copy $deb"

	build() {	# build DIR [DEB_VERSION]
		echo "building the package ${2:-} (log: $T/$1.log)"
		make -C "$top" deb BUILD="$T/$1" ${2:+DEB_VERSION=$2} \
		    > "$T/$1.log" 2>&1 || {
			tail -n 30 "$T/$1.log"
			fail "make deb failed"
		}
		set -- "$T/$1"/deb/qnetd_*.deb
		[ $# = 1 ] && [ -f "$1" ] || fail "make deb made no single qnetd_*.deb"
		echo "$1"
	}
	if [ -n "${QNETD_DEB:-}" ]; then
		cp "$QNETD_DEB" "$T/old.deb" || fail "no $QNETD_DEB"
	else
		f=$(build b1) || { echo "$f"; exit 1; }
		cp "$(echo "$f" | tail -n 1)" "$T/old.deb"
	fi
	v1=$(dpkg-deb -f "$T/old.deb" Version)
	f=$(build b2 "$v1+upgrade1") || { echo "$f"; exit 1; }
	cp "$(echo "$f" | tail -n 1)" "$T/new.deb"
	v2=$(dpkg-deb -f "$T/new.deb" Version)
	dpkg --compare-versions "$v2" gt "$v1" || fail "$v2 is not newer than $v1"
	echo "Debian's $(dpkg-deb -f "$T/debian.deb" Version), ours $v1 and $v2"

	# At most 10 minutes, whatever hangs.
	timeout -k 10 600 unshare --mount --pid --net --fork --mount-proc \
	    --propagation private sh "$0" inner
	exit $?
fi

# ---- in the namespaces: the throw-away root -------------------------------
. "$top/tests/lib/throwaway.sh"
throwaway_root qnetd-upgrade-test

# Start from Debian's package alone, installed and configured (its
# postinst made the user and the database, or this machine's are kept).
# A policy-rc.d (container images have one that denies everything) would
# keep the maintainer scripts from stopping and starting the service, as
# they do on a real host.
cp "$T/debian.deb" "$R/tmp/debian.deb"
chroot "$R" sh -c '
	rm -f /usr/sbin/policy-rc.d
	dpkg --purge qnetd > /dev/null 2>&1
	[ "$(dpkg-query -W -f="\${Status}" corosync-qnetd 2>/dev/null)" = \
	    "install ok installed" ] || dpkg -i /tmp/debian.deb' \
    > "$T/prep.log" 2>&1 || { cat "$T/prep.log"; fail "installing Debian's package"; }
cat > "$R/etc/systemd/system/qnetd-test.target" <<'UNIT'
[Unit]
Description=qnetd upgrade test
Requires=basic.target
Wants=corosync-qnetd.service
After=basic.target corosync-qnetd.service
AllowIsolate=yes
UNIT
Q=$R/srv/qt
mkdir -p "$Q/tests/blackbox"
cp -r "$top/tests/lib" "$Q/tests/lib"
cp "$top/tests/blackbox/upgrade_fleet.py" "$top/tests/blackbox/upgrade_driver.py" \
    "$Q/tests/blackbox/"
cp "$T/debian.deb" "$T/old.deb" "$T/new.deb" "$Q/"

throwaway_boot
trap 'kill "$npid" 2> /dev/null; wait "$npid" 2> /dev/null' EXIT
throwaway_wait_active corosync-qnetd.service "Debian's corosync-qnetd.service in the container"

in_ct env PATH=/usr/sbin:/usr/bin:/sbin:/bin /usr/bin/python3 \
    /srv/qt/tests/blackbox/upgrade_driver.py /srv/qt/debian.deb \
    /srv/qt/old.deb /srv/qt/new.deb /srv/qt/figures.txt
rc=$?
if [ $rc != 0 ]; then
	in_ct journalctl --no-pager -b -u corosync-qnetd.service | tail -n 40
	fail "upgrade driver exit $rc"
fi
echo "figures:"
cat "$Q/figures.txt"
exit 0

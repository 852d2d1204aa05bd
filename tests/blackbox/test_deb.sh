#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The Debian package, end to end: make deb builds it; then, in a
# throw-away copy of this machine, it is installed over Debian's
# corosync-qnetd, the installed daemon is run as coroqnetd and queried
# with the installed tool, the package is purged, installed fresh (user
# and NSS database created by postinst), used to sign a cluster
# certificate, removed and purged (the database with an issued
# certificate must survive).  Last, if systemd-nspawn is installed, the
# copy is booted with systemd as PID 1 and the packaged, sandboxed
# corosync-qnetd.service must come up (Type=notify), answer the installed
# tool and stop cleanly.
#
# The copy: a private mount, PID and network namespace in which an
# overlay file system, with this machine's / as its read-only lower
# layer and a tmpfs as its upper layer, becomes the root (chroot).
# dpkg's changes land in the tmpfs and vanish with the namespace; the
# host's packages, /etc and running processes are never touched.
#
# Slow (a package build): runs only with QNETD_SLOW_TESTS=1.
# QNETD_DEB=path.deb tests that package instead of building one.

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

if [ "${1:-}" != inner ]; then
	[ "${QNETD_SLOW_TESTS:-0}" = 1 ] ||
	    skip "slow package test; set QNETD_SLOW_TESTS=1 to run it"
	[ "$(id -u)" = 0 ] || skip "needs root (namespaces, chroot, dpkg)"
	for t in unshare chroot dpkg setpriv ip; do
		command -v "$t" > /dev/null 2>&1 || skip "$t not installed"
	done
	unshare --mount --pid --net --fork true 2> /dev/null ||
	    skip "unshare of mount/pid/net namespaces not permitted here"
	grep -qw overlay /proc/filesystems ||
	    modprobe overlay 2> /dev/null ||
	    skip "no overlay file system"
	T=$(mktemp -d /tmp/qnetd-deb.XXXXXX) || exit 2
	trap 'rm -rf "$T"' EXIT
	trap 'exit 2' INT TERM
	export T

	if [ -n "${QNETD_DEB:-}" ]; then
		cp "$QNETD_DEB" "$T/qnetd.deb" || fail "no $QNETD_DEB"
	else
		command -v dpkg-buildpackage > /dev/null 2>&1 ||
		    skip "dpkg-dev not installed"
		command -v dh > /dev/null 2>&1 || skip "debhelper not installed"
		echo "building the package (log: $T/build.log)"
		make -C "$top" deb BUILD="$T/build" > "$T/build.log" 2>&1 || {
			tail -n 30 "$T/build.log"
			fail "make deb failed"
		}
		set -- "$T"/build/deb/qnetd_*.deb
		[ $# = 1 ] && [ -f "$1" ] || fail "make deb made no single qnetd_*.deb"
		cp "$1" "$T/qnetd.deb"
	fi
	dpkg-deb -f "$T/qnetd.deb" Package Provides Conflicts Replaces > "$T/fields"
	for want in 'Package: qnetd' 'Provides: corosync-qnetd (= 3.0.3)' \
	    'Conflicts: corosync-qnetd' 'Replaces: corosync-qnetd'; do
		grep -qxF "$want" "$T/fields" || fail "control lacks '$want'"
	done
	dpkg-deb -f "$T/qnetd.deb" Depends | grep -q libnss3-tools ||
	    fail "package does not depend on libnss3-tools"

	unshare --mount --pid --net --fork --mount-proc --propagation private \
	    sh "$0" inner
	exit $?
fi

# ---- in the namespaces: make the throw-away root --------------------------
. "$top/tests/lib/throwaway.sh"
throwaway_root qnetd-deb-test
cp "$T/qnetd.deb" "$R/tmp/qnetd.deb"

cat > "$R/tmp/steps.sh" <<'EOF'
set -u
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "--- $*"; }
DB=/etc/corosync/qnetd/nssdb
daemon_pid=
trap '[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null' EXIT

status_of() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null; }

ours_installed() {
	[ "$(status_of qnetd)" = "install ok installed" ] || fail "qnetd not installed"
	for f in /usr/bin/corosync-qnetd /usr/bin/corosync-qnetd-tool \
	    /usr/bin/corosync-qnetd-certutil /lib/systemd/system/corosync-qnetd.service \
	    /etc/default/corosync-qnetd /usr/share/man/man8/corosync-qnetd.8.gz \
	    /usr/bin/corosync-qnetd-enroll /usr/bin/corosync-qnetd-join \
	    /lib/systemd/system/corosync-qnetd-enroll.service \
	    /etc/default/corosync-qnetd-enroll \
	    /usr/share/man/man8/corosync-qnetd-enroll.8.gz \
	    /usr/share/man/man8/corosync-qnetd-join.8.gz; do
		[ -e "$f" ] || fail "$f not installed"
	done
	# The enrollment service is opt-in: installed, never enabled.
	[ -e /etc/systemd/system/multi-user.target.wants/corosync-qnetd-enroll.service ] &&
	    fail "corosync-qnetd-enroll.service enabled by the package"
	grep -q QNETD_CONFIG_DIR /usr/bin/corosync-qnetd-certutil ||
	    fail "corosync-qnetd-certutil is not ours"
}

# Start the installed daemon as coroqnetd with its default paths and
# port (this namespace has its own network), query it, stop it.
run_daemon() {
	[ -d /run/corosync-qnetd ] || mkdir -m 0770 /run/corosync-qnetd
	chown coroqnetd:coroqnetd /run/corosync-qnetd
	setpriv --reuid=coroqnetd --regid=coroqnetd --init-groups \
	    /usr/bin/corosync-qnetd -f > /tmp/qnetd.log 2>&1 &
	daemon_pid=$!
	i=0
	until [ -S /run/corosync-qnetd/corosync-qnetd.sock ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
			cat /tmp/qnetd.log
			fail "installed daemon did not start as coroqnetd"
		fi
		sleep 0.1
	done
	corosync-qnetd-tool -s > /tmp/status.txt 2>&1 ||
	    { cat /tmp/status.txt; fail "corosync-qnetd-tool -s"; }
	grep -qxF "$(printf 'QNetd address:\t\t\t*:5403')" /tmp/status.txt ||
	    { cat /tmp/status.txt; fail "status: address"; }
	grep -qxF "$(printf 'TLS:\t\t\t\tSupported (client certificate required)')" \
	    /tmp/status.txt ||
	    { cat /tmp/status.txt; fail "status: TLS not loaded from the db"; }
	owner=$(stat -c %U /run/corosync-qnetd/corosync-qnetd.pid)
	[ "$owner" = coroqnetd ] || fail "daemon not running as coroqnetd ($owner)"
	corosync-qnetd-tool -l > /tmp/list.txt 2>&1 || fail "corosync-qnetd-tool -l"
	corosync-qnetd-tool -H > /dev/null 2>&1 || fail "corosync-qnetd-tool -H"
	wait "$daemon_pid"
	rc=$?
	daemon_pid=
	[ "$rc" = 0 ] || fail "daemon exited $rc after -H"
	corosync-qnetd-tool -s > /dev/null 2>&1
	[ $? = 3 ] || fail "tool does not report 3 for a stopped daemon"
}

step "A. install over Debian's corosync-qnetd"
if [ "$(status_of corosync-qnetd)" = "install ok installed" ]; then
	[ -f "$DB/cert9.db" ] || fail "Debian's db missing in the copy"
	before=$(md5sum "$DB/cert9.db" "$DB/key4.db")
	dpkg -i /tmp/qnetd.deb > /tmp/dpkg-a.log 2>&1 ||
	    { cat /tmp/dpkg-a.log; fail "dpkg -i over corosync-qnetd"; }
	# dpkg removed it (not purged: its conffiles and purge script stay).
	case $(status_of corosync-qnetd) in
	*" ok config-files") ;;
	*) fail "corosync-qnetd is '$(status_of corosync-qnetd)' after dpkg -i" ;;
	esac
	ours_installed
	[ "$(md5sum "$DB/cert9.db" "$DB/key4.db")" = "$before" ] ||
	    fail "postinst touched the existing database"
	run_daemon
	dpkg --purge qnetd > /tmp/dpkg-a2.log 2>&1 ||
	    { cat /tmp/dpkg-a2.log; fail "purge"; }
	# Debian's conffiles may remain; clear them for part B.
	dpkg --purge corosync-qnetd > /dev/null 2>&1
else
	echo "corosync-qnetd not installed here: part A skipped"
fi

step "B. fresh install: user and database made by postinst"
[ -e /usr/bin/corosync-qnetd ] && fail "purge left /usr/bin/corosync-qnetd"
[ -e "$DB" ] && fail "purge left $DB without issued certificates"
getent passwd coroqnetd > /dev/null && fail "purge left user coroqnetd"
dpkg -i /tmp/qnetd.deb > /tmp/dpkg-b.log 2>&1 ||
    { cat /tmp/dpkg-b.log; fail "fresh dpkg -i"; }
ours_installed
getent passwd coroqnetd | grep -q ':/etc/corosync/qnetd:' ||
    fail "user coroqnetd: $(getent passwd coroqnetd)"
[ "$(stat -c '%a %U %G' "$DB")" = "750 root coroqnetd" ] ||
    fail "nssdb is $(stat -c '%a %U %G' "$DB"), Debian has 750 root coroqnetd"
for f in cert9.db key4.db; do
	[ "$(stat -c '%a %U %G' "$DB/$f")" = "640 root coroqnetd" ] ||
	    fail "$f is $(stat -c '%a %U %G' "$DB/$f")"
done
[ "$(cat "$DB/serial.txt")" = 102 ] || fail "serial.txt"
certutil -L -d "$DB" | grep -qE '^QNetd Cert +u,u,u$' || fail "no server cert"
run_daemon

step "C. sign a cluster certificate with the installed certutil"
corosync-qdevice-net-certutil -i -c "$DB/qnetd-cacert.crt" > /dev/null 2>&1 ||
    fail "node -i"
corosync-qdevice-net-certutil -r -n debcl > /dev/null 2>&1 || fail "node -r"
corosync-qnetd-certutil -s -c /etc/corosync/qdevice/net/nssdb/qdevice-net-node.crq \
    -n debcl > /tmp/sign.txt 2>&1 || { cat /tmp/sign.txt; fail "sign"; }
grep -qx "Certificate stored in $DB/cluster-debcl.crt" /tmp/sign.txt || fail "sign output"

step "D. remove, then purge: the db with an issued certificate stays"
dpkg -r qnetd > /tmp/dpkg-d.log 2>&1 || { cat /tmp/dpkg-d.log; fail "dpkg -r"; }
[ -e /usr/bin/corosync-qnetd ] && fail "remove left the daemon"
[ -e /etc/default/corosync-qnetd ] || fail "remove deleted the conffile"
[ -f "$DB/cert9.db" ] || fail "remove deleted the db"
dpkg --purge qnetd > /tmp/dpkg-d2.log 2>&1 || { cat /tmp/dpkg-d2.log; fail "purge"; }
[ -n "$(status_of qnetd)" ] && [ "$(status_of qnetd)" != "unknown ok not-installed" ] &&
    fail "qnetd still known to dpkg: $(status_of qnetd)"
[ -e /etc/default/corosync-qnetd ] && fail "purge left /etc/default/corosync-qnetd"
[ -f "$DB/cluster-debcl.crt" ] && [ -f "$DB/cert9.db" ] ||
    fail "purge deleted a db holding an issued certificate"
grep -q "keeping $DB" /tmp/dpkg-d2.log || fail "purge did not say it kept the db"
getent group coroqnetd > /dev/null || fail "purge removed the group owning the kept db"
echo "package lifecycle passed"
EOF
chroot "$R" sh /tmp/steps.sh || exit 1

# ---- E. the packaged unit under a real systemd ------------------------------
if ! command -v systemd-nspawn > /dev/null 2>&1; then
	echo "systemd-nspawn not installed (systemd-container): unit not booted"
	exit 0
fi
echo "--- E. boot the copy with systemd, start corosync-qnetd.service"
chroot "$R" dpkg -i /tmp/qnetd.deb > "$T/dpkg-e.log" 2>&1 ||
    { cat "$T/dpkg-e.log"; fail "dpkg -i for the boot"; }
# Boot into a target holding only our service and what it needs, not
# whatever else this machine runs (corosync, databases, ...).
cat > "$R/etc/systemd/system/qnetd-test.target" <<'UNIT'
[Unit]
Description=qnetd package test
Requires=basic.target corosync-qnetd.service
After=basic.target corosync-qnetd.service
AllowIsolate=yes
UNIT
throwaway_boot
throwaway_wait_active corosync-qnetd.service "corosync-qnetd.service under systemd"
in_ct corosync-qnetd-tool -s > "$T/ct-status.txt" 2>&1 ||
    { cat "$T/ct-status.txt"; fail "tool -s against the service"; }
grep -q "Supported (client certificate required)" "$T/ct-status.txt" ||
    fail "service runs without its NSS db: $(cat "$T/ct-status.txt")"
user=$(in_ct systemctl show -p MainPID --value corosync-qnetd.service)
user=$(in_ct ps -o user= -p "$user")
[ "$user" = coroqnetd ] || fail "service runs as '$user'"

# The opt-in enrollment service: the one-time set-up of
# corosync-qnetd-enroll(8), then the sandboxed unit must come up as
# coroqnetd and sign for a token (the join script runs in the same copy).
echo "--- F. corosync-qnetd-enroll.service: set-up as documented, a token enrols"
[ "$(in_ct systemctl is-enabled corosync-qnetd-enroll.service 2> /dev/null)" = disabled ] ||
    fail "corosync-qnetd-enroll.service is not installed disabled"
in_ct sh -ec 'cd /etc/corosync/qnetd/nssdb
	chgrp coroqnetd . cert9.db key4.db serial.txt
	chmod g+rw . cert9.db key4.db serial.txt' || fail "set-up commands of the man page"
if ! in_ct systemctl start corosync-qnetd-enroll.service; then
	in_ct journalctl --no-pager -b -u corosync-qnetd-enroll.service | tail -n 20
	fail "corosync-qnetd-enroll.service did not start"
fi
pid=$(in_ct systemctl show -p MainPID --value corosync-qnetd-enroll.service)
[ "$(in_ct ps -o user= -p "$pid")" = coroqnetd ] || fail "enrollment service not coroqnetd"
in_ct corosync-qnetd-certutil -t -n debenrol -a 127.0.0.1 > "$T/token.out" 2>&1 ||
    { cat "$T/token.out"; fail "certutil -t"; }
ca=$(grep -Eo -- '-C [0-9a-f]{64}' "$T/token.out" | sed 's/^-C //')
pin=$(grep -Eo -- '-P sha256//[A-Za-z0-9+/=]+' "$T/token.out" | sed 's/^-P //')
grep -Eo '[0-9a-f]{16}[.][A-Za-z0-9_-]{43}' "$T/token.out" > "$T/token"
in_ct corosync-qnetd-join -a 127.0.0.1 -C "$ca" -P "$pin" -n debenrol < "$T/token" \
    > "$T/join.out" 2>&1 || {
	cat "$T/join.out"
	in_ct journalctl --no-pager -b -u corosync-qnetd-enroll.service | tail -n 20
	fail "corosync-qnetd-join against the packaged service"
}
in_ct test -f /etc/corosync/qdevice/net/nssdb/qdevice-net-node.p12 || fail "no .p12 on the node"
in_ct corosync-qnetd-certutil -l | grep -q debenrol || fail "registry lacks debenrol"
in_ct systemctl stop corosync-qnetd-enroll.service
res=$(in_ct systemctl show -p Result --value corosync-qnetd-enroll.service)
[ "$res" = success ] || fail "enrollment service stop result '$res'"
echo "packaged enrollment service enrols under systemd"

in_ct systemctl stop corosync-qnetd.service
res=$(in_ct systemctl show -p Result --value corosync-qnetd.service)
[ "$res" = success ] || fail "service stop result '$res'"
kill "$npid" 2> /dev/null
wait "$npid"
echo "packaged unit starts and stops under systemd"

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The systemd files in systemd/: the unit passes systemd-analyze verify
# without a word, keeps the contract tools and admins rely on (name,
# options file, ExecStart, user, runtime directory), is sandboxed (offline
# security score), and the sysusers/tmpfiles/default files do what they
# say when applied to a scratch root.
#
# The unit is checked statically: starting it needs systemd as PID 1.

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
S=$top/systemd

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

command -v systemd-analyze > /dev/null 2>&1 ||
    skip "systemd-analyze not installed (apt-get install systemd)"
for f in corosync-qnetd.service corosync-qnetd.default \
    corosync-qnetd.sysusers corosync-qnetd.tmpfiles; do
	[ -f "$S/$f" ] || fail "systemd/$f missing"
done

T=$(mktemp -d /tmp/qnetd-systemd.XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 2' INT TERM

# verify insists that ExecStart exists.  Where no corosync-qnetd is
# installed, check a copy that points at a stand-in instead.
U=$T/corosync-qnetd.service
if [ -x /usr/bin/corosync-qnetd ]; then
	cp "$S/corosync-qnetd.service" "$U"
else
	printf '#!/bin/sh\n' > "$T/corosync-qnetd" && chmod 755 "$T/corosync-qnetd"
	sed "s|^ExecStart=/usr/bin/corosync-qnetd |ExecStart=$T/corosync-qnetd |" \
	    "$S/corosync-qnetd.service" > "$U"
fi
out=$(systemd-analyze verify "$U" 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "systemd-analyze verify exit $rc: $out"
[ -z "$out" ] || fail "systemd-analyze verify is not silent: $out"

# The drop-in contract (Debian's unit, operators.md section 2).
for line in 'Type=notify' 'User=coroqnetd' \
    'EnvironmentFile=-/etc/default/corosync-qnetd' \
    'ExecStart=/usr/bin/corosync-qnetd -f $COROSYNC_QNETD_OPTIONS' \
    'RuntimeDirectory=corosync-qnetd' 'RuntimeDirectoryMode=0770' \
    'StateDirectory=corosync-qnetd' 'StateDirectoryMode=0700' \
    'ConditionKernelCommandLine=!nocluster' 'WantedBy=multi-user.target' \
    'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' \
    'PrivateTmp=yes' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
    'SystemCallFilter=@system-service'; do
	grep -qxF "$line" "$S/corosync-qnetd.service" || fail "unit lacks: $line"
done
# Enough descriptors for 100,000 clients.
nofile=$(sed -n 's/^LimitNOFILE=//p' "$S/corosync-qnetd.service")
[ -n "$nofile" ] && [ "$nofile" -ge 100100 ] || fail "LimitNOFILE=$nofile too low"
# Every directive is explained: the line before each one is a comment or
# a directive of the same commented group.
awk '/^[A-Za-z]+=/ { if (prev !~ /^#/ && prev !~ /^[A-Za-z]+=/) {
	print FILENAME ":" NR ": uncommented " $0; bad = 1 } }
    { prev = $0 } END { exit bad }' "$S/corosync-qnetd.service" ||
    fail "directive without a comment"

# Sandboxing: systemd's own exposure score, 0 (best) .. 10, must stay
# at or below 2.0 ("OK").
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
	systemd-analyze security --offline=true --threshold=20 "$U" \
	    > "$T/security.txt" 2>&1 || {
		tail -n 5 "$T/security.txt"
		fail "exposure level above 2.0"
	}
	tail -n 1 "$T/security.txt"
else
	echo "systemd-analyze security --offline unsupported, score not checked"
fi

# The enrollment service's unit: verify (man pages may not be installed
# here, so not looked up), the contract of corosync-qnetd-enroll(8), the
# same sandbox and score as the daemon's, and every directive explained.
E=$T/corosync-qnetd-enroll.service
printf '#!/bin/sh\n' > "$T/corosync-qnetd-enroll" && chmod 755 "$T/corosync-qnetd-enroll"
sed "s|^ExecStart=/usr/bin/corosync-qnetd-enroll |ExecStart=$T/corosync-qnetd-enroll |" \
    "$S/corosync-qnetd-enroll.service" > "$E"
out=$(systemd-analyze verify --man=no "$E" 2>&1)
rc=$?
[ "$rc" = 0 ] && [ -z "$out" ] || fail "enroll unit: systemd-analyze verify exit $rc: $out"
for line in 'Type=notify' 'User=coroqnetd' 'Group=coroqnetd' \
    'EnvironmentFile=-/etc/default/corosync-qnetd-enroll' \
    'ExecStart=/usr/bin/corosync-qnetd-enroll -f $COROSYNC_QNETD_ENROLL_OPTIONS' \
    'StateDirectory=corosync-qnetd' 'StateDirectoryMode=0700' \
    'ReadWritePaths=/etc/corosync/qnetd/nssdb' \
    'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' \
    'PrivateTmp=yes' 'CapabilityBoundingSet=' 'MemoryDenyWriteExecute=yes' \
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
    'SystemCallFilter=@system-service' 'WantedBy=multi-user.target'; do
	grep -qxF "$line" "$S/corosync-qnetd-enroll.service" || fail "enroll unit lacks: $line"
done
awk '/^[A-Za-z]+=/ { if (prev !~ /^#/ && prev !~ /^[A-Za-z]+=/) {
	print FILENAME ":" NR ": uncommented " $0; bad = 1 } }
    { prev = $0 } END { exit bad }' "$S/corosync-qnetd-enroll.service" ||
    fail "enroll unit: directive without a comment"
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
	systemd-analyze security --offline=true --threshold=20 "$E" \
	    > "$T/security-enroll.txt" 2>&1 || {
		tail -n 5 "$T/security-enroll.txt"
		fail "enroll unit: exposure level above 2.0"
	}
	tail -n 1 "$T/security-enroll.txt"
fi
sh -n "$S/corosync-qnetd-enroll.default" || fail "enroll default file is not valid sh"
opts=$(COROSYNC_QNETD_ENROLL_OPTIONS="unset"; . "$S/corosync-qnetd-enroll.default" &&
    printf '%s' "$COROSYNC_QNETD_ENROLL_OPTIONS") || fail "enroll default file fails"
[ -z "$opts" ] || fail "default COROSYNC_QNETD_ENROLL_OPTIONS is '$opts'"

# sysusers and tmpfiles, applied to a scratch root.
R=$T/root
mkdir -p "$R/etc" "$R/usr/lib/sysusers.d" "$R/usr/lib/tmpfiles.d"
: > "$R/etc/passwd"
: > "$R/etc/group"
cp "$S/corosync-qnetd.sysusers" "$R/usr/lib/sysusers.d/corosync-qnetd.conf"
cp "$S/corosync-qnetd.tmpfiles" "$R/usr/lib/tmpfiles.d/corosync-qnetd.conf"
if command -v systemd-sysusers > /dev/null 2>&1; then
	systemd-sysusers --root="$R" > "$T/sysusers.log" 2>&1 ||
	    { cat "$T/sysusers.log"; fail "systemd-sysusers"; }
	grep -qE '^coroqnetd:x:[0-9]+:[0-9]+:[^:]*:/etc/corosync/qnetd:/usr/sbin/nologin$' \
	    "$R/etc/passwd" || fail "sysusers made: $(cat "$R/etc/passwd")"
	grep -q '^coroqnetd:x:' "$R/etc/group" || fail "sysusers made no group"
	if command -v systemd-tmpfiles > /dev/null 2>&1; then
		systemd-tmpfiles --root="$R" --create > "$T/tmpfiles.log" 2>&1 ||
		    { cat "$T/tmpfiles.log"; fail "systemd-tmpfiles"; }
		uid=$(sed -n 's/^coroqnetd:x:\([0-9]*\):.*/\1/p' "$R/etc/passwd")
		st=$(stat -c '%a %u' "$R/run/corosync-qnetd") ||
		    fail "tmpfiles made no /run/corosync-qnetd"
		[ "$st" = "770 $uid" ] || fail "/run/corosync-qnetd is '$st'"
		st=$(stat -c '%a %u' "$R/var/lib/corosync-qnetd") ||
		    fail "tmpfiles made no /var/lib/corosync-qnetd"
		[ "$st" = "700 $uid" ] || fail "/var/lib/corosync-qnetd is '$st'"
	fi
else
	echo "systemd-sysusers not installed, sysusers/tmpfiles not applied"
fi

# The options file is plain sh assignments; the default adds no options.
sh -n "$S/corosync-qnetd.default" || fail "default file is not valid sh"
opts=$(COROSYNC_QNETD_OPTIONS="unset"; . "$S/corosync-qnetd.default" &&
    printf '%s' "$COROSYNC_QNETD_OPTIONS") || fail "default file fails"
[ -z "$opts" ] || fail "default COROSYNC_QNETD_OPTIONS is '$opts'"
echo "systemd files pass"
exit 0

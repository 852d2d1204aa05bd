#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Man pages: mandoc -Tlint -Wstyle is silent; each SYNOPSIS equals the
# program's usage text (from the built program's -h when it exists, else
# the upstream usage the program must print); every option of the usage
# has an entry; every -S key is documented with its default.

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD="$top/$BUILD" ;; esac
QNETD_BIN=${QNETD_BIN:-$BUILD/corosync-qnetd}
TOOL_BIN=${TOOL_BIN:-$BUILD/corosync-qnetd-tool}
CERTUTIL=${CERTUTIL:-$BUILD/corosync-qnetd-certutil}
M=$top/man

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

command -v mandoc > /dev/null 2>&1 || skip "mandoc not installed (apt-get install mandoc)"
T=$(mktemp -d /tmp/qnetd-man.XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 2' INT TERM

for p in corosync-qnetd corosync-qnetd-tool corosync-qnetd-certutil \
    corosync-qnetd-enroll corosync-qnetd-join; do
	[ -f "$M/$p.8" ] || fail "man/$p.8 missing"
	out=$(mandoc -Tlint -Wstyle "$M/$p.8" 2>&1)
	[ -z "$out" ] || fail "mandoc -Tlint: $out"
	if command -v groff > /dev/null 2>&1; then
		out=$(groff -ww -z -man "$M/$p.8" 2>&1)
		[ -z "$out" ] || fail "groff -ww: $out"
	fi
	# plain text, one paragraph per line, no overstrike
	mandoc -Tascii -Owidth=1000 "$M/$p.8" | sed 's/.\x08//g' > "$T/$p.txt"
done

# section NAME FILE: the lines of one section
section() {
	awk -v s="$1" '/^[A-Z]/ { on = ($0 == s); next } on' "$2"
}

squeeze() { tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'; }

# usage text: first line of the program's -h (stdout or stderr),
# continuation lines joined, "usage: " dropped
usage_of() {
	bin=$1
	ref=$2
	if [ -x "$bin" ]; then
		"$bin" -h > "$T/h" 2>&1
		sed 's/^usage: //' "$T/h" | squeeze
	else
		echo "$ref"
	fi
}

check_synopsis() {
	page=$1
	want=$2
	got=$(section SYNOPSIS "$T/$page.txt" | squeeze)
	[ "$got" = "$want" ] || fail "$page SYNOPSIS '$got' != usage '$want'"
}

# Every option letter in a usage string has its own entry in OPTIONS.
check_options() {
	page=$1
	letters=$2
	section OPTIONS "$T/$page.txt" > "$T/opts"
	for l in $(echo "$letters" | sed 's/./& /g'); do
		grep -qE "^       -$l( |\$)" "$T/opts" || fail "$page: no entry for -$l"
	done
}

check_exit_status() {
	section "EXIT STATUS" "$T/$1.txt" | grep -q . || fail "$1: no EXIT STATUS"
}

# --- corosync-qnetd -------------------------------------------------------
ref='corosync-qnetd [-46dfhv] [-l listen_addr] [-p listen_port] [-s tls] [-c client_cert_required] [-m max_clients] [-S option=value[,option2=value2,...]]'
check_synopsis corosync-qnetd "$(usage_of "$QNETD_BIN" "$ref")"
check_options corosync-qnetd 46dfhvlpscmS
check_exit_status corosync-qnetd

# Every -S key, with its default as written in parentheses at the end of
# its entry.  Keys of protocol.md 4.2 (upstream's and ours); defaults of
# src/base/settings.c (listen_backlog differs from upstream's 10 on purpose).
section "ADVANCED SETTINGS" "$T/corosync-qnetd.txt" | awk '
	/^       [a-z_]+$/ { key = $1; next }
	/^              / && key != "" { sub(/^ +/, ""); text[key] = text[key] " " $0 }
	END { for (k in text) print k "\t" text[k] }' > "$T/keys"
while IFS='|' read -r key def; do
	line=$(grep "^$key	" "$T/keys") || fail "-S $key not documented"
	case $line in
	*"($def)") ;;
	*) fail "-S $key: default ($def) not stated: $line" ;;
	esac
done <<'EOF'
listen_backlog|4096
max_client_send_buffers|32
max_client_send_size|32768
max_client_receive_size|32768
nss_db_dir|/etc/corosync/qnetd/nssdb
cert_nickname|QNetd Cert
heartbeat_interval_min|1000
heartbeat_interval_max|120000
dpd_enabled|on
dpd_interval_coefficient|1.5
lock_file|/var/run/corosync-qnetd/corosync-qnetd.pid
local_socket_file|/var/run/corosync-qnetd/corosync-qnetd.sock
local_socket_umask|empty: the process umask is used
local_socket_gid|-1: unchanged
local_socket_backlog|10
ipc_max_clients|10
ipc_max_receive_size|4096
ipc_max_send_size|10485760
keep_active_partition_tie_breaker|off
handshake_timeout|30000
accept_batch|64
state_dir|/var/lib/corosync-qnetd
workers|1
metrics_address|empty: off
event_hook|empty: off
event_hook_timeout|10000
event_hook_queue|256
log_level_file|empty: none
conflict_log_interval|60000
EOF
grep -q '^dpd_interval	' "$T/keys" || fail "obsolete dpd_interval not mentioned"
n=$(wc -l < "$T/keys")
[ "$n" = 30 ] || fail "ADVANCED SETTINGS has $n keys, expected 30"
for s in TLS "RUNNING AS AN UNPRIVILEGED USER" FILES; do
	section "$s" "$T/corosync-qnetd.txt" | grep -q . || fail "corosync-qnetd: no $s section"
done

# --- corosync-qnetd-tool --------------------------------------------------
ref='corosync-qnetd-tool [-Hhlsv] [-c cluster_name] [-p qnetd_ipc_socket_path]'
check_synopsis corosync-qnetd-tool "$(usage_of "$TOOL_BIN" "$ref")"
check_options corosync-qnetd-tool Hhlsvcpjk
check_exit_status corosync-qnetd-tool
for rc in 0 1 2 3 4; do
	section "EXIT STATUS" "$T/corosync-qnetd-tool.txt" |
	    grep -qE "^       $rc( |\$)" || fail "tool exit status $rc undocumented"
done

# --- corosync-qnetd-certutil ----------------------------------------------
# Its usage is a list of options; each one listed by -h has an entry.
if [ -x "$CERTUTIL" ]; then
	"$CERTUTIL" -h > "$T/certutil.h" 2>&1
	letters=$(sed -n 's/^ -\([A-Za-z]\) .*/\1/p' "$T/certutil.h" | tr -d '\n')
	[ -n "$letters" ] || fail "certutil -h lists no options"
else
	letters=iscGn
fi
check_options corosync-qnetd-certutil "${letters}h"
check_exit_status corosync-qnetd-certutil
grep -q 'QNETD_CONFIG_DIR' "$T/corosync-qnetd-certutil.txt" ||
    fail "certutil: QNETD_CONFIG_DIR undocumented"
# --- corosync-qnetd-enroll and corosync-qnetd-join -----------------------
ref='corosync-qnetd-enroll [-46dfhv] [-l listen_addr] [-p listen_port] [-D nss_db_dir] [-S state_dir] [-j join_script] [-e event_hook] [-m max_connections] [-t request_timeout_ms] [-r max_failures]'
check_synopsis corosync-qnetd-enroll "$(usage_of "$BUILD/corosync-qnetd-enroll" "$ref")"
check_options corosync-qnetd-enroll 46dfhvlpDSjemtr
check_exit_status corosync-qnetd-enroll
ref='corosync-qnetd-join -a arbiter[:port] -C ca_sha256 -P sha256//key_pin -n cluster_name [-t token_file] [-N "node ..."] [-h]'
# The script's -h: its first line is the usage.
if [ -x "$BUILD/corosync-qnetd-join" ]; then
	got=$("$BUILD/corosync-qnetd-join" -h 2>&1 | head -n 1 | sed 's/^usage: //' | squeeze)
	[ "$got" = "$ref" ] || fail "corosync-qnetd-join -h '$got' != '$ref'"
fi
check_synopsis corosync-qnetd-join "$ref"
check_options corosync-qnetd-join aCPntNh
check_exit_status corosync-qnetd-join
echo "man pages pass"
exit 0

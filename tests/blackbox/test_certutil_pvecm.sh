#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Enrolment as pvecm, pcs and crmsh do it, on one machine: our
# corosync-qnetd-certutil on the "arbiter" side, Debian's
# corosync-qdevice-net-certutil on the "node" side, then a TLS handshake
# and INIT with the resulting node certificate against a qnetd daemon that
# uses the database our certutil made.
#
# Everything runs in a private mount namespace with a tmpfs over
# /etc/corosync, so both scripts use their real default paths and the
# host's /etc/corosync is never touched.
#
# Env: BUILD (build dir), CERTUTIL (default $BUILD/corosync-qnetd-certutil),
# QNETD_BIN (default $BUILD/corosync-qnetd; the TLS part is skipped, exit
# 77, when it is absent).

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD="$top/$BUILD" ;; esac
CERTUTIL=${CERTUTIL:-$BUILD/corosync-qnetd-certutil}
QNETD_BIN=${QNETD_BIN:-$BUILD/corosync-qnetd}
export BUILD CERTUTIL QNETD_BIN

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

if [ "${1:-}" != inner ]; then
	[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"
	for t in unshare certutil pk12util openssl python3 \
	    corosync-qdevice-net-certutil; do
		command -v "$t" > /dev/null 2>&1 || skip "$t not installed"
	done
	[ -x "$CERTUTIL" ] || skip "$CERTUTIL not built (run make)"
	unshare --mount true 2> /dev/null || skip "unshare --mount not permitted here"
	T=$(mktemp -d /tmp/qnetd-certutil-pvecm.XXXXXX) || exit 2
	trap 'rm -rf "$T"' EXIT
	trap 'exit 2' INT TERM
	export T
	unshare --mount --propagation private sh "$0" inner
	exit $?
fi

# ---- inside the namespace ------------------------------------------------
mount -t tmpfs -o mode=0755 qnetd-test /etc/corosync || fail "mount tmpfs"
# -s records certificates in the state directory, as an ssh caller
# (pvecm) gets it: the default one, private to this namespace too.
mkdir -p /var/lib/corosync-qnetd || fail "mkdir state dir"
mount -t tmpfs -o mode=0700 qnetd-state /var/lib/corosync-qnetd || fail "mount state tmpfs"
QDIR=/etc/corosync/qnetd
QDB=$QDIR/nssdb
NDB=/etc/corosync/qdevice/net/nssdb
CLUSTER=pvecl
daemon_pid=

cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2> /dev/null
		wait "$daemon_pid" 2> /dev/null
	fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# run NAME CMD...: stdout to $T/NAME.out, stderr to $T/NAME.err, status in $rc
run() {
	name=$1
	shift
	"$@" > "$T/$name.out" 2> "$T/$name.err"
	rc=$?
}

expect_rc() {
	[ "$rc" = "$1" ] || {
		cat "$T/$2.out" "$T/$2.err"
		fail "$2: exit $rc, expected $1"
	}
}

expect_mode() {
	m=$(stat -c '%a' "$1") || fail "$1 missing"
	[ "$m" = "$2" ] || fail "$1 has mode $m, expected $2"
}

# pcs: ^Certificate( request)? stored in (?P<path>.+)$
stored_path() {
	sed -n -E 's/^Certificate( request)? stored in (.+)$/\2/p' "$1"
}

# ---- 1. pvecm: corosync-qnetd-certutil -i, twice -------------------------
run init "$CERTUTIL" -i
expect_rc 0 init
cat > "$T/init.want" <<EOF
Creating $QDB
Creating new key and cert db
Creating new noise file $QDB/noise.txt
Creating new CA
Is this a CA certificate [y/N]?
Enter the path length constraint, enter to skip [<0 for unlimited path]: > Is this a critical extension [y/N]?
QNetd CA certificate is exported as $QDB/qnetd-cacert.crt
EOF
diff "$T/init.want" "$T/init.out" || fail "-i stdout differs from Debian's"

run init2 "$CERTUTIL" -i
expect_rc 1 init2
echo "Certificate database ($QDB) already exists. Delete it to initialize new db" \
    > "$T/init2.want"
diff "$T/init2.want" "$T/init2.err" || fail "second -i stderr differs"
[ -s "$T/init2.out" ] && fail "second -i printed on stdout"

# Files and modes as Debian's script leaves them (group write bit set).
expect_mode "$QDB" 770
for f in cert9.db key4.db pkcs11.txt noise.txt pwdfile.txt serial.txt; do
	expect_mode "$QDB/$f" 660
done
[ -s "$QDB/pwdfile.txt" ] && fail "pwdfile.txt is not empty"
[ "$(cat "$QDB/serial.txt")" = 102 ] || fail "serial.txt is $(cat "$QDB/serial.txt"), expected 102"
grep -qE '^[0-9a-f]{40}$' "$QDB/noise.txt" || fail "noise.txt is not 40 hex digits"
# pcs decides "initialized" by these three
for f in cert9.db key4.db pkcs11.txt; do
	[ -f "$QDB/$f" ] || fail "$f missing"
done

# qnetd-cacert.crt: certutil's text dump, then exactly one PEM block.
CA=$QDB/qnetd-cacert.crt
head -n 1 "$CA" | grep -q '^Certificate:$' || fail "CA export lacks the text dump"
[ "$(grep -c 'BEGIN CERTIFICATE' "$CA")" = 1 ] || fail "CA export: not one PEM block"
sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$CA" > "$T/ca.pem"
openssl x509 -in "$T/ca.pem" -noout -text > "$T/ca.txt" || fail "CA PEM unreadable"
grep -q 'Subject: CN *= *QNet CA' "$T/ca.txt" || fail "CA subject"
grep -q 'Serial Number: 101 ' "$T/ca.txt" || fail "CA serial is not 101"
grep -q 'Public-Key: (2048 bit)' "$T/ca.txt" || fail "CA key is not RSA-2048"
grep -q 'Signature Algorithm: sha256WithRSAEncryption' "$T/ca.txt" || fail "CA not SHA-256"
grep -A1 'Basic Constraints: critical' "$T/ca.txt" | grep -q 'CA:TRUE, pathlen:0' ||
    fail "CA basic constraints are not critical CA:TRUE, pathlen:0"
nb=$(openssl x509 -in "$T/ca.pem" -noout -startdate | sed -E 's/.* ([0-9]{4}) GMT/\1/')
na=$(openssl x509 -in "$T/ca.pem" -noout -enddate | sed -E 's/.* ([0-9]{4}) GMT/\1/')
[ $((na - nb)) = 100 ] || fail "CA validity is not 1200 months ($nb..$na)"

# Nicknames and trust as Debian's database has them.
certutil -L -d "$QDB" > "$T/list.txt" || fail "certutil -L"
grep -qE '^QNet CA +CTu,u,u$' "$T/list.txt" || fail "QNet CA trust"
grep -qE '^QNetd Cert +u,u,u$' "$T/list.txt" || fail "QNetd Cert trust"
certutil -L -d "$QDB" -n 'QNetd Cert' -a > "$T/server.pem" || fail "server cert"
openssl x509 -in "$T/server.pem" -noout -subject -issuer -serial > "$T/server.txt"
grep -q 'subject=CN *= *Qnetd Server' "$T/server.txt" || fail "server subject"
grep -q 'issuer=CN *= *QNet CA' "$T/server.txt" || fail "server issuer"
grep -q 'serial=66' "$T/server.txt" || fail "server serial is not 102"
openssl verify -CAfile "$T/ca.pem" "$T/server.pem" > /dev/null ||
    fail "server certificate does not chain to the exported CA"

# ---- 2. node side: import CA, make the request (Debian's script) ---------
cp "$CA" "$T/qnetd-cacert.crt"		# scp to /etc/pve/qnetd-cacert.crt
run n_init corosync-qdevice-net-certutil -i -c "$T/qnetd-cacert.crt"
expect_rc 0 n_init
run n_req corosync-qdevice-net-certutil -r -n "$CLUSTER"
expect_rc 0 n_req
[ "$(stored_path "$T/n_req.out")" = "$NDB/qdevice-net-node.crq" ] ||
    fail "node request path not announced as pcs expects"
cp "$NDB/qdevice-net-node.crq" "$T/qdevice-net-node.crq"	# scp to /tmp

# ---- 3. pvecm: -s -c /tmp/qdevice-net-node.crq -n CLUSTER ---------------
run sign "$CERTUTIL" -s -c "$T/qdevice-net-node.crq" -n "$CLUSTER"
expect_rc 0 sign
printf 'Signing cluster certificate\nCertificate stored in %s\n' \
    "$QDB/cluster-$CLUSTER.crt" > "$T/sign.want"
diff "$T/sign.want" "$T/sign.out" || fail "-s stdout differs from Debian's"
CRT=$(stored_path "$T/sign.out")
[ "$CRT" = "$QDB/cluster-$CLUSTER.crt" ] || fail "pcs regex finds '$CRT'"
openssl x509 -inform der -in "$CRT" -noout -subject -issuer -serial \
    > "$T/crt.txt" || fail "cluster certificate is not DER"
grep -q "subject=CN *= *$CLUSTER\$" "$T/crt.txt" || fail "cluster cert subject"
grep -q 'serial=67' "$T/crt.txt" || fail "cluster cert serial is not 103"
openssl x509 -inform der -in "$CRT" -out "$T/crt.pem"
openssl verify -CAfile "$T/ca.pem" "$T/crt.pem" > /dev/null ||
    fail "cluster certificate does not chain to the exported CA"
[ "$(cat "$QDB/serial.txt")" = 103 ] || fail "serial.txt not advanced to 103"

# ---- 4. node side: import the signed certificate, second node ------------
cp "$CRT" "$NDB/"			# scp to the node's nssdb
run n_imp corosync-qdevice-net-certutil -M -c "$NDB/cluster-$CLUSTER.crt"
expect_rc 0 n_imp
P12=$(stored_path "$T/n_imp.out")
[ "$P12" = "$NDB/qdevice-net-node.p12" ] || fail "p12 path '$P12'"
cp "$P12" "$T/node.p12"
# The second node starts from an empty database and only gets the p12.
rm -rf "$NDB"
run n2_init corosync-qdevice-net-certutil -i -c "$T/qnetd-cacert.crt"
expect_rc 0 n2_init
run n2_imp corosync-qdevice-net-certutil -m -c "$T/node.p12"
expect_rc 0 n2_imp
certutil -L -d "$NDB" > "$T/nlist.txt"
grep -qE '^Cluster Cert +u,u,u$' "$T/nlist.txt" || fail "node lacks Cluster Cert"
grep -qE '^QNet CA +CT,c,c$' "$T/nlist.txt" || fail "node lacks QNet CA"

# ---- 5. crmsh and pcs variants ------------------------------------------
# crmsh: test -f qnetd-cacert.crt || certutil -i; the request is copied
# into the database directory under a per-cluster name.
CL2=crmcl
corosync-qdevice-net-certutil -r -n "$CL2" > /dev/null 2>&1 || fail "node -r $CL2"
cp "$NDB/qdevice-net-node.crq" "$QDB/qdevice-net-node.crq.$CL2"
run crm "$CERTUTIL" -s -c "$QDB/qdevice-net-node.crq.$CL2" -n "$CL2"
expect_rc 0 crm
[ "$(stored_path "$T/crm.out")" = "$QDB/cluster-$CL2.crt" ] || fail "crmsh path"
# pcs: the request sits in a temp file with an arbitrary name.
CL3=pcscl
corosync-qdevice-net-certutil -r -n "$CL3" > /dev/null 2>&1 || fail "node -r $CL3"
cp "$NDB/qdevice-net-node.crq" "$T/tmpXYZ.req"
run pcs "$CERTUTIL" -s -c "$T/tmpXYZ.req" -n "$CL3"
expect_rc 0 pcs
[ "$(stored_path "$T/pcs.out")" = "$QDB/cluster-$CL3.crt" ] || fail "pcs path"
[ "$(cat "$QDB/serial.txt")" = 105 ] || fail "serial.txt not at 105"
# Re-signing a cluster (pvecm run again) overwrites the certificate.
run resign "$CERTUTIL" -s -c "$T/qdevice-net-node.crq" -n "$CLUSTER"
expect_rc 0 resign
openssl x509 -inform der -in "$CRT" -noout -serial | grep -q 'serial=6A' ||
    fail "re-signed certificate does not carry serial 106"

# ---- 6. error paths, as Debian's script ---------------------------------
run e1 "$CERTUTIL" -s -c "$T/nonexistent" -n x
expect_rc 2 e1
grep -qx "Can't open certificate file $T/nonexistent" "$T/e1.err" || fail "e1 text"
run e2 "$CERTUTIL" -s -c "$T/tmpXYZ.req"
expect_rc 2 e2
grep -qx "You have to specify cluster name" "$T/e2.err" || fail "e2 text"
run e3 "$CERTUTIL" -s -c
expect_rc 1 e3
grep -qx "Option -c requires an argument." "$T/e3.err" || fail "e3 text"
run e4 "$CERTUTIL" -q
expect_rc 1 e4
grep -qx "Invalid option: -q" "$T/e4.err" || fail "e4 text"
run e5 "$CERTUTIL" -h
expect_rc 0 e5
grep -qx " -G                  Do not set group write bit for new files" \
    "$T/e5.out" || fail "usage text"
run e6 "$CERTUTIL"
expect_rc 0 e6
cmp -s "$T/e5.out" "$T/e6.out" || fail "no operation does not print usage"
# Not Debian's behaviour (it reports success and leaves a file): a bad
# request fails and leaves no certificate behind.
echo garbage > "$T/bad.req"
run e7 "$CERTUTIL" -s -c "$T/bad.req" -n badcl
expect_rc 1 e7
[ -e "$QDB/cluster-badcl.crt" ] && fail "failed signing left a certificate"
# Unlike Debian's, a refused request takes no serial (docs/compat.md).
[ "$(cat "$QDB/serial.txt")" = 106 ] || fail "refused request took a serial"
# Every signing is in the registry (two for pvecl: it was re-signed).
[ "$(grep -c ' certutil 0$' /var/lib/corosync-qnetd/registry)" = 4 ] ||
    fail "registry: $(cat /var/lib/corosync-qnetd/registry)"
grep -q "already has an unrevoked certificate" "$T/resign.err" ||
    fail "re-signing gave no warning"

# ---- 7. -G and ownership copied from the configuration directory --------
ALT=$T/alt
mkdir "$ALT"
chown 0:4242 "$ALT"
run g env QNETD_CONFIG_DIR="$ALT" "$CERTUTIL" -i -G
expect_rc 0 g
expect_mode "$ALT/nssdb" 750
for f in cert9.db key4.db pkcs11.txt noise.txt pwdfile.txt serial.txt; do
	expect_mode "$ALT/nssdb/$f" 640
done
for f in . cert9.db key4.db pkcs11.txt noise.txt pwdfile.txt serial.txt \
    qnetd-cacert.crt; do
	g=$(stat -c '%g' "$ALT/nssdb/$f")
	[ "$g" = 4242 ] || fail "$f has group $g, not the config dir's 4242"
done
grep -q "exported as $ALT/nssdb/qnetd-cacert.crt" "$T/g.out" || fail "-G output"
[ -e "$QDB/serial.txt" ] && [ "$(cat "$QDB/serial.txt")" = 106 ] ||
    fail "QNETD_CONFIG_DIR leaked into the default directory"

echo "enrolment checks passed"

# ---- 8. TLS with the node certificate against a daemon ------------------
[ -x "$QNETD_BIN" ] || skip "daemon $QNETD_BIN not built; certificate checks passed"
# The p12 holds the CA too: keep the leaf certificate and its key only.
{
	openssl pkcs12 -in "$T/node.p12" -passin pass: -clcerts -nokeys &&
	openssl pkcs12 -in "$T/node.p12" -passin pass: -nocerts -nodes
} > "$T/node.pem" 2> "$T/p12.err" || fail "cannot read the node p12"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sd=
grep -q state_dir "$QNETD_BIN" && sd=",state_dir=$T/state"
"$QNETD_BIN" -f -d -l 127.0.0.1 -p "$port" \
    -S "lock_file=$T/qnetd.pid,local_socket_file=$T/qnetd.sock$sd" \
    > "$T/qnetd.log" 2>&1 &
daemon_pid=$!
i=0
until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),1)" \
    2> /dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$daemon_pid" 2> /dev/null; then
		cat "$T/qnetd.log"
		fail "daemon did not start listening on $port"
	fi
	sleep 0.1
done

client() {
	python3 "$top/tests/blackbox/tls_init_client.py" 127.0.0.1 "$port" \
	    "$1" "$T/node.pem" "$T/ca.pem"
}
res=$(client "$CLUSTER") || fail "client crashed"
[ "$res" = init-ok ] || { cat "$T/qnetd.log"; fail "TLS INIT as $CLUSTER: $res"; }
# The same certificate claiming another cluster must be refused: the
# daemon matches the certificate CN against the announced cluster name.
res=$(client "$CL2") || fail "client crashed"
echo "same certificate claiming $CL2: $res"
case $res in
closed | handshake-failed*) ;;
*) cat "$T/qnetd.log"; fail "certificate for $CLUSTER accepted as $CL2: $res" ;;
esac

kill "$daemon_pid"
wait "$daemon_pid"
st=$?
daemon_pid=
[ "$st" = 0 ] || fail "daemon exited $st on SIGTERM"
echo "TLS handshake and INIT with the enrolled certificate passed"
exit 0

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# corosync-qnetd-certutil's signing profile, registry, tokens and
# revocation (issue 12), in a scratch QNETD_CONFIG_DIR/QNETD_STATE_DIR:
#  1. a request for CN=attacker0 asking for subjectAltName dns:victim0,
#     signed with -s -n attacker0, gives a certificate with subject
#     exactly CN=attacker0 and no extension, which the daemon (-s on
#     -c on) accepts for attacker0 and refuses for victim0;
#  2. 20 concurrent -s never share a serial number;
#  3. an RSA 1024 request is refused and leaves nothing;
#  4. the registry is imported from the cluster-*.crt files already there,
#     lists (text, JSON, with last_seen from the running daemon), and -x
#     refuses a second certificate;
#  5. tokens: -t prints the token and the join command with the right
#     pins, -T lists it, -W withdraws it;
#  6. -r revokes: registry, revoked list, CRL in the NSS database; our
#     daemon closes the live connection on SIGHUP and refuses the
#     certificate, and Debian's daemon (when installed) refuses it from
#     the CRL alone, having accepted it before.
#
# Env: BUILD, CERTUTIL (default $BUILD/corosync-qnetd-certutil),
# QNETD_BIN (default $BUILD/corosync-qnetd; part 1's daemon check is
# skipped without it).

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD="$top/$BUILD" ;; esac
CERTUTIL=${CERTUTIL:-$BUILD/corosync-qnetd-certutil}
QNETD_BIN=${QNETD_BIN:-$BUILD/corosync-qnetd}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

for t in certutil crlutil pk12util openssl python3; do
	command -v "$t" > /dev/null 2>&1 || skip "$t not installed"
done
[ -x "$CERTUTIL" ] || skip "$CERTUTIL not built (run make)"
[ -x "$BUILD/corosync-qnetd-ca" ] || skip "$BUILD/corosync-qnetd-ca not built (run make)"

T=$(mktemp -d /tmp/qnetd-certutil-enroll.XXXXXX) || exit 2
daemon_pid=
cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2> /dev/null
		wait "$daemon_pid" 2> /dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

QNETD_CONFIG_DIR=$T/q
QNETD_STATE_DIR=$T/state
# No daemon to ask for "last seen" in this test.
QNETD_TOOL=false
export QNETD_CONFIG_DIR QNETD_STATE_DIR QNETD_TOOL
QDB=$T/q/nssdb
STATE=$T/state

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

# node NAME SUBJECT [certutil -R options]: a request made in its own NSS db.
node_req() {
	name=$1
	subject=$2
	shift 2
	mkdir -p "$T/n-$name"
	certutil -N -d "$T/n-$name" --empty-password || fail "node db $name"
	certutil -R -d "$T/n-$name" -s "$subject" -z "$T/noise" -o "$T/$name.req" "$@" \
	    > /dev/null 2>&1 || fail "certutil -R $name"
}

# start_daemon BINARY [ARGS...]: a daemon with TLS required on a free port,
# the scratch database, its socket in $T.
start_daemon() {
	bin=$1
	shift
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	"$bin" -f -s on -c on -l 127.0.0.1 -p "$port" \
	    -S "nss_db_dir=$QDB,lock_file=$T/qnetd.pid,local_socket_file=$T/qnetd.sock" "$@" \
	    > "$T/qnetd.log" 2>&1 &
	daemon_pid=$!
	i=0
	until python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" \
	    2> /dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$daemon_pid" 2> /dev/null; then
			cat "$T/qnetd.log"
			fail "daemon $bin did not start"
		fi
		sleep 0.1
	done
}

stop_daemon() {
	kill "$daemon_pid"
	wait "$daemon_pid" 2> /dev/null
	daemon_pid=
}

client() {
	timeout 20 python3 "$top/tests/blackbox/tls_init_client.py" 127.0.0.1 "$port" \
	    "$1" "$T/attacker.pem" "$T/ca.pem"
}

# hold CLUSTER OUT SECONDS: INIT as CLUSTER, write the outcome to OUT, keep
# the connection SECONDS longer (a connected cluster for the daemon).
hold() {
	timeout $(($3 + 20)) python3 -c '
import importlib.util, ssl, sys, time
spec = importlib.util.spec_from_file_location("c", sys.argv[1])
c = importlib.util.module_from_spec(spec)
spec.loader.exec_module(c)
out, secs = sys.argv[7], float(sys.argv[8])
close = ssl.SSLSocket.close
def held(self):
    sys.stdout.flush()
    time.sleep(secs)
    close(self)
ssl.SSLSocket.close = held
sys.argv = sys.argv[1:7]
sys.stdout = open(out, "w")
c.main()' "$top/tests/blackbox/tls_init_client.py" 127.0.0.1 "$port" "$1" \
	    "$T/attacker.pem" "$T/ca.pem" "$2" "$3"
}

# wait_for FILE TEXT: until FILE holds TEXT (10 s at most).
wait_for() {
	i=0
	until grep -q "$2" "$1" 2> /dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "$1: '$(cat "$1" 2> /dev/null)', waited for $2"
		sleep 0.1
	done
}

head -c 64 /dev/urandom > "$T/noise"
run init "$CERTUTIL" -i
expect_rc 0 init

# A certificate on disk before the registry exists: signed by NSS
# certutil directly, as a previous version of this tool did.
node_req old CN=oldcl -k rsa -g 2048
certutil -C -v 1200 -m 103 -i "$T/old.req" -o "$QDB/cluster-oldcl.crt" -c "QNet CA" \
    -d "$QDB" -Z SHA256 > /dev/null 2>&1 || fail "old-style signing"
echo 103 > "$QDB/serial.txt"
[ -e "$STATE/registry" ] && fail "registry exists before first use"

# ---- 1. SAN impersonation ------------------------------------------------
node_req attacker CN=attacker0 -k rsa -g 2048 --extSAN dns:victim0
run sign "$CERTUTIL" -s -c "$T/attacker.req" -n attacker0
expect_rc 0 sign
printf 'Signing cluster certificate\nCertificate stored in %s\n' \
    "$QDB/cluster-attacker0.crt" > "$T/sign.want"
diff "$T/sign.want" "$T/sign.out" || fail "-s stdout changed"
CRT=$QDB/cluster-attacker0.crt
openssl x509 -inform der -in "$CRT" -noout -text > "$T/attacker.txt" || fail "not DER"
grep -q 'Subject: CN *= *attacker0$' "$T/attacker.txt" || fail "subject: $(grep Subject: "$T/attacker.txt")"
grep -q 'victim0' "$T/attacker.txt" && fail "the SAN was copied: $(cat "$T/attacker.txt")"
grep -q 'X509v3 extensions' "$T/attacker.txt" && fail "certificate carries extensions"
grep -q 'Version: 3' "$T/attacker.txt" || fail "not X.509 v3"
grep -q 'Signature Algorithm: sha256WithRSAEncryption' "$T/attacker.txt" || fail "not SHA-256"
grep -q 'Serial Number: 104' "$T/attacker.txt" || fail "serial is not 104"
# The registry was filled from the files on disk first (oldcl), then this one.
grep -q '^67 oldcl [0-9a-f]\{64\} [0-9]* [0-9]* import 0$' "$STATE/registry" ||
    fail "oldcl not imported: $(cat "$STATE/registry")"
grep -q '^68 attacker0 [0-9a-f]\{64\} [0-9]* [0-9]* certutil 0$' "$STATE/registry" ||
    fail "attacker0 not recorded: $(cat "$STATE/registry")"
[ "$(stat -c %a "$STATE/registry")" = 600 ] || fail "registry mode"

if [ -x "$QNETD_BIN" ]; then
	certutil -A -d "$T/n-attacker" -n node -t u,u,u -i "$CRT" 2> /dev/null || fail "import cert"
	pk12util -o "$T/attacker.p12" -n node -d "$T/n-attacker" -W '' > /dev/null ||
	    fail "pk12util"
	{
		openssl pkcs12 -in "$T/attacker.p12" -passin pass: -clcerts -nokeys &&
		openssl pkcs12 -in "$T/attacker.p12" -passin pass: -nocerts -nodes
	} > "$T/attacker.pem" 2> /dev/null || fail "p12 to PEM"
	certutil -L -d "$QDB" -n "QNet CA" -a > "$T/ca.pem" || fail "CA PEM"
	start_daemon "$QNETD_BIN" -S "state_dir=$STATE"
	res=$(client attacker0) || fail "client crashed"
	[ "$res" = init-ok ] || { cat "$T/qnetd.log"; fail "attacker0 with its own certificate: $res"; }
	res=$(client victim0) || fail "client crashed"
	echo "attacker0's certificate claiming victim0: $res"
	case $res in
	init-ok) cat "$T/qnetd.log"; fail "certificate for attacker0 accepted for victim0" ;;
	esac
	# -l shows when the running daemon last saw the certificate.
	hold attacker0 "$T/held1" 8 &
	held_pid=$!
	wait_for "$T/held1" init-ok
	run seen1 env QNETD_TOOL="$BUILD/corosync-qnetd-tool -p $T/qnetd.sock" "$CERTUTIL" -l -j
	expect_rc 0 seen1
	python3 - "$T/seen1.out" <<'PY' || fail "last_seen from the daemon: $(cat "$T/seen1.out")"
import json, sys, time
c = {x["cluster"]: x for x in json.load(open(sys.argv[1]))["certificates"]}
assert abs(c["attacker0"]["last_seen"] - time.time()) < 60, c["attacker0"]
assert c["oldcl"]["last_seen"] is None
PY
	kill "$held_pid" 2> /dev/null
	wait "$held_pid" 2> /dev/null
	stop_daemon
else
	echo "daemon not built: TLS part of check 1 skipped"
fi
# Debian's daemon takes the certificate too (the control for the CRL check
# of part 6).
if [ -x /usr/bin/corosync-qnetd ] && [ -s "$T/attacker.pem" ]; then
	start_daemon /usr/bin/corosync-qnetd
	res=$(client attacker0) || fail "client crashed"
	[ "$res" = init-ok ] || { cat "$T/qnetd.log"; fail "Debian's daemon refused attacker0: $res"; }
	stop_daemon
fi

# ---- 2. concurrent signers -------------------------------------------------
node_req conc CN=conc -k rsa -g 2048
i=0
while [ $i -lt 20 ]; do
	"$CERTUTIL" -s -c "$T/conc.req" -n "conc$i" > "$T/conc$i.out" 2>&1 &
	i=$((i + 1))
done
wait
i=0
while [ $i -lt 20 ]; do
	grep -q "^Certificate stored in $QDB/cluster-conc$i.crt\$" "$T/conc$i.out" ||
	    fail "concurrent -s $i: $(cat "$T/conc$i.out")"
	openssl x509 -inform der -in "$QDB/cluster-conc$i.crt" -noout -serial
	i=$((i + 1))
done > "$T/serials"
[ "$(sort -u "$T/serials" | wc -l)" = 20 ] || fail "serial reused: $(sort "$T/serials" | uniq -d)"
[ "$(cat "$QDB/serial.txt")" = 124 ] || fail "serial.txt at $(cat "$QDB/serial.txt"), not 124"
[ "$(grep -c ' conc[0-9]* .* certutil 0$' "$STATE/registry")" = 20 ] ||
    fail "registry lacks concurrent signings"

# ---- 3. weak key -----------------------------------------------------------
node_req weak CN=weakcl -k rsa -g 1024
cp "$STATE/registry" "$T/registry.before"
run weak "$CERTUTIL" -s -c "$T/weak.req" -n weakcl
expect_rc 1 weak
grep -q 'RSA key of 1024 bits' "$T/weak.err" || fail "weak key message: $(cat "$T/weak.err")"
[ -e "$QDB/cluster-weakcl.crt" ] && fail "weak key signed"
cmp -s "$STATE/registry" "$T/registry.before" || fail "refusal changed the registry"
[ "$(cat "$QDB/serial.txt")" = 124 ] || fail "refusal took a serial"

# ---- 4. registry: list, strict -------------------------------------------
run list "$CERTUTIL" -l
expect_rc 0 list
grep -q '^67  *oldcl  *valid .* import ' "$T/list.out" || fail "list: $(cat "$T/list.out")"
run json "$CERTUTIL" -l -j
expect_rc 0 json
python3 - "$T/json.out" <<'PY' || fail "JSON: $(cat "$T/json.out")"
import json, sys
d = json.load(open(sys.argv[1]))
c = {x["cluster"]: x for x in d["certificates"]}
assert len(d["certificates"]) == 22, len(d["certificates"])
assert c["oldcl"]["path"] == "import" and c["oldcl"]["serial"] == "67"
assert c["attacker0"]["revoked"] is False and c["attacker0"]["last_seen"] is None
assert len(c["attacker0"]["sha256"]) == 64
PY
# LAST_SEEN from the daemon's status (corosync-qnetd-tool -j): a stand-in
# tool prints a status whose cluster attacker0 presented this certificate.
sha=$(openssl x509 -inform der -in "$CRT" -outform der | openssl dgst -sha256 -r | cut -d' ' -f1)
cat > "$T/fake-tool" <<EOT
#!/bin/sh
[ "\$1" = -j ] || exit 1
echo '{"certificates": {"ca": {"not_after": 1}}, "clusters": [{"name": "oldcl"},
 {"name": "attacker0", "certificate": {"serial": "68", "sha256": "$sha", "not_after": 2, "last_seen": 1700000000}}]}'
EOT
chmod 755 "$T/fake-tool"
run seen env QNETD_TOOL="$T/fake-tool" "$CERTUTIL" -l -j
expect_rc 0 seen
python3 - "$T/seen.out" <<'PY' || fail "last_seen: $(cat "$T/seen.out")"
import json, sys
c = {x["cluster"]: x for x in json.load(open(sys.argv[1]))["certificates"]}
assert c["attacker0"]["last_seen"] == 1700000000, c["attacker0"]
assert c["oldcl"]["last_seen"] is None
PY
run seent env QNETD_TOOL="$T/fake-tool" "$CERTUTIL" -l
grep -q '^68 .*2023-11-14 22:13:20 UTC' "$T/seent.out" || fail "text last seen: $(cat "$T/seent.out")"
run strict "$CERTUTIL" -s -x -c "$T/attacker.req" -n attacker0
expect_rc 3 strict
grep -q 'already has an unrevoked certificate' "$T/strict.err" || fail "strict message"
cmp -s "$CRT" "$QDB/cluster-attacker0.crt" || fail "strict refusal touched the certificate"
run resign "$CERTUTIL" -s -c "$T/attacker.req" -n attacker0
expect_rc 0 resign
grep -q '^Warning: cluster attacker0 already has an unrevoked certificate (serial 68)' \
    "$T/resign.err" || fail "no re-signing warning: $(cat "$T/resign.err")"

# ---- 5. tokens ---------------------------------------------------------------
run tok "$CERTUTIL" -t -n newcl -e 30 -a arbiter.example:5443
expect_rc 0 tok
token=$(sed -n 2p "$T/tok.out")
id=${token%%.*}
echo "$token" | grep -qE '^[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$' || fail "token form: $token"
ca_sha=$(certutil -L -d "$QDB" -n "QNet CA" -r | openssl dgst -sha256 -r | cut -d' ' -f1)
pin=$(certutil -L -d "$QDB" -n "QNetd Cert" -a | openssl x509 -pubkey -noout |
    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
grep -qxF "  corosync-qnetd-join -a arbiter.example:5443 -C $ca_sha -P sha256//$pin -n newcl" \
    "$T/tok.out" || fail "join command: $(cat "$T/tok.out") (want -C $ca_sha -P sha256//$pin)"
grep -q "^$id newcl [0-9]* [0-9]* [0-9a-f]\{64\} open\$" "$STATE/tokens" || fail "tokens file"
grep -qF "${token#*.}" "$STATE/tokens" && fail "the secret is stored"
[ "$(stat -c %a "$STATE/tokens")" = 600 ] || fail "tokens mode"
created=$(awk -v id="$id" '$1 == id { print $3 }' "$STATE/tokens")
expires=$(awk -v id="$id" '$1 == id { print $4 }' "$STATE/tokens")
[ $((expires - created)) = 1800 ] || fail "lifetime $((expires - created)), not 1800"
run big "$CERTUTIL" -t -n newcl -e 1441
expect_rc 2 big
run toks "$CERTUTIL" -T
expect_rc 0 toks
grep -q "^$id .* newcl\$" "$T/toks.out" || fail "-T: $(cat "$T/toks.out")"
run wd "$CERTUTIL" -W "$id"
expect_rc 0 wd
grep -q "^$id newcl .* withdrawn\$" "$STATE/tokens" || fail "not withdrawn"
run toks2 "$CERTUTIL" -T
grep -q "^$id" "$T/toks2.out" && fail "withdrawn token still listed"
run wd2 "$CERTUTIL" -W "$id"
expect_rc 1 wd2

# ---- 6. revocation ---------------------------------------------------------
if [ -x "$QNETD_BIN" ]; then
	start_daemon "$QNETD_BIN" -S "state_dir=$STATE"
	hold attacker0 "$T/held2" 30 &
	held_pid=$!
	wait_for "$T/held2" init-ok
fi
run rv "$CERTUTIL" -r attacker0
expect_rc 0 rv
if [ -x "$QNETD_BIN" ]; then
	# SIGHUP: the daemon reads the revoked list, closes the live connection
	# and refuses new ones with that certificate.
	kill -HUP "$daemon_pid"
	wait_for "$T/qnetd.log" "cluster attacker0 .*is revoked: closing the connection"
	res=$(client attacker0) || fail "client crashed"
	echo "revoked attacker0 after SIGHUP: $res"
	[ "$res" = init-ok ] && fail "revoked certificate accepted after SIGHUP"
	kill "$held_pid" 2> /dev/null
	wait "$held_pid" 2> /dev/null
	stop_daemon
fi
grep -q '^Revoked certificate serial 68 of cluster attacker0$' "$T/rv.out" || fail "rv: $(cat "$T/rv.out")"
grep -q 'systemctl kill -s HUP corosync-qnetd' "$T/rv.out" || fail "no reload hint"
# SHA-256 of the DER of the certificates' issuer Name (the CA's subject).
issuer=$(certutil -L -d "$QDB" -n "QNet CA" -r | python3 -c '
import sys, hashlib
d = sys.stdin.buffer.read()
def tlv(b, i):
    l = b[i + 1]; h = 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(b[i + 2:i + 2 + n], "big"); h = 2 + n
    return i + h, l
i, _ = tlv(d, 0)        # Certificate
i, _ = tlv(d, i)        # TBSCertificate
for _ in range(4):      # version, serial, signature, issuer
    s = i
    j, l = tlv(d, i)
    i = j + l
print(hashlib.sha256(d[s:i]).hexdigest())')
grep -q "^$issuer 68 attacker0\$" "$STATE/revoked" || fail "revoked: $(cat "$STATE/revoked") (issuer $issuer)"
# the re-signed attacker0 certificate too: every one of the cluster's
grep -q "^$issuer [0-9a-f]* attacker0\$" "$STATE/revoked" || fail "revoked list"
[ "$(grep -c ' attacker0$' "$STATE/revoked")" = 2 ] || fail "both attacker0 certificates revoked"
grep -q '^68 attacker0 .* certutil [1-9][0-9]*$' "$STATE/registry" || fail "registry not marked"
crlutil -L -d "$QDB" -n "QNet CA" > "$T/crl.txt" 2>&1 || fail "no CRL: $(cat "$T/crl.txt")"
grep -q 'Serial Number: 104 (0x68)' "$T/crl.txt" || fail "CRL lacks 104: $(cat "$T/crl.txt")"
# By serial, a second time in the same second: the CRL is rewritten.
run rv2 "$CERTUTIL" -r 0x6a
expect_rc 0 rv2
grep -q ' 6a conc[0-9]*$' "$STATE/revoked" || fail "revoke by serial"
crlutil -L -d "$QDB" -n "QNet CA" | grep -q 'Serial Number: 106 (0x6a)' || fail "CRL lacks 106"
run rv3 "$CERTUTIL" -r nosuchcluster
expect_rc 1 rv3
# The CRL alone (no revoked list): Debian's daemon refuses the revoked
# certificate from its start.
if [ -x /usr/bin/corosync-qnetd ] && [ -s "$T/attacker.pem" ]; then
	start_daemon /usr/bin/corosync-qnetd
	res=$(client attacker0) || fail "client crashed"
	echo "revoked attacker0 against Debian's daemon with the CRL: $res"
	[ "$res" = init-ok ] && { cat "$T/qnetd.log"; fail "Debian's daemon accepted a certificate the CRL revokes"; }
	stop_daemon
else
	echo "Debian's corosync-qnetd not installed: CRL not checked with it"
fi
echo "certutil enrollment checks passed"
exit 0

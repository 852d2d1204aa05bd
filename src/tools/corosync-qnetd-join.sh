#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# corosync-qnetd-join: enrol this cluster with a qnetd arbiter using a
# one-time token, without SSH to the arbiter.  Runs on one cluster node
# and needs only what such a node has: corosync-qdevice-net-certutil
# (corosync-qdevice), curl or openssl, base64 and sha256sum.  See
# corosync-qnetd-join(8) and docs/enroll-protocol.md.
#
# Trust: nothing the arbiter sends is used before it is authenticated.
# The TLS connection is accepted only when the server's key matches -P
# (curl --pinnedpubkey; the server certificate names no host, so curl's
# host name check is off, the pin replaces it), and the CA certificate is
# used only when its SHA-256 matches -C.  The token goes to curl in a
# 0600 header file, never on a command line.
#
# Re-running is safe: an existing node database with the same CA is
# kept, a request already made is sent again (the service returns the
# same certificate for the same token and key), and a node already
# enrolled skips straight to the last steps.

NODE_DB=/etc/corosync/qdevice/net/nssdb
CA_NICKNAME="QNet CA"
CLUSTER_NICKNAME="Cluster Cert"
CRQ="$NODE_DB/qdevice-net-node.crq"
P12="$NODE_DB/qdevice-net-node.p12"
# Which cluster the request in $CRQ was made for (ours, next to it).
CRQ_MARK="$NODE_DB/qnetd-join.cluster"
NODE_CERTUTIL=${QNETD_JOIN_NODE_CERTUTIL:-corosync-qdevice-net-certutil}
DEFAULT_PORT=5443
QNETD_PORT=5403

usage()
{
	echo "usage: corosync-qnetd-join -a arbiter[:port] -C ca_sha256 -P sha256//key_pin -n cluster_name [-t token_file] [-N \"node ...\"] [-h]"
	echo
	echo " -a arbiter[:port]   Address of the arbiter's enrollment service (port $DEFAULT_PORT)"
	echo " -C ca_sha256        SHA-256 of the arbiter's CA certificate (hex, colons allowed)"
	echo " -P sha256//pin      Pin of the service's key (curl --pinnedpubkey form)"
	echo " -n cluster_name     Name of this cluster (cluster_name in corosync.conf)"
	echo " -t token_file       Read the token from this file (default: standard input)"
	echo " -N \"node ...\"       Other cluster nodes to copy the certificate to (ssh as root)"
	echo " -h                  Show this help"
}

die()
{
	echo "corosync-qnetd-join: $*" >&2
	exit 1
}

say()
{
	echo "corosync-qnetd-join: $*"
}

# ---- arguments -------------------------------------------------------------

arbiter=
ca_sha=
pin=
cluster=
token_file=
nodes=
while getopts ":a:C:P:n:t:N:h" opt; do
	case $opt in
	a) arbiter=$OPTARG ;;
	C) ca_sha=$OPTARG ;;
	P) pin=$OPTARG ;;
	n) cluster=$OPTARG ;;
	t) token_file=$OPTARG ;;
	N) nodes=$OPTARG ;;
	h) usage; exit 0 ;;
	:) usage >&2; die "option -$OPTARG requires an argument" ;;
	*) usage >&2; die "invalid option -$OPTARG" ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 0 ] || { usage >&2; die "unexpected argument: $1"; }
[ -n "$arbiter" ] && [ -n "$ca_sha" ] && [ -n "$pin" ] && [ -n "$cluster" ] ||
    { usage >&2; die "-a, -C, -P and -n are required"; }

ca_sha=$(printf '%s' "$ca_sha" | tr -d ':' | tr 'A-F' 'a-f')
case $ca_sha in
*[!0-9a-f]*) die "-C must be a SHA-256 in hex" ;;
esac
[ ${#ca_sha} = 64 ] || die "-C must be a SHA-256 in hex (64 digits)"
case $pin in
sha256//?*) ;;
*) die "-P must look like sha256//BASE64 (curl --pinnedpubkey)" ;;
esac
case $cluster in
*/* | *[[:space:]]* | -*) die "invalid cluster name '$cluster'" ;;
esac

# host[:port], [v6]:port, or a bare IPv6 address.
case $arbiter in
\[*\]:*) host=${arbiter%]:*}; host=${host#[}; port=${arbiter##*]:} ;;
\[*\]) host=${arbiter#[}; host=${host%]}; port=$DEFAULT_PORT ;;
*:*:*) host=$arbiter; port=$DEFAULT_PORT ;;
*:*) host=${arbiter%:*}; port=${arbiter##*:} ;;
*) host=$arbiter; port=$DEFAULT_PORT ;;
esac
case $port in
'' | *[!0-9]*) die "invalid port in '$arbiter'" ;;
esac
case $host in
*:*) url="https://[$host]:$port" ;;
*) url="https://$host:$port" ;;
esac

for t in "$NODE_CERTUTIL" certutil base64 sha256sum; do
	command -v "$t" > /dev/null 2>&1 ||
	    die "$t not found (corosync-qdevice, libnss3-tools and coreutils are needed)"
done
# curl when there is one, else openssl (QNETD_JOIN_TRANSPORT forces one).
transport=${QNETD_JOIN_TRANSPORT:-}
if [ -z "$transport" ]; then
	if command -v curl > /dev/null 2>&1; then
		transport=curl
	elif command -v openssl > /dev/null 2>&1; then
		transport=openssl
	else
		die "curl or openssl is needed"
	fi
fi
case $transport in
curl | openssl) command -v "$transport" > /dev/null 2>&1 || die "$transport not found" ;;
*) die "QNETD_JOIN_TRANSPORT must be curl or openssl" ;;
esac
case $host in
*:*) hostport="[$host]:$port" ;;
*) hostport="$host:$port" ;;
esac

# ---- scratch space and the token -------------------------------------------

umask 077
T=$(mktemp -d "${TMPDIR:-/tmp}/qnetd-join.XXXXXX") || die "can't create a temporary directory"
trap 'rm -rf "$T"' EXIT
trap 'exit 2' INT TERM HUP

if [ -n "$token_file" ]; then
	[ -r "$token_file" ] || die "can't read token file $token_file"
	token=$(head -n 1 "$token_file")
else
	if [ -t 0 ]; then
		printf 'Enrollment token: ' >&2
		stty -echo 2> /dev/null
		read -r token
		stty echo 2> /dev/null
		echo >&2
	else
		read -r token
	fi
fi
token=$(printf '%s' "$token" | tr -d ' \t\r')
case $token in
'' | *[!A-Za-z0-9._-]*) die "the token is empty or holds characters a token never has" ;;
esac
[ ${#token} -le 200 ] || die "the token is too long"
# curl reads the header from this file; no command line ever holds the token.
printf 'Authorization: Bearer %s\n' "$token" > "$T/auth"
token=

# ---- talking to the service --------------------------------------------------

refuse_pin()
{
	die "REFUSED: the key of $hostport does not match the pin -P." \
	    "Something other than your arbiter answered, or the pin is wrong;" \
	    "nothing was sent."
}

# curl_fetch OUT PATH [curl args...]: HTTPS to the pinned service.  Sets
# $status (HTTP status, 000 when none).  Dies on a connection or pin error.
curl_fetch()
{
	out=$1
	path=$2
	shift 2
	status=$(curl --silent --show-error --insecure --pinnedpubkey "$pin" \
	    --connect-timeout 10 --max-time 60 --proto =https \
	    -o "$out" -w '%{http_code}' "$@" "$url$path" 2> "$T/curl.err")
	rc=$?
	[ "$rc" = 0 ] && return 0
	[ "$rc" = 90 ] && refuse_pin
	die "can't reach $url$path: $(cat "$T/curl.err")"
}

# openssl has no key pin for a connection that carries data.  So: one
# connection that sends nothing checks the key against -P; the CA comes
# over a second one and is checked against -C; the request with the token
# goes over a third only if the server's certificate chains to that CA
# and is named "Qnetd Server" (no cluster certificate is).
ossl_pin_checked=
ossl_check_pin()
{
	[ -n "$ossl_pin_checked" ] && return 0
	got=$(openssl s_client -connect "$hostport" < /dev/null 2> /dev/null |
	    openssl x509 -pubkey -noout 2> /dev/null |
	    openssl pkey -pubin -outform der 2> /dev/null |
	    openssl dgst -sha256 -binary | base64)
	[ "sha256//$got" = "$pin" ] || refuse_pin
	ossl_pin_checked=yes
}

# ossl_request OUT REQUEST_FILE: sets $status, the body goes to OUT.
ossl_request()
{
	ossl_check_pin
	set -- "$1" "$2" -connect "$hostport" -quiet
	if [ -f "$T/ca.ok" ]; then
		set -- "$@" -CAfile "$T/ca.pem" -verify_return_error -verify_hostname "Qnetd Server"
	fi
	out=$1
	req=$2
	shift 2
	openssl s_client "$@" < "$req" > "$T/resp" 2> "$T/ossl.err" ||
	    die "TLS to $hostport failed: $(tail -n 3 "$T/ossl.err")"
	status=$(head -n 1 "$T/resp" | cut -d ' ' -f 2)
	case $status in
	[0-9][0-9][0-9]) ;;
	*) die "no HTTP answer from $hostport: $(tail -n 3 "$T/ossl.err")" ;;
	esac
	sed '1,/^\r$/d' "$T/resp" > "$out"
}

# http_get OUT PATH
http_get()
{
	if [ "$transport" = curl ]; then
		curl_fetch "$1" "$2"
		return
	fi
	printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$2" "$host" \
	    > "$T/get"
	ossl_request "$1" "$T/get"
}

# enroll_post OUT: the request $CRQ with the token of $T/auth.
enroll_post()
{
	if [ "$transport" = curl ]; then
		curl_fetch "$1" /v1/enroll -H @"$T/auth" \
		    -H 'Content-Type: application/pkcs10' --data-binary @"$CRQ"
		return
	fi
	{
		printf 'POST /v1/enroll HTTP/1.1\r\nHost: %s\r\n' "$host"
		tr -d '\n' < "$T/auth"
		printf '\r\nContent-Type: application/pkcs10\r\nContent-Length: %s\r\n' \
		    "$(wc -c < "$CRQ" | tr -d ' ')"
		printf 'Connection: close\r\n\r\n'
		cat "$CRQ"
	} > "$T/post"
	ossl_request "$1" "$T/post"
}

# The DER of the first certificate in a PEM file, hashed.
pem_sha256()
{
	sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$1" |
	    sed '1d;$d' | base64 -d 2> /dev/null | sha256sum | cut -d ' ' -f 1
}

say "fetching the CA certificate from $url (key pinned, $transport)"
http_get "$T/ca.pem" /v1/ca.crt
[ "$status" = 200 ] || die "GET /v1/ca.crt answered $status: $(head -c 300 "$T/ca.pem")"
got=$(pem_sha256 "$T/ca.pem")
[ "$got" = "$ca_sha" ] ||
    die "REFUSED: the CA certificate's SHA-256 is $got, not $ca_sha (-C); nothing was changed"
: > "$T/ca.ok"
say "CA certificate matches -C"

# ---- the node database ---------------------------------------------------

db_exists()
{
	[ -f "$NODE_DB/cert9.db" ] || [ -f "$NODE_DB/cert8.db" ]
}

if db_exists; then
	have=$(certutil -L -d "$NODE_DB" -n "$CA_NICKNAME" -r 2> /dev/null | sha256sum |
	    cut -d ' ' -f 1)
	[ "$have" = "$ca_sha" ] ||
	    die "$NODE_DB already exists with another CA; move it away to enrol with this arbiter"
	say "node database $NODE_DB exists with this CA: kept"
else
	"$NODE_CERTUTIL" -i -c "$T/ca.pem" || die "$NODE_CERTUTIL -i failed"
fi

enrolled()
{
	[ -f "$P12" ] && certutil -L -d "$NODE_DB" -n "$CLUSTER_NICKNAME" > /dev/null 2>&1
}

if enrolled; then
	say "this node already holds its cluster certificate ($P12): not enrolling again"
else
	# The same request (and key) again after a lost answer: the service
	# then returns the same certificate instead of refusing the token.
	if [ -f "$CRQ" ] && [ "$(cat "$CRQ_MARK" 2> /dev/null)" = "$cluster" ]; then
		say "sending the certificate request made earlier ($CRQ) again"
	else
		"$NODE_CERTUTIL" -r -n "$cluster" || die "$NODE_CERTUTIL -r failed"
		printf '%s\n' "$cluster" > "$CRQ_MARK"
	fi
	say "sending the certificate request with the token"
	enroll_post "$T/cluster.crt"
	[ "$status" = 200 ] ||
	    die "enrollment refused ($status): $(head -c 300 "$T/cluster.crt")"
	crt="$NODE_DB/cluster-$cluster.crt"
	cp "$T/cluster.crt" "$crt" || die "can't write $crt"
	"$NODE_CERTUTIL" -M -c "$crt" || die "$NODE_CERTUTIL -M failed"
	say "certificate for cluster $cluster imported; $P12 written"
fi

# ---- the other nodes -----------------------------------------------------

# What each other node runs: its own database with the CA (unless it has
# one), then the cluster certificate and key from the .p12.  Idempotent.
remote_steps="set -e; \
[ -f $NODE_DB/cert9.db ] || [ -f $NODE_DB/cert8.db ] || corosync-qdevice-net-certutil -i -c /tmp/qnetd-cacert.crt; \
certutil -L -d $NODE_DB -n '$CLUSTER_NICKNAME' > /dev/null 2>&1 || corosync-qdevice-net-certutil -m -c /tmp/qdevice-net-node.p12; \
rm -f /tmp/qnetd-cacert.crt /tmp/qdevice-net-node.p12"

cp "$T/ca.pem" "$NODE_DB/qnetd-cacert.crt" 2> /dev/null || true
if [ -n "$nodes" ]; then
	command -v scp > /dev/null 2>&1 || die "-N needs ssh and scp between the cluster nodes"
	for n in $nodes; do
		say "copying the certificate to $n"
		scp -q "$NODE_DB/qnetd-cacert.crt" "$P12" "root@$n:/tmp/" ||
		    die "scp to $n failed"
		ssh "root@$n" "$remote_steps" || die "importing on $n failed"
	done
else
	cat <<EOM

On every other node of the cluster, copy these two files from this node
(any way you like: scp, a shared directory, a USB stick):
    $NODE_DB/qnetd-cacert.crt   -> /tmp/qnetd-cacert.crt
    $P12 -> /tmp/qdevice-net-node.p12
then run there, as root:
    corosync-qdevice-net-certutil -i -c /tmp/qnetd-cacert.crt
    corosync-qdevice-net-certutil -m -c /tmp/qdevice-net-node.p12
    rm -f /tmp/qnetd-cacert.crt /tmp/qdevice-net-node.p12
(or run this script again with -N "node2 node3 ..." to do it over ssh
between the cluster nodes).  The .p12 holds the cluster's private key:
keep it off shared storage others can read.
EOM
fi

# ---- what finishes the set-up ------------------------------------------------

cat <<EOM

Certificates are in place.  To give the cluster the arbiter's vote, add
this to the quorum section of corosync.conf on every node:

    quorum {
        provider: corosync_votequorum
        device {
            model: net
            votes: 1
            net {
                tls: on
                host: $host
                port: $QNETD_PORT
                algorithm: ffsplit
            }
        }
    }

(ffsplit for an even number of nodes; lms for other cases.  port is the
arbiter's vote port, 5403 unless it runs with -p.)  Then:

Proxmox VE:  edit /etc/pve/corosync.conf (raise totem.config_version by
  one; pmxcfs copies it to every node), then on every node:
      systemctl enable --now corosync-qdevice
  and check with: pvecm status
  ("pvecm qdevice setup" is not needed: it would use ssh to the arbiter.)

pcs:  edit /etc/corosync/corosync.conf on one node, then
      pcs cluster sync && pcs cluster reload corosync
      pcs cluster enable --all   # corosync-qdevice starts with the cluster
      systemctl enable --now corosync-qdevice   # on every node
  and check with: pcs quorum status
  ("pcs quorum device add" would instead ask pcsd on the arbiter to sign.)

crmsh:  crm corosync edit (add the stanza), crm corosync push, then
      crm cluster run "systemctl enable --now corosync-qdevice"
  and check with: crm corosync status qdevice
  ("crm cluster init qdevice" would instead use ssh to the arbiter.)

Check the vote on the arbiter with: corosync-qnetd-tool -l
EOM
exit 0

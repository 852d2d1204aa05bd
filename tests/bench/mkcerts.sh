#!/bin/sh
# mkcerts.sh DIR [SAN [KEY]]: throw-away NSS databases for the benchmark, made
# the way corosync-qnetd-certutil makes the arbiter's (empty password, a
# self-signed "QNet CA", the server cert "QNetd Cert" with CN=Qnetd Server)
# plus one client certificate "Cluster Cert" for every benchmark cluster.
#
# The daemon checks the client certificate against the cluster name with
# NSS CERT_VerifyCertName (host-name rules), so one certificate whose SAN
# is a wildcard DNS name (default *.bench.qnetd) serves every cluster
# named cN.bench.qnetd: one certificate instead of one per cluster.
#
# KEY is the server key type: rsa (default, RSA-2048 as -i makes) or
# ecdsa (P-256, as corosync-qnetd-certutil -R makes).  Only the server
# key changes what a handshake costs the daemon; the CA and the client
# certificate stay RSA, as on an arbiter re-keyed after enrollment.
#
# DIR/server is the daemon's database, DIR/client the generator's: two
# copies, because NSS keeps an SQLite database and two processes sharing
# one contend on its file locks at every handshake (seen as an idle,
# crawling daemon), which a real arbiter and its clients never do.
#
# The daemon's copy then loses "Cluster Cert" and its key: a real
# arbiter's database holds only the CA (with its key) and its own server
# certificate, and a client certificate there makes the daemon's lookups
# by subject find and check one more certificate at every handshake.
set -eu
dir=$1/server
san=${2:-*.bench.qnetd}
case ${3:-rsa} in
rsa) server_key="-k rsa -g 2048" ;;
ecdsa) server_key="-k ec -q nistp256" ;;
*) echo "mkcerts.sh: key type must be rsa or ecdsa" >&2; exit 2 ;;
esac
mkdir -p "$dir"
: >"$dir/pwdfile"
head -c 64 /dev/urandom >"$dir/noise"
certutil -N -d "sql:$dir" -f "$dir/pwdfile"
# Is a CA, no path length limit, critical extension.
printf 'y\n-1\ny\n' | certutil -S -n "QNet CA" -s "CN=QNet bench CA" -x -t "CT,," \
	-m 1 -v 12 -d "sql:$dir" -z "$dir/noise" -f "$dir/pwdfile" -2 >/dev/null
# shellcheck disable=SC2086
certutil -S -n "QNetd Cert" -s "CN=Qnetd Server" -c "QNet CA" -t "u,u,u" -m 2 -v 12 \
	-d "sql:$dir" -z "$dir/noise" -f "$dir/pwdfile" $server_key
certutil -S -n "Cluster Cert" -s "CN=$san" --extSAN "dns:$san" -c "QNet CA" \
	-t "u,u,u" -m 3 -v 12 -d "sql:$dir" -z "$dir/noise" -f "$dir/pwdfile"
rm -f "$dir/noise"
cp -r "$dir" "$1/client"
# -F deletes the certificate and its private key.
certutil -F -n "Cluster Cert" -d "sql:$dir" -f "$dir/pwdfile"

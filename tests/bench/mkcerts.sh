#!/bin/sh
# mkcerts.sh DIR [SAN]: throw-away NSS databases for the benchmark, made
# the way corosync-qnetd-certutil makes the arbiter's (empty password, a
# self-signed "QNet CA", the server cert "QNetd Cert" with CN=Qnetd Server)
# plus one client certificate "Cluster Cert" for every benchmark cluster.
#
# The daemon checks the client certificate against the cluster name with
# NSS CERT_VerifyCertName (host-name rules), so one certificate whose SAN
# is a wildcard DNS name (default *.bench.qnetd) serves every cluster
# named cN.bench.qnetd: one certificate instead of one per cluster.
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
mkdir -p "$dir"
: >"$dir/pwdfile"
head -c 64 /dev/urandom >"$dir/noise"
certutil -N -d "sql:$dir" -f "$dir/pwdfile"
# Is a CA, no path length limit, critical extension.
printf 'y\n-1\ny\n' | certutil -S -n "QNet CA" -s "CN=QNet bench CA" -x -t "CT,," \
	-m 1 -v 12 -d "sql:$dir" -z "$dir/noise" -f "$dir/pwdfile" -2 >/dev/null
certutil -S -n "QNetd Cert" -s "CN=Qnetd Server" -c "QNet CA" -t "u,u,u" -m 2 -v 12 \
	-d "sql:$dir" -z "$dir/noise" -f "$dir/pwdfile"
certutil -S -n "Cluster Cert" -s "CN=$san" --extSAN "dns:$san" -c "QNet CA" \
	-t "u,u,u" -m 3 -v 12 -d "sql:$dir" -z "$dir/noise" -f "$dir/pwdfile"
rm -f "$dir/noise"
cp -r "$dir" "$1/client"
# -F deletes the certificate and its private key.
certutil -F -n "Cluster Cert" -d "sql:$dir" -f "$dir/pwdfile"

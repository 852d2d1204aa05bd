#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# corosync-qnetd-certutil: keeps the certificate authority of a qnetd
# arbiter in an NSS database and signs the certificate requests of the
# clusters that use it.  A thin layer over NSS certutil (libnss3-tools).
#
# Its command line, file names, modes, stdout lines and exit codes are a
# contract: pvecm, pcs, crmsh and corosync-qdevice-net-certutil -Q run it
# over ssh and parse what it prints.  See corosync-qnetd-certutil(8).
#
# POSIX sh on purpose: small arbiter images (OpenWrt, containers) often
# have no bash, and nothing here needs it.

# Tests point this at a scratch directory; the default is the one every
# tool expects to scp from.
CONFIG_DIR=${QNETD_CONFIG_DIR:-@SYSCONFDIR@/corosync/qnetd}
DB_DIR="$CONFIG_DIR/nssdb"
# Tokens, the registry of signed certificates, the revoked list and the
# CA lock: the units' StateDirectory=.  A test that moves the
# configuration directory gets the state beside it unless it says where.
if [ -n "${QNETD_STATE_DIR:-}" ]; then
	STATE_DIR=$QNETD_STATE_DIR
elif [ -n "${QNETD_CONFIG_DIR:-}" ]; then
	STATE_DIR="$QNETD_CONFIG_DIR/state"
else
	STATE_DIR=/var/lib/corosync-qnetd
fi

# The C helper that signs (fixed profile, under the CA lock) and keeps
# tokens and the registry.  Beside this script in a build tree, else
# where the package installs it.
CA_HELPER=${QNETD_CA_HELPER:-}
if [ -z "$CA_HELPER" ]; then
	CA_HELPER="$(dirname "$0")/corosync-qnetd-ca"
	[ -x "$CA_HELPER" ] || CA_HELPER=@HELPERDIR@/corosync-qnetd-ca
fi
# Asked for the "last seen" column of -l when the daemon runs.
QNETD_TOOL=${QNETD_TOOL:-corosync-qnetd-tool}

CA_NICKNAME="QNet CA"
CA_SUBJECT="CN=QNet CA"
SERVER_NICKNAME="QNetd Cert"
SERVER_SUBJECT="CN=Qnetd Server"
# 100 years, in months: nothing on either side renews certificates.
VALIDITY_MONTHS=1200
# Explicit, so that an old NSS with other defaults still produces what
# current crypto policies accept.
KEY_BITS=2048
HASH_ALG=SHA256
# The one curve offered besides RSA: every NSS and OpenSSL corosync-qdevice
# was built with has P-256.
EC_CURVE=nistp256

PWD_FILE="$DB_DIR/pwdfile.txt"
NOISE_FILE="$DB_DIR/noise.txt"
SERIAL_FILE="$DB_DIR/serial.txt"
CA_EXPORT_FILE="$DB_DIR/qnetd-cacert.crt"

# Files of the two NSS database formats; the first one names the format.
DB_FILES_SQL="cert9.db key4.db pkcs11.txt"
DB_FILES_LEGACY="cert8.db key3.db secmod.db"

group_write=yes
# Token lifetime in minutes: default and most.
TOKEN_MINUTES=60
TOKEN_MINUTES_MAX=1440

usage()
{
	echo "$0: [-i|-s|-R|-t|-T|-W token_id|-l|-r cluster_name|serial] [-c certificate] [-G] [-n cluster_name] [-x] [-k key_type] [-K key_type] [-e minutes] [-a address[:port]] [-j]"
	echo
	echo " -i                  Initialize QNetd CA and generate server certificate"
	echo " -R                  Re-key the server certificate under the existing CA (ecdsa unless -k)"
	echo " -k rsa|ecdsa        With -i or -R: server key type (RSA-2048 or ECDSA P-256)"
	echo " -K rsa|ecdsa        With -i: CA key type (default rsa)"
	echo " -s                  Sign cluster certificate (needs cluster certificate)"
	echo " -c certificate      CRQ certificate file name"
	echo " -G                  Do not set group write bit for new files"
	echo " -n cluster_name     Name of cluster (for -s operation)"
	echo " -x                  With -s: refuse a cluster that already has a valid certificate"
	echo " -t                  Issue an enrollment token for the cluster named with -n"
	echo " -e minutes          With -t: token lifetime (default 60, at most 1440)"
	echo " -a address[:port]   With -t: arbiter address for the join command (default: hostname -f)"
	echo " -T                  List outstanding enrollment tokens"
	echo " -W token_id         Withdraw an enrollment token"
	echo " -l                  List the certificates the CA signed"
	echo " -j                  With -l: JSON output"
	echo " -r name|serial      Revoke the certificates of a cluster, or one by serial"
	exit 0
}

die()
{
	code=$1
	shift
	echo "$*" >&2
	exit "$code"
}

# New files belong to whoever owns the configuration directory, so an
# administrator who gave it to coroqnetd keeps the daemon able to read
# them.  Only root can give files away; others keep their own.
give_like_config_dir()
{
	[ "$(id -u)" = 0 ] || return 0
	chown --reference="$CONFIG_DIR" "$@" 2>/dev/null && return 0
	# busybox chown has no --reference
	owner=$(stat -c '%u:%g' "$CONFIG_DIR" 2>/dev/null) || return 0
	chown "$owner" "$@" 2>/dev/null || true
}

# -G leaves the group read-only: the daemon, running as the group, can
# read the database but cannot change it.
file_mode()
{
	if [ "$group_write" = yes ]; then echo 0660; else echo 0640; fi
}

dir_mode()
{
	if [ "$group_write" = yes ]; then echo 0770; else echo 0750; fi
}

# Prints the file list of the database format found in DB_DIR; fails
# when there is no database.
db_files()
{
	for set in "$DB_FILES_SQL" "$DB_FILES_LEGACY"; do
		first=${set%% *}
		if [ -f "$DB_DIR/$first" ]; then
			echo "$set"
			return 0
		fi
	done
	return 1
}

# Seeds certutil's key generation.  The kernel's generator is the real
# entropy; this only has to exist and differ between hosts.  od and
# /dev/urandom are everywhere, unlike sha1sum, ps and w.
make_noise_file()
{
	if [ -e "$NOISE_FILE" ]; then
		echo "Using existing noise file $NOISE_FILE"
		return 0
	fi
	echo "Creating new noise file $NOISE_FILE"
	noise=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n') ||
	    die 1 "Can't read /dev/urandom"
	echo "$noise" > "$NOISE_FILE" || die 1 "Can't write $NOISE_FILE"
	give_like_config_dir "$NOISE_FILE"
	chmod "$(file_mode)" "$NOISE_FILE"
}

# Takes the next certificate serial number: serial.txt holds the last
# one issued, starting from 100, so the CA gets 101 and the server 102.
# Sets $serial rather than printing it, so that the file is created and
# updated by this shell, not a subshell.
next_serial()
{
	if [ ! -f "$SERIAL_FILE" ]; then
		echo 100 > "$SERIAL_FILE" || die 1 "Can't write $SERIAL_FILE"
		give_like_config_dir "$SERIAL_FILE"
		chmod "$(file_mode)" "$SERIAL_FILE"
	fi
	last=$(cat "$SERIAL_FILE") || die 1 "Can't read $SERIAL_FILE"
	case $last in
	'' | *[!0-9]*)
		die 1 "Serial number file $SERIAL_FILE is corrupt" ;;
	esac
	serial=$((last + 1))
	echo "$serial" > "$SERIAL_FILE" || die 1 "Can't write $SERIAL_FILE"
}

new_db()
{
	if [ ! -d "$DB_DIR" ]; then
		echo "Creating $DB_DIR"
		mkdir -p "$DB_DIR" || die 1 "Can't create $DB_DIR"
		give_like_config_dir "$DB_DIR"
		chmod "$(dir_mode)" "$DB_DIR"
	fi

	echo "Creating new key and cert db"
	: > "$PWD_FILE" || die 1 "Can't write $PWD_FILE"
	give_like_config_dir "$PWD_FILE"
	chmod "$(file_mode)" "$PWD_FILE"

	certutil -N -d "$DB_DIR" -f "$PWD_FILE"
	files=$(db_files) || die 1 "Can't find certificate database files." \
	    "Certificate database ($DB_DIR) cannot be created"
	for f in $files; do
		give_like_config_dir "$DB_DIR/$f"
		chmod "$(file_mode)" "$DB_DIR/$f"
	done
}

# certutil's key options for a key type word of -k/-K.
key_args()
{
	case $1 in
	rsa) echo "-k rsa -g $KEY_BITS" ;;
	ecdsa) echo "-k ec -q $EC_CURVE" ;;
	*) return 1 ;;
	esac
}

# The self-signed CA.  certutil asks three questions for -2 (basic
# constraints): is it a CA (y), path length (0: it signs only end
# certificates), critical (y).
new_ca()
{
	echo "Creating new CA"
	next_serial
	# key_args prints several words on purpose.
	# shellcheck disable=SC2046
	printf 'y\n0\ny\n\n' | certutil -S -n "$CA_NICKNAME" -s "$CA_SUBJECT" \
	    -x -t "CT,," -m "$serial" -v "$VALIDITY_MONTHS" -d "$DB_DIR" \
	    -z "$NOISE_FILE" -f "$PWD_FILE" $(key_args "$ca_key_type") \
	    -Z "$HASH_ALG" -2 || die 1 "Can't create the CA certificate"
}

# Nodes import this with certutil -A, which skips the human readable
# part before the PEM block; pcs compares the PEM block.
export_ca()
{
	{
		certutil -L -d "$DB_DIR" -n "$CA_NICKNAME" &&
		certutil -L -d "$DB_DIR" -n "$CA_NICKNAME" -a
	} > "$CA_EXPORT_FILE" || die 1 "Can't export the CA certificate"
	give_like_config_dir "$CA_EXPORT_FILE"
}

# Clients check that the server certificate names "Qnetd Server" and
# chains to the CA they imported; the daemon finds it by nickname.
# Takes $serial; fails rather than dies, so that -R can roll back.
make_server_cert()
{
	# shellcheck disable=SC2046
	certutil -S -n "$SERVER_NICKNAME" -s "$SERVER_SUBJECT" \
	    -c "$CA_NICKNAME" -t "u,u,u" -m "$serial" -v "$VALIDITY_MONTHS" \
	    -d "$DB_DIR" -z "$NOISE_FILE" -f "$PWD_FILE" \
	    $(key_args "$server_key_type") -Z "$HASH_ALG"
}

new_server_cert()
{
	next_serial
	make_server_cert || die 1 "Can't create the server certificate"
}

init_ca()
{
	if db_files > /dev/null; then
		die 1 "Certificate database ($DB_DIR) already exists." \
		    "Delete it to initialize new db"
	fi
	new_db
	make_noise_file
	new_ca
	export_ca
	new_server_cert
	echo "QNetd CA certificate is exported as $CA_EXPORT_FILE"
}

# The subject comes from the request; corosync-qdevice-net-certutil
# writes CN=<cluster name>, which the daemon later matches against the
# cluster name the client announces.  The result is DER.
sign_request()
{
	[ -e "$csr_file" ] || die 2 "Can't open certificate file $csr_file"
	[ -n "$cluster_name" ] || die 2 "You have to specify cluster name"
	# The name becomes part of a path in the database directory.
	case $cluster_name in
	*/*)
		die 2 "Cluster name must not contain /" ;;
	esac
	db_files > /dev/null || die 1 "Certificate database doesn't exists." \
	    "Use $0 -i to create it"

	crt_file="$DB_DIR/cluster-$cluster_name.crt"
	echo "Signing cluster certificate"
	# The helper signs with the fixed profile (subject CN=<-n name>, no
	# extension of the request copied), takes the serial under the CA
	# lock and records the certificate; it writes the file atomically.
	if [ "$strict" = yes ]; then
		"$CA_HELPER" -d "$DB_DIR" -S "$STATE_DIR" sign "$csr_file" \
		    "$cluster_name" strict
	else
		"$CA_HELPER" -d "$DB_DIR" -S "$STATE_DIR" sign "$csr_file" \
		    "$cluster_name"
	fi
	rc=$?
	# Refused by -x: the cluster keeps its certificate.
	[ "$rc" = 3 ] && exit 3
	if [ "$rc" != 0 ]; then
		# A failed signing must leave no certificate of that name
		# behind for the caller to fetch as if it were fresh.
		rm -f "$crt_file"
		exit 1
	fi
	give_like_config_dir "$crt_file"
	echo "Certificate stored in $crt_file"
}

# Puts the database files saved by rekey_server back, in place (same
# inodes), so a daemon that has the database open sees the old content.
restore_db()
{
	for f in $files; do
		cp "$backup/$f" "$DB_DIR/$f" || echo "Can't restore $DB_DIR/$f from $backup" >&2
	done
}

# -R: a new key and certificate "QNetd Cert" (same subject, signed by the
# same CA, next serial) in place of the old one.  Clusters trust the CA,
# not the server key, so none re-enrolls.  The database is changed in
# place, so that a running daemon's SIGHUP reload finds the new pair;
# on failure its files are put back as they were.
rekey_server()
{
	need_db
	files=$(db_files)
	certutil -L -d "$DB_DIR" -n "$CA_NICKNAME" > /dev/null 2>&1 ||
	    die 1 "Can't find the CA certificate \"$CA_NICKNAME\" in $DB_DIR"
	make_noise_file
	serial=$(ca_helper serial-next) || die 1 "Can't take a serial number"
	# The copy holds the private keys: mktemp makes the directory 0700,
	# and it goes whatever way the script ends.
	backup=$(mktemp -d "${TMPDIR:-/tmp}/qnetd-rekey.XXXXXX") ||
	    die 1 "Can't create a temporary directory"
	trap 'rm -rf "$backup"' EXIT
	trap 'exit 1' INT TERM HUP
	for f in $files; do
		cp -p "$DB_DIR/$f" "$backup/$f" || die 1 "Can't copy $DB_DIR/$f"
	done
	echo "Re-keying server certificate \"$SERVER_NICKNAME\" ($server_key_type)"
	# -F removes the certificate and its private key.
	if certutil -L -d "$DB_DIR" -n "$SERVER_NICKNAME" > /dev/null 2>&1 &&
	    ! certutil -F -d "$DB_DIR" -n "$SERVER_NICKNAME" -f "$PWD_FILE"; then
		restore_db
		die 1 "Can't remove the old server certificate"
	fi
	if ! make_server_cert ||
	    ! certutil -V -u V -d "$DB_DIR" -n "$SERVER_NICKNAME" > /dev/null; then
		restore_db
		die 1 "Can't create the server certificate; the old one is kept"
	fi
	echo "Server certificate re-keyed: $server_key_type key, serial $serial"
	echo "Restart the daemon, or run 'systemctl kill -s HUP corosync-qnetd', to use it;"
	echo "restart corosync-qnetd-enroll too if it runs (it loads the key at start)"
	echo "Enrollment tokens issued before carry the old key's pin: issue new ones (-t)"
}

need_db()
{
	db_files > /dev/null || die 1 "Certificate database doesn't exists." \
	    "Use $0 -i to create it"
}

ca_helper()
{
	"$CA_HELPER" -d "$DB_DIR" -S "$STATE_DIR" "$@"
}

issue_token()
{
	need_db
	[ -n "$cluster_name" ] || die 2 "You have to specify cluster name"
	case $token_minutes in
	'' | *[!0-9]*) die 2 "Token lifetime must be 1 to $TOKEN_MINUTES_MAX minutes" ;;
	esac
	if [ -z "$arbiter" ]; then
		arbiter=$(hostname -f 2> /dev/null) || arbiter=
		[ -n "$arbiter" ] || arbiter=$(hostname)
	fi
	ca_helper token-issue "$cluster_name" "$token_minutes" "$arbiter"
}

list_registry()
{
	need_db
	format=text
	[ "$json" = yes ] && format=json
	# When the daemon runs, its status says when it last saw each
	# certificate; without it the column stays empty.
	status=$(mktemp "${TMPDIR:-/tmp}/qnetd-status.XXXXXX") || die 1 "Can't create a temporary file"
	$QNETD_TOOL -j > "$status" 2> /dev/null || : > "$status"
	ca_helper list "$format" "$status"
	rc=$?
	rm -f "$status"
	exit "$rc"
}

# The CRL of every revoked certificate, signed by the CA, into the NSS
# database, for daemons that check CRLs through NSS (Debian's).  Two
# revocations in one second would give two CRLs with the same date,
# which NSS refuses as not newer: the second try waits a second.
write_crl()
{
	script=$(mktemp "${TMPDIR:-/tmp}/qnetd-crl.XXXXXX") || die 1 "Can't create a temporary file"
	for try in 1 2; do
		if ca_helper crl-script > "$script" &&
		    crlutil -G -d "$DB_DIR" -n "$CA_NICKNAME" -c "$script" \
		    -f "$PWD_FILE" > /dev/null 2>&1; then
			rm -f "$script"
			return 0
		fi
		sleep 1
	done
	rm -f "$script"
	die 1 "Can't write the CRL into $DB_DIR"
}

revoke()
{
	need_db
	ca_helper revoke "$revoke_target" || exit $?
	write_crl
	echo "CRL written to $DB_DIR"
	echo "Run 'systemctl kill -s HUP corosync-qnetd' so that the running daemon refuses it"
}

operation=
csr_file=
cluster_name=
strict=no
json=no
token_minutes=$TOKEN_MINUTES
arbiter=
token_id=
revoke_target=
server_key_type=
ca_key_type=rsa
while getopts ":GhisxtTljRc:n:e:a:W:r:k:K:" opt; do
	case $opt in
	i) operation=init ;;
	R) operation=rekey ;;
	k) server_key_type=$OPTARG ;;
	K) ca_key_type=$OPTARG ;;
	s) operation=sign ;;
	h) usage ;;
	c) csr_file=$OPTARG ;;
	G) group_write=no ;;
	n) cluster_name=$OPTARG ;;
	x) strict=yes ;;
	t) operation=token ;;
	T) operation=tokens ;;
	W) operation=withdraw token_id=$OPTARG ;;
	l) operation=list ;;
	j) json=yes ;;
	r) operation=revoke revoke_target=$OPTARG ;;
	e) token_minutes=$OPTARG ;;
	a) arbiter=$OPTARG ;;
	:) die 1 "Option -$OPTARG requires an argument." ;;
	*) die 1 "Invalid option: -$OPTARG" ;;
	esac
done

# RSA-2048 stays what -i makes (drop-in for upstream); -R is there to
# move to ECDSA, which costs the server far less per TLS handshake.
if [ -z "$server_key_type" ]; then
	server_key_type=rsa
	[ "$operation" = rekey ] && server_key_type=ecdsa
fi
for type in "$server_key_type" "$ca_key_type"; do
	key_args "$type" > /dev/null || die 2 "Key type must be rsa or ecdsa, not $type"
done

case $operation in
init) init_ca ;;
rekey) rekey_server ;;
sign) sign_request ;;
token) issue_token ;;
tokens) need_db && ca_helper token-list ;;
withdraw) need_db && ca_helper token-withdraw "$token_id" ;;
list) list_registry ;;
revoke) revoke ;;
*) usage ;;
esac

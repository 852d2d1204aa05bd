# Interop harness library: test hosts as network + mount namespaces, real corosync,
# corosync-qdevice and an arbiter daemon; fault injection; state readings.
# Sourced by tests/interop/run.sh (bash).  Everything it creates is named $QI-*
# (QI = qi-<pid of run.sh>) and every process it starts is recorded in $W/pids.

SUBNET=10.213.0		# exists only on the veths inside our namespaces
ARB_IP=$SUBNET.254
BR_NS=$QI-br

declare -A HPID HIP		# host -> pid of its namespace holder, host -> address
declare -A CPID QPID		# host -> corosync pid, host -> corosync-qdevice pid
declare -A CLNODES CLOPTS	# cluster -> "host host ...", cluster -> option string
declare -A HCL			# host -> its cluster
HOSTS=""
NEXT_IP=1
ARB_PID=""
CERT_JOBS=""

log()
{
	printf '%s %s\n' "$(date +%T.%3N)" "$*" >>"$W/harness.log"
}

say()
{
	printf '%s\n' "$*"
	log "$*"
}

track_pid()
{
	echo "$1" >>"$W/pids"
}

# Seconds since the epoch with millisecond resolution.
now()
{
	date +%s.%3N
}

elapsed()
{
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

# Run a command inside a test host: its network and its private mount namespace.
hx()
{
	local h=$1
	shift
	nsenter -t "${HPID[$h]}" -m -n -- "$@"
}

# hx_bg HOST LOG COMMAND...: start COMMAND in HOST in the background, output
# appended to LOG.  nsenter execs the command, so BG_PID is the program's pid.
hx_bg()
{
	local h=$1 l=$2
	shift 2
	nsenter -t "${HPID[$h]}" -m -n -- "$@" >>"$l" 2>&1 &
	BG_PID=$!
	track_pid "$BG_PID"
}

net_init()
{
	ip netns add "$BR_NS" || return 1
	echo "$BR_NS" >>"$W/netns"
	ip -n "$BR_NS" link set lo up
	ip -n "$BR_NS" link add br0 type bridge || return 1
	ip -n "$BR_NS" link set br0 up
}

# host_add NAME: a network namespace on the bridge plus a mount-namespace holder
# process whose /etc/corosync, /var/lib/corosync, /var/log/corosync and
# /var/lib/corosync-qnetd (the arbiter's registry, tokens and revoked list)
# are private directories under $W/NAME and whose /run and /dev/shm are
# fresh tmpfs.
host_add()
{
	local h=$1 ns=$QI-$1 ip idx i
	if [ "$h" = arb ]; then
		ip=$ARB_IP
	else
		ip=$SUBNET.$NEXT_IP
		NEXT_IP=$((NEXT_IP + 1))
	fi
	idx=${ip##*.}
	ip netns add "$ns" || return 1
	echo "$ns" >>"$W/netns"
	ip -n "$BR_NS" link add "v$idx" type veth peer name eth0 netns "$ns" || return 1
	ip -n "$BR_NS" link set "v$idx" master br0 up
	ip -n "$ns" addr add "$ip/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
	mkdir -p "$W/$h/etc" "$W/$h/lib" "$W/$h/log" "$W/$h/state" /var/lib/corosync-qnetd
	chmod 700 "$W/$h/state"
	rm -f "$W/$h/ready"
	unshare --mount --propagation private nsenter --net="/run/netns/$ns" sh -c '
		set -e
		mount --bind "$1/etc" /etc/corosync
		mount --bind "$1/lib" /var/lib/corosync
		mount --bind "$1/log" /var/log/corosync
		mount --bind "$1/state" /var/lib/corosync-qnetd
		mount -t tmpfs -o mode=755 tmpfs /run
		mount -t tmpfs -o mode=1777 tmpfs /dev/shm
		touch "$1/ready"
		exec sleep 1000000' holder "$W/$h" &
	HPID[$h]=$!
	track_pid "${HPID[$h]}"
	for i in $(seq 50); do
		[ -e "$W/$h/ready" ] && break
		sleep 0.1
	done
	[ -e "$W/$h/ready" ] || { say "  host $h: mount namespace not ready"; return 1; }
	HIP[$h]=$ip
	HOSTS="$HOSTS $h"
}

# ---------------------------------------------------------------- certificates

# The arbiter side of `pvecm qdevice setup`: init the CA and server certificate.
# An arbiter keeps its CA for years, so the first scenario of a daemon run makes
# it and later scenarios start from a copy of that /etc/corosync, where `-i`
# must refuse to overwrite the database (pvecm runs it and ignores that).
arb_cert_init()
{
	local tmpl=$ARB_TEMPLATE
	if [ -d "$tmpl/qnetd/nssdb" ]; then
		cp -a "$tmpl/." "$W/arb/etc/"
		if hx arb "$QNETD_CERTUTIL" -i >>"$W/arb/certutil.log" 2>&1; then
			say "  $QNETD_CERTUTIL -i overwrote an existing database"
			return 1
		fi
	else
		hx arb "$QNETD_CERTUTIL" -i >>"$W/arb/certutil.log" 2>&1 || return 1
		mkdir -p "$tmpl"
		cp -a "$W/arb/etc/." "$tmpl/"
	fi
	mkdir -p "$W/xfer"
	cp "$W/arb/etc/qnetd/nssdb/qnetd-cacert.crt" "$W/xfer/qnetd-cacert.crt"
}

# node_cert_request HOST NAME: -i and -r on a node, sign on the arbiter, -M back
# on the node.  Leaves the PKCS#12 in $W/xfer/NAME.p12.
node_cert_request()
{
	local h=$1 name=$2 nss=$W/$1/etc/qdevice/net/nssdb l=$W/$1/certutil.log
	hx "$h" corosync-qdevice-net-certutil -i -c "$W/xfer/qnetd-cacert.crt" >>"$l" 2>&1 ||
	    return 1
	log "cert -i done $h"
	hx "$h" corosync-qdevice-net-certutil -r -n "$name" >>"$l" 2>&1 || return 1
	log "cert -r done $h"
	cp "$nss/qdevice-net-node.crq" "$W/xfer/$name.crq"
	# One signer at a time: certutil -s increments serial.txt.
	flock "$W/xfer/sign.lock" nsenter -t "${HPID[arb]}" -m -n -- \
	    "$QNETD_CERTUTIL" -s -c "$W/xfer/$name.crq" -n "$name" \
	    >>"$W/arb/certutil.log" 2>&1 || return 1
	log "cert -s done $h"
	cp "$W/arb/etc/qnetd/nssdb/cluster-$name.crt" "$nss/"
	hx "$h" corosync-qdevice-net-certutil -M -c "/etc/corosync/qdevice/net/nssdb/cluster-$name.crt" \
	    >>"$l" 2>&1 || return 1
	log "cert -M done $h"
	cp "$nss/qdevice-net-node.p12" "$W/xfer/$name.p12"
}

# node_cert_import HOST NAME: -i and -m with the p12 made by node_cert_request.
node_cert_import()
{
	local h=$1 name=$2 l=$W/$1/certutil.log
	hx "$h" corosync-qdevice-net-certutil -i -c "$W/xfer/qnetd-cacert.crt" >>"$l" 2>&1 ||
	    return 1
	hx "$h" corosync-qdevice-net-certutil -m -c "$W/xfer/$name.p12" >>"$l" 2>&1
}

# ---------------------------------------------------------------- arbiter

# arb_start [daemon args...]: start the arbiter daemon in the foreground (it is
# our child, so its pid is known) and wait until it listens on 5403.  Ours
# keeps its vote memory in the host's private /var/lib/corosync, never in the
# machine's /var/lib/corosync-qnetd: a memory must not leak between scenarios.
arb_start()
{
	local i
	[ "$DAEMON" = ours ] && set -- -S state_dir=/var/lib/corosync/qnetd-state "$@"
	echo "=== start $(date +%T) $QNETD_BIN -f -d ${QNETD_EXTRA_ARGS:-} $*" >>"$W/arb/qnetd.log"
	# shellcheck disable=SC2086 # QNETD_EXTRA_ARGS: words on purpose
	hx_bg arb "$W/arb/qnetd.log" "$QNETD_BIN" -f -d ${QNETD_EXTRA_ARGS:-} "$@"
	ARB_PID=$BG_PID
	for i in $(seq 100); do
		if hx arb ss -Hltn 'sport = :5403' 2>/dev/null | grep -q LISTEN; then
			return 0
		fi
		kill -0 "$ARB_PID" 2>/dev/null || break
		sleep 0.1
	done
	say "  arbiter did not start (see $W/arb/qnetd.log)"
	return 1
}

# arb_stop [SIGNAL]: TERM (clean stop) or KILL.
arb_stop()
{
	local sig=${1:-TERM}
	[ -n "$ARB_PID" ] || return 0
	kill -"$sig" "$ARB_PID" 2>/dev/null
	{ wait "$ARB_PID"; } 2>/dev/null
	echo "=== stopped $(date +%T) by SIG$sig" >>"$W/arb/qnetd.log"
	ARB_PID=""
}

# arb_alive: the daemon is running (our child: a dead one is a zombie until
# reaped, which kill -0 would not notice).
arb_alive()
{
	local st
	st=$(awk '{ print $3 }' "/proc/$ARB_PID/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

arb_tool()
{
	hx arb "$QNETD_TOOL" "$@"
}

# ---------------------------------------------------------------- cluster nodes

# cluster_conf CLUSTER: corosync.conf for every node of CLUSTER.
# CLOPTS[CLUSTER] holds key=value words: algo, tb, kap, tls, votes, heur.
cluster_conf()
{
	local cl=$1 h id=0 algo=ffsplit tb=lowest kap=off tls=on votes="" heur="" o
	for o in ${CLOPTS[$cl]}; do
		case $o in
		algo=*) algo=${o#algo=};;
		tb=*) tb=${o#tb=};;
		kap=*) kap=${o#kap=};;
		tls=*) tls=${o#tls=};;
		votes=*) votes=${o#votes=};;
		heur=*) heur=${o#heur=};;
		esac
	done
	{
		cat <<EOF
totem {
	version: 2
	cluster_name: $cl
	transport: knet
	crypto_cipher: none
	crypto_hash: none
	token: 1000
	token_coefficient: 250
	interface {
		linknumber: 0
	}
}
logging {
	to_stderr: no
	to_logfile: yes
	logfile: /var/log/corosync/corosync.log
	to_syslog: no
	timestamp: hires
}
quorum {
	provider: corosync_votequorum
	device {
		model: net
		timeout: 3000
		sync_timeout: 5000
EOF
		[ -n "$votes" ] && printf '\t\tvotes: %s\n' "$votes"
		if [ -n "$heur" ]; then
			cat <<EOF
		heuristics {
			mode: $heur
			interval: 2000
			timeout: 1000
			sync_timeout: 1000
			exec_check: /usr/bin/test ! -e /run/qi-heuristics-fail
		}
EOF
		fi
		cat <<EOF
		net {
			host: $ARB_IP
			algorithm: $algo
			tie_breaker: $tb
			tls: $tls
			keep_active_partition_tie_breaker: $kap
		}
	}
}
nodelist {
EOF
		for h in ${CLNODES[$cl]}; do
			id=$((id + 1))
			printf '\tnode {\n\t\tname: %s\n\t\tnodeid: %d\n\t\tring0_addr: %s\n\t}\n' \
			    "$h" "$id" "${HIP[$h]}"
		done
		echo "}"
	} >"$W/$cl.conf"
	for h in ${CLNODES[$cl]}; do
		cp "$W/$cl.conf" "$W/$h/etc/corosync.conf"
	done
}

# cluster_add CLUSTER N "options": N hosts named CLUSTER1..CLUSTERN and their
# config; certificates the pvecm way (request on the first node, p12 imported on
# the others) run in the background: nodes_start waits for them.
cluster_add()
{
	local cl=$1 n=$2 i
	CLOPTS[$cl]=$3
	CLNODES[$cl]=""
	log "cluster_add $cl $n"
	for i in $(seq "$n"); do
		host_add "$cl$i" || return 1
		CLNODES[$cl]="${CLNODES[$cl]} $cl$i"
		HCL[$cl$i]=$cl
	done
	cluster_conf "$cl"
	cluster_certs "$cl" >>"$W/harness.log" 2>&1 &
	CERT_JOBS="$CERT_JOBS $!"
	track_pid "$!"
}

cluster_certs()
{
	local cl=$1 h first="" pids="" p rc=0
	for h in ${CLNODES[$cl]}; do
		if [ -z "$first" ]; then
			first=$h
			node_cert_request "$h" "$cl" || { echo "certificates failed on $h"; return 1; }
			continue
		fi
		node_cert_import "$h" "$cl" &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || rc=1
	done
	[ "$rc" = 0 ] || { echo "certificate import failed in cluster $cl"; return 1; }
	log "certificates of $cl done"
}

# certs_wait: wait for every background certificate job.
certs_wait()
{
	local p rc=0
	for p in $CERT_JOBS; do
		wait "$p" || rc=1
	done
	CERT_JOBS=""
	[ "$rc" = 0 ] || say "  certificate setup failed (see harness.log, */certutil.log)"
	return $rc
}

# nodes_start HOST...: start corosync on every host at once, wait until each
# answers on its CMAP IPC and sees at least the hosts of its own cluster that
# were started with it, then start corosync-qdevice on each.  Starting qdevice
# while the first membership is still forming has crashed corosync 3.1.7
# (votequorum.c:2123 "Assertion `sender_node != NULL' failed"); an administrator
# also starts qdevice on a running cluster.
nodes_start()
{
	local h i n
	declare -A together=()
	certs_wait || return 1
	log "start nodes $*"
	for h in "$@"; do
		echo "=== start $(date +%T)" >>"$W/$h/corosync.stderr"
		hx_bg "$h" "$W/$h/corosync.stderr" corosync -f
		CPID[$h]=$BG_PID
		together[${HCL[$h]}]=$(( ${together[${HCL[$h]}]:-0} + 1 ))
	done
	for h in "$@"; do
		for i in $(seq 150); do
			n=$(hx "$h" corosync-quorumtool -s 2>/dev/null | awk '/^Nodes:/ { print $2 }')
			[ "${n:-0}" -ge "${together[${HCL[$h]}]}" ] && break
			cpid_alive "$h" || { say "  corosync died on $h"; return 1; }
			sleep 0.1
		done
		[ "${n:-0}" -ge "${together[${HCL[$h]}]}" ] ||
		    say "  note: $h sees ${n:-no} nodes after 15 s, starting qdevice anyway"
	done
	for h in "$@"; do
		echo "=== start $(date +%T)" >>"$W/$h/qdevice.log"
		hx_bg "$h" "$W/$h/qdevice.log" corosync-qdevice -f -d
		QPID[$h]=$BG_PID
	done
	log "started nodes $*"
}

# cpid_alive HOST: its corosync is running (not a zombie).
cpid_alive()
{
	local st
	[ -n "${CPID[$1]:-}" ] || return 1
	st=$(awk '{ print $3 }' "/proc/${CPID[$1]}/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

node_start()
{
	nodes_start "$1"
}

# node_kill HOST [poweroff]: SIGKILL corosync and qdevice.  With "poweroff" all
# of the host's traffic is dropped first, so no FIN or RST reaches anyone.
node_kill()
{
	local h=$1 p
	if [ "${2:-}" = poweroff ]; then
		hx "$h" nft -f - <<EOF
table inet qipower {
	chain in { type filter hook input priority -10; iifname "eth0" drop; }
	chain out { type filter hook output priority -10; oifname "eth0" drop; }
}
EOF
	fi
	for p in "${QPID[$h]:-}" "${CPID[$h]:-}"; do
		[ -n "$p" ] || continue
		kill -KILL "$p" 2>/dev/null
		{ wait "$p"; } 2>/dev/null
	done
	QPID[$h]=""
	CPID[$h]=""
	echo "=== killed $(date +%T) ${2:-}" >>"$W/$h/qdevice.log"
}

# node_restore HOST: undo a power-off (network only).
node_restore()
{
	hx "$1" nft delete table inet qipower 2>/dev/null
	return 0
}

# cut "A B" "C D": drop all traffic between the two groups of hosts, on both
# sides, with nftables in the node namespaces.  The arbiter stays reachable.
cut()
{
	local a=$1 b=$2 h
	for h in $a; do
		cut_one "$h" "$b"
	done
	for h in $b; do
		cut_one "$h" "$a"
	done
}

cut_one()
{
	local h=$1 peers="" p
	for p in $2; do
		peers="$peers${peers:+, }${HIP[$p]}"
	done
	hx "$h" nft -f - <<EOF
table inet qicut {
	chain in { type filter hook input priority 0; ip saddr { $peers } drop; }
	chain out { type filter hook output priority 0; ip daddr { $peers } drop; }
}
EOF
}

heal()
{
	local h
	for h in "$@"; do
		hx "$h" nft delete table inet qicut 2>/dev/null
	done
	return 0
}

# ---------------------------------------------------------------- readings

# qstate HOST: one line "Q=Yes E=3 T=3 F=A,V,NMW QV=1" from corosync-quorumtool -s.
qstate()
{
	local h=$1
	[ -n "${CPID[$h]:-}" ] || { echo "DOWN"; return; }
	cpid_alive "$h" || { echo "CRASHED: $(tail -n 1 "$W/$h/corosync.stderr")"; return; }
	hx "$h" corosync-quorumtool -s 2>&1 | awk '
		/^Quorate:/ { q = $2 }
		/^Expected votes:/ { e = $3 }
		/^Total votes:/ { t = $3 }
		/\(local\)/ { f = ($3 ~ /^N?A(,|$)/) ? $3 : "-" }
		$NF == "Qdevice" && $1 == "0" { qv = $2 }
		END { printf "Q=%s E=%s T=%s F=%s QV=%s\n", q, e, t, f, qv }'
}

# Per-scenario expectations are written as "HOST:WORD ..." where each WORD must
# appear in that host's qstate line, e.g. "a1:Q=Yes a1:F=A,V,NMW a2:Q=No".
expect_holds()
{
	local item h want st
	declare -A cache=()
	for item in "$@"; do
		h=${item%%:*}
		want=${item#*:}
		if [ -z "${cache[$h]:-}" ]; then
			cache[$h]=$(qstate "$h")
		fi
		st=${cache[$h]}
		case " $st " in
		*" $want "*) ;;
		*) LAST_MISS="$h wants $want, has: $st"; return 1;;
		esac
	done
	return 0
}

# step "what" TIMEOUT HOLD EXPECTATIONS...: wait up to TIMEOUT seconds for the
# expectations to hold, then require them to keep holding for HOLD seconds.
# Prints the settle time (from the call to the first moment they held).
step()
{
	local what=$1 timeout=$2 hold=$3 t0 t1 settle
	shift 3
	t0=$(now)
	LAST_MISS=""
	while :; do
		if expect_holds "$@"; then
			settle=$(elapsed "$t0")
			t1=$(now)
			while [ "$(awk -v a="$t1" -v b="$(now)" 'BEGIN { print (b - a < '"$hold"') }')" = 1 ]; do
				sleep 0.3
				expect_holds "$@" || break
			done
			if [ -z "$LAST_MISS" ] || expect_holds "$@"; then
				record "$what" ok "$settle"
				return 0
			fi
			say "    (held, then changed: $LAST_MISS)"
		fi
		if [ "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print (b - a >= '"$timeout"') }')" = 1 ]; then
			record "$what" FAIL "$(elapsed "$t0")"
			say "      $LAST_MISS"
			return 1
		fi
		sleep 0.3
	done
}

# check "what" COMMAND...: a one-shot check of something other than quorum state.
check()
{
	local what=$1 t0
	shift
	t0=$(now)
	if "$@"; then
		record "$what" ok "$(elapsed "$t0")"
		return 0
	fi
	record "$what" FAIL "$(elapsed "$t0")"
	return 1
}

record()
{
	local what=$1 res=$2 secs=$3
	printf '  %-4s %-58s %6ss\n' "$res" "$what" "$secs"
	log "STEP $SCEN_NAME | $what | $res | $secs"
	printf '%s|%s|%s|%s\n' "$SCEN_NAME" "$what" "$res" "$secs" >>"$RES_FILE"
	[ "$res" = ok ] || SCEN_FAILED=1
}

# ---------------------------------------------------------------- teardown

# Stop every process this run started (by pid, youngest first), then delete our
# namespaces.  Holders die last so the mounts go with them.
teardown()
{
	log "teardown"
	# Job notices for the processes killed here would only be noise.
	teardown_quiet 2>/dev/null
}

teardown_quiet()
{
	local p ns h self line
	declare -A mine=()
	# Anything still running inside one of our hosts' mount namespaces was
	# started by us (e.g. qdevice's heuristics worker): collect it by pid.
	# Never our own mount namespace: that one is the machine's.
	self=$(readlink /proc/self/ns/mnt)
	for h in "${!HPID[@]}"; do
		ns=$(readlink "/proc/${HPID[$h]}/ns/mnt" 2>/dev/null) || continue
		[ "$ns" != "$self" ] && mine[$ns]=1
	done
	if [ ${#mine[@]} -gt 0 ]; then
		find /proc/[0-9]*/ns/mnt -maxdepth 0 -printf '%p %l\n' 2>/dev/null |
		    while read -r p line; do
			[ -n "${mine[$line]:-}" ] || continue
			p=${p#/proc/}
			kill -KILL "${p%%/*}" 2>/dev/null
		done
	fi
	log "teardown: namespaces swept"
	if [ -s "$W/pids" ]; then
		for p in $(tac "$W/pids"); do
			kill -KILL "$p" 2>/dev/null
		done
		for p in $(tac "$W/pids"); do
			{ wait "$p"; } 2>/dev/null
		done
		: >"$W/pids"
	fi
	log "teardown: pids reaped"
	if [ -s "$W/netns" ]; then
		for ns in $(tac "$W/netns"); do
			ip netns delete "$ns" 2>/dev/null
		done
		: >"$W/netns"
	fi
	HPID=() HIP=() CPID=() QPID=() CLNODES=() CLOPTS=() HCL=()
	HOSTS="" NEXT_IP=1 ARB_PID="" CERT_JOBS=""
}

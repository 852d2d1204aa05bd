# Interop scenario "ha": an active/standby arbiter under Pacemaker.  Sourced by
# run.sh after scenarios.sh; not in the default list (make interop-ha runs it).
#
# Two arbiter hosts ha1, ha2 run Debian's corosync (two_node) and pacemaker.
# The arbiter is a resource group: IPaddr2 (the floating $ARB_IP every
# cluster's qdevice points at) then ocf:heartbeat:corosync-qnetd.  Fencing:
# fence_qinetns (this directory), which powers a test host off.  The
# arbiter's whole state is on two directories mounted into both hosts:
# /etc/corosync/qnetd (NSS database, serial) and /var/lib/corosync-qnetd
# (ours: -S state_dir, the vote memory, registry, tokens, revoked list).  The
# harness's own arbiter host "arb" made the CA there and signs the clusters'
# requests, as an administrator's workstation would; it keeps no address.

SCENARIOS_EXTRA="ha"
HA_NODES="ha1 ha2"
HA_STORE_IN=/etc/corosync/qnetd
HA_STATE_IN=/var/lib/corosync-qnetd
HA_SOCK=/run/corosync-qnetd/corosync-qnetd-qnetd.sock

desc_ha="active/standby arbiter under Pacemaker (make interop-ha): fenced power-off, planned move, partition of the pair"

skip_ha()
{
	local c
	for c in pacemakerd crm_resource crm_mon crmadmin cibadmin crm_attribute stonith_admin; do
		command -v "$c" >/dev/null 2>&1 ||
		    { echo "$c missing (apt-get install pacemaker pacemaker-cli-utils)"; return; }
	done
	for c in IPaddr2 corosync-qnetd; do
		[ -x "/usr/lib/ocf/resource.d/heartbeat/$c" ] ||
		    { echo "ocf:heartbeat:$c missing (apt-get install resource-agents)"; return; }
	done
	id coroqnetd >/dev/null 2>&1 || echo "no coroqnetd user (apt-get install corosync-qnetd)"
}

scen_ha()
{
	local act sb
	ha_setup || return 1
	act=$(ha_where ha1)
	sb=$(ha_other "$act")
	check "arbiter active on $act" test -n "$act" || return 1
	ha_phase_poweroff "$act" "$sb" || return 1
	ha_phase_move "$act" "$sb" || return 1
	ha_phase_partition "$act" "$sb"
}

# ha_setup: the arbiter pair, the group started, clusters x and y up, and y
# in a standing split whose vote is on the active side (node 2), where the
# tie-breaker alone would put it on node 1 (restart-split's setup).  Sets
# HA_Y: the expectations on y that hold while its vote stays where it is
# (empty for Debian's daemon, which has no vote memory: there where y's vote
# lands is recorded, not judged).
ha_setup()
{
	ha_init || return 1
	host_add ha1 pcmk || return 1
	host_add ha2 pcmk || return 1
	ha_map
	cluster_add x 2 "algo=ffsplit tb=lowest votes=1 dto=$HA_DTO" || return 1
	cluster_add y 2 "algo=ffsplit tb=lowest kap=on votes=1 dto=$HA_DTO" || return 1
	ha_stack_start ha1 || return 1
	ha_stack_start ha2 || return 1
	certs_wait || return 1
	chown -R coroqnetd:coroqnetd "$HA_STORE" "$HA_STATE"
	chmod 700 "$HA_STATE"
	check "pacemaker: both arbiter hosts online" ha_wait_online ha1 2 90 || return 1
	check "pacemaker: configuration loaded" ha_configure ha1 || return 1
	check "pacemaker: IP and arbiter started" ha_wait_started ha1 "" 60 || return 1
	nodes_start x1 x2 y1 y2 || return 1
	step "clusters up: both quorate, 3/3 votes from the floating address" 60 $H \
	    x1:T=3 x2:T=3 x1:F=A,V,NMW x2:F=A,V,NMW y1:T=3 y2:T=3 y2:F=A,V,NMW || return 1
	node_kill y1
	step "y: node 1 killed, node 2 alone holds the vote" $T $H y2:Q=Yes y2:T=2 || return 1
	cut y1 y2
	nodes_start y1 || return 1
	step "y: node 1 back behind a cut, KAP keeps the vote on node 2" 45 4 \
	    y1:Q=No y1:T=1 y1:F=A,NV,NMW y2:Q=Yes y2:T=2 || return 1
	HA_Y="y1:Q=No y2:Q=Yes y2:T=2 y2:F=A,V,NMW"
	[ "$DAEMON" = debian ] && HA_Y=""
	return 0
}

# ha_phase_poweroff ACTIVE STANDBY: the active host loses power; the standby
# fences it and takes over; then the fenced host boots and rejoins.
ha_phase_poweroff()
{
	local act=$1 sb=$2 t0
	ha_watch_start power-off
	t0=$(now)
	say "  power-off of $act at $(date +%T.%3N)"
	ha_poweroff "$act"
	check "$sb fenced $act (fence_qinetns off)" ha_wait_fenced "$sb" "$act" 60 || return 1
	check "$sb runs the floating IP and the arbiter" ha_wait_started "$sb" "$sb" 60 || return 1
	STEP_T0=$t0 step "power-off: votes back where they were (from the power-off)" 60 6 \
	    x1:T=3 x2:T=3 x1:F=A,V,NMW x2:F=A,V,NMW $HA_Y || return 1
	ha_watch_stop
	check "power-off: never two ACKed partitions (ours: y never on node 1)" \
	    ha_watch_verdict power-off "$t0" || return 1
	check "power-off: every qdevice Connected again, TLS active" ha_qdtool_all || return 1
	check "$act powered on again (fence_qinetns on)" ha_fence_agent "$sb" on "$act" || return 1
	ha_stack_start "$act" || return 1
	check "pacemaker: $act rejoined" ha_wait_online "$sb" 2 90
}

# ha_phase_move BACK_TO FROM: a planned move of the group, then --clear.
ha_phase_move()
{
	local act=$1 sb=$2 t0
	ha_watch_start move
	t0=$(now)
	say "  crm_resource --move to $act at $(date +%T.%3N)"
	check "crm_resource --move qnetd-group to $act" \
	    ha_crm "$sb" --move -r qnetd-group -N "$act" || return 1
	check "$act runs the floating IP and the arbiter" ha_wait_started "$sb" "$act" 60 || return 1
	STEP_T0=$t0 step "move: votes back where they were (from the move)" 60 6 \
	    x1:T=3 x2:T=3 x1:F=A,V,NMW x2:F=A,V,NMW $HA_Y || return 1
	ha_watch_stop
	check "move: never two ACKed partitions (ours: y never on node 1)" \
	    ha_watch_verdict move "$t0" || return 1
	check "move: every qdevice Connected again, TLS active" ha_qdtool_all || return 1
	check "crm_resource --clear qnetd-group" ha_crm "$sb" --clear -r qnetd-group || return 1
	check "arbiter still on $act after --clear" ha_wait_started "$sb" "$act" 10
}

# ha_phase_partition ACTIVE STANDBY: the arbiter hosts lose sight of each
# other, both alive.  Each fences the other (the fence path does not cross
# the cut, like a management network); priority-fencing-delay lets the one
# running the arbiter win, so the arbiter never moves and never runs twice.
ha_phase_partition()
{
	local act=$1 sb=$2 t0
	ha_watch_start partition
	t0=$(now)
	say "  link between $act and $sb cut at $(date +%T.%3N)"
	cut "$act" "$sb"
	check "$act fenced $sb (the arbiter's host wins the fence race)" \
	    ha_wait_fenced "$act" "$sb" 60 || return 1
	check "$sb is off" ha_power_is "$act" "$sb" OFF || return 1
	check "$act still runs the floating IP and the arbiter" ha_wait_started "$act" "$act" 10 ||
	    return 1
	STEP_T0=$t0 step "partition: votes where they were" 30 4 \
	    x1:T=3 x2:T=3 x1:F=A,V,NMW x2:F=A,V,NMW $HA_Y || return 1
	ha_watch_stop
	check "partition: never two ACKed partitions (ours: y never on node 1)" \
	    ha_watch_verdict partition "$t0" || return 1
	check "partition: every qdevice Connected, TLS active" ha_qdtool_all
}

# ha_qdtool_all: corosync-qdevice-tool -sv on every cluster node says
# Connected with TLS (to the floating address: the only arbiter address).
ha_qdtool_all()
{
	local h
	for h in x1 x2 y1 y2; do
		wait_qdtool 10 "$h" "State:.*Connected" "TLS active:.*Yes" || return 1
	done
}

# ---------------------------------------------------------------- setup

# ha_init: the shared store is the harness arbiter's /etc/corosync/qnetd (CA
# made there by arb_cert_init); that host gives up the floating address.  The
# fence agent goes into a directory overlaid on the arbiter hosts' /usr/sbin.
# Paths the daemon (user coroqnetd) and pacemaker must traverse get o+x.
ha_init()
{
	local d
	HA_STORE=$W/arb/etc/qnetd
	HA_STATE=$W/arb/state
	HA_SBIN=$W/sbin
	# quorum.device.timeout of the clusters: corosync-qdevice's default
	# (10 s, heartbeat 8 s).  Our vote memory counts for 3 heartbeats after
	# the old daemon's last stamp; the failover here (token loss, the 5 s
	# priority-fencing-delay, fencing, start) takes about 10 s, which the
	# suite's usual 3000 ms (memory valid 7.2 s) does not cover.
	HA_DTO=${HA_DTO:-10000}
	ip -n "$QI-arb" addr flush dev eth0 || return 1
	ip -n "$QI-arb" link set eth0 down
	mkdir -p "$HA_SBIN" "$HA_STATE" || return 1
	cp "$here/fence_qinetns" "$HA_SBIN/" || return 1
	chmod 755 "$HA_SBIN/fence_qinetns"
	d=$W
	while [ "$d" != / ] && [ "$d" != /tmp ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
	HA_OPTS=""
	# Our daemon keeps its vote memory on the shared store (-S state_dir,
	# when this build has it); Debian's has no such key.
	if [ "$DAEMON" != debian ] && grep -qa 'state_dir' "$QNETD_BIN"; then
		HA_OPTS="-S state_dir=$HA_STATE_IN"
	elif [ "$DAEMON" != debian ]; then
		say "  note: $QNETD_BIN has no -S state_dir (vote memory): y's vote will move"
	fi
	say "  shared store $HA_STORE on $HA_STORE_IN, $HA_STATE on $HA_STATE_IN;" \
	    "daemon options: ${HA_OPTS:-none}"
}

# ha_map: the fence agent's host map (name, holder pid, address).
ha_map()
{
	local h
	for h in $HA_NODES; do
		echo "$h ${HPID[$h]} ${HIP[$h]}/24"
	done >"$W/fence.map"
}

# ha_conf: corosync.conf of the arbiter hosts' own two-node cluster.
ha_conf()
{
	local h id=0
	{
		cat <<EOF
totem {
	version: 2
	cluster_name: qnetd-ha
	transport: knet
	crypto_cipher: none
	crypto_hash: none
	token: 1000
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
	two_node: 1
}
nodelist {
EOF
		for h in $HA_NODES; do
			id=$((id + 1))
			printf '\tnode {\n\t\tname: %s\n\t\tnodeid: %d\n\t\tring0_addr: %s\n\t}\n' \
			    "$h" "$id" "${HIP[$h]}"
		done
		echo "}"
	} >"$W/$1/etc/corosync.conf"
}

# ha_stack_start HOST: corosync, then pacemakerd under a subreaper (the
# resource agent detaches the daemon: its zombie must be reaped at once).
ha_stack_start()
{
	local h=$1 i
	ha_conf "$h"
	echo "=== start $(date +%T)" >>"$W/$h/corosync.stderr"
	hx_bg "$h" "$W/$h/corosync.stderr" corosync -f
	CPID[$h]=$BG_PID
	# Fencing kills them: no job notice (teardown still kills by pid).
	disown "$BG_PID"
	for i in $(seq 100); do
		hx "$h" corosync-quorumtool -s >/dev/null 2>&1 && break
		cpid_alive "$h" || { say "  corosync died on $h"; return 1; }
		sleep 0.1
	done
	echo "=== start $(date +%T)" >>"$W/$h/pacemakerd.log"
	hx_bg "$h" "$W/$h/pacemakerd.log" env PCMK_logfile=/var/log/pacemaker/pacemaker.log \
	    PCMK_logfacility=none python3 "$here/subreaper.py" pacemakerd
	QPID[$h]=$BG_PID
	disown "$BG_PID"
	log "stack started on $h"
}

ha_other()
{
	[ "$1" = ha1 ] && echo ha2 || echo ha1
}

# ha_wait_online FROM N TIMEOUT: crm_mon on FROM shows N nodes online and a DC.
ha_wait_online()
{
	local from=$1 n=$2 t=$3 i out
	for i in $(seq $((t * 2))); do
		out=$(timeout 10 nsenter -t "${HPID[$from]}" -m -n -- crm_mon -1 2>&1)
		if grep -q "Current DC: ha" <<<"$out" &&
		    [ "$(grep -o "Online: \[[^]]*\]" <<<"$out" | wc -w)" -eq $((n + 3)) ]; then
			return 0
		fi
		sleep 0.5
	done
	say "      crm_mon -1 on $from after ${t}s:"
	sed 's/^/        | /' <<<"$out"
	return 1
}

# ha_configure HOST: properties, one fence device per arbiter host (never run
# on the host it fences), and the group: floating IP, then the arbiter.
ha_configure()
{
	local h=$1 n
	hx "$h" timeout 30 crm_attribute -t crm_config -n stonith-enabled -v true || return 1
	hx "$h" timeout 30 crm_attribute -t crm_config -n stonith-action -v off || return 1
	hx "$h" timeout 30 crm_attribute -t crm_config -n stonith-timeout -v 30s || return 1
	# Both hosts alive but cut off from each other both shoot: fencing the
	# host that runs the arbiter waits 5 s, so that host shoots first.
	hx "$h" timeout 30 crm_attribute -t crm_config -n priority-fencing-delay -v 5s || return 1
	for n in $HA_NODES; do
		hx "$h" timeout 30 cibadmin -C -o resources -X "<primitive id=\"fence-$n\" class=\"stonith\" type=\"fence_qinetns\">
  <instance_attributes id=\"fence-$n-ia\">
    <nvpair id=\"fence-$n-hosts\" name=\"pcmk_host_list\" value=\"$n\"/>
    <nvpair id=\"fence-$n-map\" name=\"hostmap\" value=\"$W/fence.map\"/>
  </instance_attributes>
  <operations><op id=\"fence-$n-mon\" name=\"monitor\" interval=\"60s\"/></operations>
</primitive>" || return 1
		hx "$h" timeout 30 cibadmin -C -o constraints -X \
		    "<rsc_location id=\"fence-$n-not-self\" rsc=\"fence-$n\" node=\"$n\" score=\"-INFINITY\"/>" ||
		    return 1
	done
	hx "$h" timeout 30 cibadmin -C -o resources -X "<group id=\"qnetd-group\">
  <meta_attributes id=\"qnetd-group-meta\">
    <nvpair id=\"qnetd-group-priority\" name=\"priority\" value=\"10\"/>
  </meta_attributes>
  <primitive id=\"qnetd-ip\" class=\"ocf\" provider=\"heartbeat\" type=\"IPaddr2\">
    <instance_attributes id=\"qnetd-ip-ia\">
      <nvpair id=\"qnetd-ip-ip\" name=\"ip\" value=\"$ARB_IP\"/>
      <nvpair id=\"qnetd-ip-mask\" name=\"cidr_netmask\" value=\"24\"/>
      <nvpair id=\"qnetd-ip-nic\" name=\"nic\" value=\"eth0\"/>
    </instance_attributes>
    <operations><op id=\"qnetd-ip-mon\" name=\"monitor\" interval=\"10s\" timeout=\"20s\"/></operations>
  </primitive>
  <primitive id=\"qnetd\" class=\"ocf\" provider=\"heartbeat\" type=\"corosync-qnetd\">
    <instance_attributes id=\"qnetd-ia\">
      <nvpair id=\"qnetd-bin\" name=\"binary\" value=\"$QNETD_BIN\"/>
      <nvpair id=\"qnetd-tool\" name=\"qnetd_tool_binary\" value=\"$QNETD_TOOL\"/>
      <nvpair id=\"qnetd-nss\" name=\"nss_db_dir\" value=\"$HA_STORE_IN/nssdb\"/>
      <nvpair id=\"qnetd-opts\" name=\"qnetd_opts\" value=\"$HA_OPTS\"/>
    </instance_attributes>
    <operations>
      <op id=\"qnetd-start\" name=\"start\" interval=\"0\" timeout=\"30s\"/>
      <op id=\"qnetd-stop\" name=\"stop\" interval=\"0\" timeout=\"30s\"/>
      <op id=\"qnetd-mon\" name=\"monitor\" interval=\"5s\" timeout=\"20s\"/>
    </operations>
  </primitive>
</group>" || return 1
}

# ha_where FROM: the host the arbiter resource runs on, as FROM sees it.
ha_where()
{
	timeout 10 nsenter -t "${HPID[$1]}" -m -n -- crm_resource --locate -r qnetd 2>/dev/null |
	    awk '/is running on:/ { print $NF; exit }'
}

# ha_wait_started FROM HOST TIMEOUT: both resources run on HOST (any host when
# empty), the floating address is on HOST's eth0 and its daemon answers.
ha_wait_started()
{
	local from=$1 want=$2 t=$3 i ip_on q_on
	for i in $(seq $((t * 2))); do
		ip_on=$(timeout 10 nsenter -t "${HPID[$from]}" -m -n -- \
		    crm_resource --locate -r qnetd-ip 2>/dev/null | awk '/is running on:/ { print $NF; exit }')
		q_on=$(ha_where "$from")
		if [ -n "$q_on" ] && [ "$ip_on" = "$q_on" ] && { [ -z "$want" ] || [ "$q_on" = "$want" ]; } &&
		    hx "$q_on" ip -o addr show dev eth0 | grep -q " $ARB_IP/" &&
		    hx "$q_on" "$QNETD_TOOL" -s -p "$HA_SOCK" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.5
	done
	say "      after ${t}s: IP on '${ip_on}', arbiter on '${q_on}', wanted '${want:-any}'"
	timeout 10 nsenter -t "${HPID[$from]}" -m -n -- crm_mon -1 2>&1 | sed 's/^/        | /'
	return 1
}

# ha_poweroff HOST: the failure.  Its link goes down (no FIN, no RST, no ARP
# answer) and every process in it is SIGKILLed: no clean stop of anything.
ha_poweroff()
{
	local h=$1 self mnt pids
	ip -n "$QI-$h" link set eth0 down
	mnt=$(readlink "/proc/${HPID[$h]}/ns/mnt")
	self=$(readlink /proc/self/ns/mnt)
	[ -n "$mnt" ] && [ "$mnt" != "$self" ] || return 1
	pids=$(find /proc/[0-9]*/ns/mnt -maxdepth 0 -printf '%p %l\n' 2>/dev/null |
	    awk -v m="$mnt" -v h="${HPID[$h]}" '$2 == m { split($1, a, "/"); if (a[3] != h) print a[3] }')
	[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	QPID[$h]=""
	CPID[$h]=""
}

# ha_wait_fenced FROM TARGET TIMEOUT: FROM's fencing history has a successful
# fencing of TARGET.
ha_wait_fenced()
{
	local from=$1 tg=$2 t=$3 i out
	for i in $(seq $((t * 2))); do
		out=$(timeout 10 nsenter -t "${HPID[$from]}" -m -n -- stonith_admin --history "$tg" 2>&1)
		grep -q "successful" <<<"$out" && { log "fencing: $out"; return 0; }
		sleep 0.5
	done
	say "      stonith_admin --history $tg on $from after ${t}s:"
	sed 's/^/        | /' <<<"$out"
	return 1
}

# ha_fence_agent FROM ACTION TARGET: run the fence agent by hand on FROM.
ha_fence_agent()
{
	printf 'action=%s\nplug=%s\nhostmap=%s\n' "$2" "$3" "$W/fence.map" |
	    hx "$1" timeout 30 fence_qinetns
}

# ha_crm HOST ARGS...: crm_resource on HOST, its chatter to the harness log.
ha_crm()
{
	local h=$1
	shift
	hx "$h" timeout 20 crm_resource "$@" >>"$W/harness.log" 2>&1
}

# ha_power_is FROM TARGET ON|OFF: the fence agent's status of TARGET.
ha_power_is()
{
	local out
	out=$(ha_fence_agent "$1" status "$2" 2>&1)
	grep -q "Status: $3" <<<"$out" && return 0
	say "      fence_qinetns status $2: $out"
	return 1
}

# ---------------------------------------------------------------- the watch

# ha_watch_start TAG: every 0.3 s, one line in $W/watch.TAG: seconds since the
# epoch, each cluster node's "host=Q/T/flags", then each arbiter host's ACKed
# node ids per cluster from `corosync-qnetd-tool -l -v` ("ha1:x=1,2;y=2").
ha_watch_start()
{
	HA_WATCH=$W/watch.$1
	rm -f "$W/watch.stop"
	# The first sample is taken before the fault: the arbiter's own view then.
	ha_sample >"$HA_WATCH" 2>/dev/null
	(
		for i in $(seq 600); do
			[ -e "$W/watch.stop" ] && break
			ha_sample
			sleep 0.3
		done
	) >>"$HA_WATCH" 2>/dev/null &
	HA_WATCH_PID=$!
	track_pid "$HA_WATCH_PID"
}

ha_watch_stop()
{
	touch "$W/watch.stop"
	{ wait "$HA_WATCH_PID"; } 2>/dev/null
}

ha_sample()
{
	local h line a
	line=$(now)
	for h in x1 x2 y1 y2; do
		line="$line $h=$(qstate "$h" | awk '{ sub("Q=", "", $1); sub("T=", "", $3);
		    sub("F=", "", $4); print $1 "/" $3 "/" $4 }')"
	done
	for h in $HA_NODES; do
		[ -n "${CPID[$h]:-}" ] || continue
		a=$(timeout 5 nsenter -t "${HPID[$h]}" -m -n -- "$QNETD_TOOL" -l -v -p "$HA_SOCK" \
		    2>>"$W/watch.err" | tee -a "$W/watch.raw" | awk '
			/^Cluster "/ { c = $2; gsub(/[":]/, "", c) }
			/Node ID/ { id = $3; sub(":", "", id) }
			/Vote:/ && ($NF == "ACK" || $NF == "(ACK)") {
				acks[c] = acks[c] (acks[c] == "" ? "" : ",") id
			}
			END { for (c in acks) printf "%s=%s;", c, acks[c] }')
		line="$line $h:${a:--}"
	done
	echo "$line"
}

# ha_watch_verdict TAG T0: the first sample (before the fault) shows the
# active arbiter ACKing x's two nodes and one of y's (node 2 for ours:
# Debian's may have moved it before); in no later sample do
# both of y's nodes hold the qdevice vote, nor does an arbiter ACK both of y's
# nodes, nor do ha1 and ha2 ACK at once; for ours, y's node 1 never holds the
# vote.  Records when the votes were first seen lost and when they were back
# (the first sample after the last one where a vote was missing).
ha_watch_verdict()
{
	local f=$W/watch.$1 t0=$2 bad
	bad=$(awk -v daemon="$DAEMON" '
		NR == 1 && !(/:(.*;)?x=1,2;/ && /:(.*;)?y=[12];/ && (daemon == "debian" || /:(.*;)?y=2;/)) {
			print "before the fault the arbiter did not ACK x=1,2 and y=" \
			    (daemon == "debian" ? "1 or 2" : "2") ": " $0
			next
		}
		{ v1 = ($4 ~ /,V,/); v2 = ($5 ~ /,V,/) }
		v1 && v2 { print "both y nodes hold the vote: " $0; next }
		daemon != "debian" && v1 { print "y node 1 holds the vote: " $0; next }
		{ n = 0; for (i = 6; i <= NF; i++) if ($i ~ /:[a-z]/) n++ }
		n > 1 { print "two arbiters ACK at once: " $0; next }
		/y=1,2|y=2,1/ { print "an arbiter ACKs both y nodes: " $0 }' "$f")
	awk -v t0="$t0" -v daemon="$DAEMON" '
		NR > 1 { lost = ($2 !~ /,V,/ || $3 !~ /,V,/ || (daemon != "debian" && $5 !~ /,V,/)) }
		NR > 1 && lost && first == "" { first = $1 - t0 }
		NR > 1 && lost { last = NR }
		NR > 1 && !lost && last != "" && back == "" { back = $1 - t0 }
		NR > 1 && lost { back = "" }
		END {
			if (first == "") print "votes never seen lost (samples every 0.4 s)"
			else printf "votes lost at +%.1fs, all back at +%.1fs\n", first, back
		}' "$f" >"$f.figure"
	say "  $1: $(cat "$f.figure")"
	if head -n 1 "$f" | awk '$4 ~ /,V,/ { exit 0 } { exit 1 }'; then
		say "  $1: y's vote was on node 1 already before it ($DAEMON)"
	elif awk '$4 ~ /,V,/ { found = 1 } END { exit !found }' "$f"; then
		say "  $1: y's vote MOVED to node 1 ($DAEMON; recorded, judged for ours only)"
	else
		say "  $1: y's vote stayed on node 2"
	fi
	[ -z "$bad" ] && return 0
	say "      $(head -n 3 <<<"$bad")"
	return 1
}

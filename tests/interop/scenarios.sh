# Interop scenarios.  Each scen_NAME builds its hosts, runs its steps and
# returns; run.sh tears everything down afterwards whatever happened.
# A step that fails ends the scenario (later steps depend on earlier state).
# Timeouts: T settles a state change, H is how long a settled state must hold.

T=30
H=1.5

SCENARIOS="ffsplit2 lms3 ffsplit4 tiebreaker kap heuristics tlsoff tlsreq multi observe revoke restart-split enroll ecdsa"

desc_ffsplit2="2-node ffsplit: tie-breaker on link cut, power-off, arbiter stop/start"
scen_ffsplit2()
{
	arb_start || return 1
	cluster_add a 2 "algo=ffsplit tb=lowest votes=1" || return 1
	nodes_start a1 a2 || return 1
	step "both up: quorate, 3/3 votes, A,V,NMW" 60 $H \
	    a1:Q=Yes a1:E=3 a1:T=3 a1:F=A,V,NMW a2:Q=Yes a2:E=3 a2:T=3 a2:F=A,V,NMW || return 1
	check "arbiter lists both nodes, TLS on" arb_lists a 2 "TLS active:.*Yes" || return 1
	check "qdevice-tool: connected, TLS active" qdtool_has a1 "State:.*Connected" \
	    "TLS active:.*Yes" || return 1
	cut a1 a2
	step "link cut: only tie-breaker side (node 1) quorate" $T $H \
	    a1:Q=Yes a1:T=2 a2:Q=No a2:T=1 || return 1
	heal a1 a2
	step "link healed: both quorate again" $T $H a1:Q=Yes a1:T=3 a2:Q=Yes a2:T=3 || return 1
	node_kill a1 poweroff
	step "node 1 powered off: node 2 survives with the vote" $T $H \
	    a2:Q=Yes a2:T=2 a2:F=A,V,NMW || return 1
	node_restore a1
	node_start a1 || return 1
	step "node 1 back: 3/3 votes" $T $H a1:Q=Yes a1:T=3 a2:Q=Yes a2:T=3 || return 1
	arb_stop TERM
	step "arbiter stopped: both quorate, A,NV,NMW" $T $H \
	    a1:Q=Yes a1:T=2 a1:F=A,NV,NMW a2:Q=Yes a2:T=2 a2:F=A,NV,NMW || return 1
	arb_start || return 1
	step "arbiter back: votes return, A,V,NMW" $T $H \
	    a1:Q=Yes a1:T=3 a1:F=A,V,NMW a2:Q=Yes a2:T=3 a2:F=A,V,NMW || return 1
}

desc_lms3="3-node lms: last man standing keeps quorum with 2 qdevice votes"
scen_lms3()
{
	arb_start || return 1
	cluster_add b 3 "algo=lms tb=lowest" || return 1
	nodes_start b1 b2 b3 || return 1
	step "all up: quorate, 5/5 votes, qdevice 2 votes" 60 $H \
	    b1:Q=Yes b1:E=5 b1:T=5 b1:QV=2 b2:T=5 b3:T=5 b3:F=A,V,NMW || return 1
	node_kill b1
	step "node 1 killed: 2 nodes + qdevice quorate" $T $H b2:Q=Yes b2:T=4 b3:Q=Yes b3:T=4 ||
	    return 1
	node_kill b2
	step "node 2 killed: survivor quorate, 3 of 5 votes" $T $H \
	    b3:Q=Yes b3:T=3 b3:QV=2 b3:F=A,V,NMW || return 1
}

desc_ffsplit4="4-node ffsplit: 2/2 split and 3/1 split"
scen_ffsplit4()
{
	arb_start || return 1
	cluster_add c 4 "algo=ffsplit tb=lowest votes=1" || return 1
	nodes_start c1 c2 c3 c4 || return 1
	step "all up: quorate, 5/5 votes" 60 $H \
	    c1:Q=Yes c1:E=5 c1:T=5 c2:T=5 c3:T=5 c4:T=5 c4:F=A,V,NMW || return 1
	cut "c1 c2" "c3 c4"
	step "2/2 split: {1,2} quorate, {3,4} not" $T $H \
	    c1:Q=Yes c1:T=3 c2:Q=Yes c2:T=3 c3:Q=No c3:T=2 c4:Q=No c4:T=2 || return 1
	heal c1 c2 c3 c4
	step "healed: all quorate" $T $H c1:T=5 c2:T=5 c3:T=5 c4:T=5 || return 1
	cut "c1" "c2 c3 c4"
	step "3/1 split: {2,3,4} quorate, {1} not" $T $H \
	    c1:Q=No c1:T=1 c2:Q=Yes c2:T=4 c3:Q=Yes c3:T=4 c4:Q=Yes c4:T=4 || return 1
}

desc_tiebreaker="tie_breaker highest (2 nodes) and node id 3 (4 nodes, split {1,4}/{2,3})"
scen_tiebreaker()
{
	arb_start || return 1
	cluster_add d 2 "algo=ffsplit tb=highest votes=1" || return 1
	cluster_add e 4 "algo=ffsplit tb=3 votes=1" || return 1
	nodes_start d1 d2 e1 e2 e3 e4 || return 1
	step "all up: both clusters quorate with the vote" 60 $H \
	    d1:T=3 d2:T=3 e1:T=5 e2:T=5 e3:T=5 e4:T=5 || return 1
	cut d1 d2
	cut "e1 e4" "e2 e3"
	step "highest: node 2 side quorate, node 1 not" $T $H \
	    d1:Q=No d1:T=1 d2:Q=Yes d2:T=2 || return 1
	step "node id 3: {2,3} quorate, {1,4} not" $T $H \
	    e2:Q=Yes e2:T=3 e3:Q=Yes e3:T=3 e1:Q=No e1:T=2 e4:Q=No e4:T=2 || return 1
}

desc_kap="keep_active_partition_tie_breaker: the active side keeps the vote on a 2/2 tie"
scen_kap()
{
	arb_start || return 1
	cluster_add f 4 "algo=ffsplit tb=lowest kap=on votes=1" || return 1
	nodes_start f1 f2 f3 f4 || return 1
	step "all up: quorate, 5/5 votes" 60 $H f1:T=5 f2:T=5 f3:T=5 f4:T=5 || return 1
	node_kill f1
	node_kill f2
	step "nodes 1,2 killed: {3,4} active with the vote" $T $H \
	    f3:Q=Yes f3:T=3 f4:Q=Yes f4:T=3 || return 1
	# Nodes 1 and 2 return, but cut off from 3 and 4: a 2/2 tie that the
	# lowest-id tie-breaker alone would give to {1,2}.
	cut "f1 f2" "f3 f4"
	nodes_start f1 f2 || return 1
	step "1,2 back behind a cut: {3,4} keeps the vote" 45 4 \
	    f1:Q=No f1:T=2 f2:Q=No f2:T=2 f3:Q=Yes f3:T=3 f4:Q=Yes f4:T=3 \
	    f1:F=A,NV,NMW || return 1
}

desc_heuristics="a failing exec heuristic on the tie-breaker side moves the vote"
scen_heuristics()
{
	arb_start || return 1
	cluster_add g 2 "algo=ffsplit tb=lowest votes=1 heur=on" || return 1
	nodes_start g1 g2 || return 1
	step "both up: quorate, 3/3 votes" 60 $H g1:T=3 g2:T=3 g1:F=A,V,NMW || return 1
	check "heuristics pass on node 1" qdtool_has g1 "Heuristics result:[[:space:]]*Pass" || return 1
	hx g1 touch /run/qi-heuristics-fail
	check "heuristics fail on node 1 within 10s" wait_qdtool 10 g1 "Heuristics result:[[:space:]]*Fail" || return 1
	cut g1 g2
	step "link cut: node 2 (heuristics pass) quorate, node 1 not" $T $H \
	    g1:Q=No g1:T=1 g2:Q=Yes g2:T=2 || return 1
}

desc_tlsoff="tls: off on the nodes (arbiter default -s on)"
scen_tlsoff()
{
	arb_start || return 1
	cluster_add h 2 "algo=ffsplit tb=lowest votes=1 tls=off" || return 1
	nodes_start h1 h2 || return 1
	step "both up without TLS: quorate, 3/3, A,V,NMW" 60 $H \
	    h1:Q=Yes h1:T=3 h1:F=A,V,NMW h2:Q=Yes h2:T=3 || return 1
	check "qdevice-tool: TLS not active" qdtool_has h1 "TLS active:.*No" || return 1
	check "arbiter lists both nodes, TLS off" arb_lists h 2 "TLS active:.*No" || return 1
	cut h1 h2
	step "link cut: only node 1 quorate" $T $H h1:Q=Yes h1:T=2 h2:Q=No h2:T=1 || return 1
}

desc_tlsreq="-s req: a node with another cluster's certificate is refused, and why; no TLS, no vote"
scen_tlsreq()
{
	arb_start -s req || return 1
	cluster_add k 2 "algo=ffsplit tb=lowest votes=1" || return 1
	cluster_add l 2 "algo=ffsplit tb=lowest votes=1 tls=off" || return 1
	# Node 2 replaces its certificate by one issued for cluster "intruder".
	certs_wait || return 1
	rm -rf "$W/k2/etc/qdevice"
	node_cert_request k2 intruder || { say "  certificates failed"; return 1; }
	nodes_start k1 k2 l1 l2 || return 1
	step "node 1 gets the vote, node 2 without qdevice vote" 60 $H \
	    k1:Q=Yes k1:T=3 k1:F=A,V,NMW k2:Q=Yes k2:F=A,NV,NMW || return 1
	# qdevice itself gives up when PREINIT_REPLY says the server requires TLS
	# and it is configured without: it unregisters, so the flags are empty.
	step "cluster with tls: off gets no vote" 10 $H \
	    l1:Q=Yes l1:T=2 l1:F=- l2:Q=Yes l2:T=2 l2:F=- || return 1
	check "its qdevice says: Incompatible tls configuration" grep -q \
	    "Incompatible tls configuration (server 2 client 0)" "$W/l1/qdevice.log" || return 1
	check "arbiter lists only node 1" arb_lists k 1 "TLS active:.*Yes" || return 1
	# Debian: "Client doesn't sent certificate with valid CN. Disconnecting client";
	# ours: "Client certificate rejected: certificate subject 'CN=intruder' does
	# not match cluster name. Disconnecting".
	check "arbiter log says why node 2 was refused" grep -Eq \
	    "doesn't sent certificate with valid CN|subject 'CN=intruder' does not match cluster" \
	    "$W/arb/qnetd.log" || return 1
	check "node 2 is not connected" qdtool_lacks k2 "State:.*Connected" || return 1
}

desc_multi="three clusters on one arbiter; arbiter SIGKILLed and restarted"
scen_multi()
{
	arb_start || return 1
	cluster_add m 2 "algo=ffsplit tb=lowest votes=1" || return 1
	cluster_add n 2 "algo=ffsplit tb=highest votes=1" || return 1
	cluster_add p 3 "algo=lms tb=lowest" || return 1
	nodes_start m1 m2 n1 n2 p1 p2 p3 || return 1
	step "three clusters up, all votes in" 60 $H \
	    m1:T=3 m2:T=3 m1:F=A,V,NMW n1:T=3 n2:T=3 n2:F=A,V,NMW p1:T=5 p2:T=5 p3:T=5 ||
	    return 1
	check "arbiter lists three clusters" arb_clusters 3 || return 1
	arb_stop KILL
	step "arbiter SIGKILLed: ffsplit nodes lose the qdevice vote" $T 0 \
	    m1:F=A,NV,NMW m2:F=A,NV,NMW n1:F=A,NV,NMW n2:F=A,NV,NMW || return 1
	arb_start || return 1
	step "arbiter restarted: every cluster re-converges" $T $H \
	    m1:T=3 m2:T=3 m1:F=A,V,NMW m2:F=A,V,NMW n1:T=3 n2:T=3 n1:F=A,V,NMW \
	    n2:F=A,V,NMW p1:T=5 p2:T=5 p3:T=5 p3:F=A,V,NMW || return 1
	check "arbiter lists three clusters again" arb_clusters 3 || return 1
}

desc_observe="metrics endpoint and event hook (ours only): gauges, vote counters, vote_changed on a link cut"
skip_observe()
{
	[ "$DAEMON" != debian ] ||
	    echo "Debian's corosync-qnetd has neither -S metrics_address nor -S event_hook"
}
scen_observe()
{
	local a0 a1 m0 m1 n0
	hook_install || return 1
	arb_start -S metrics_address=127.0.0.1:9403,event_hook=/etc/corosync/qi-hook || return 1
	cluster_add o 2 "algo=ffsplit tb=lowest votes=1" || return 1
	nodes_start o1 o2 || return 1
	step "both up: quorate, 3/3 votes, A,V,NMW" 60 $H \
	    o1:Q=Yes o1:T=3 o1:F=A,V,NMW o2:Q=Yes o2:T=3 o2:F=A,V,NMW || return 1
	check "metrics: 2 clients, 1 cluster, both nodes ACK" metrics_wait up \
	    qnetd_clients_connected=2 qnetd_clusters_connected=1 \
	    'qnetd_cluster_clients{cluster="o"}=2' 'qnetd_cluster_votes{cluster="o",vote="ack"}=2' \
	    'qnetd_cluster_votes{cluster="o",vote="nack"}=0' || return 1
	check "hook: cluster_appeared, client_connected (TLS) for both" hook_wait 0 \
	    "QNETD_CLUSTER=o QNETD_EVENT=cluster_appeared" \
	    "QNETD_CLUSTER=o QNETD_EVENT=client_connected QNETD_NODE_ID=1 .*QNETD_TLS=yes" \
	    "QNETD_CLUSTER=o QNETD_EVENT=client_connected QNETD_NODE_ID=2 .*QNETD_TLS=yes" ||
	    return 1
	n0=$(wc -l <"$HOOK_EVENTS")
	a0=$(metric up 'qnetd_votes_total{algorithm="ffsplit",result="ack"}')
	m0=$(metric up 'qnetd_votes_total{algorithm="ffsplit",result="nack"}')
	cut o1 o2
	step "link cut: only tie-breaker side (node 1) quorate" $T $H \
	    o1:Q=Yes o1:T=2 o2:Q=No o2:T=1 || return 1
	check "metrics: node 1 ACK, node 2 NACK" metrics_wait split \
	    qnetd_clients_connected=2 'qnetd_cluster_votes{cluster="o",vote="ack"}=1' \
	    'qnetd_cluster_votes{cluster="o",vote="nack"}=1' || return 1
	# Node 1 got an ACK for its new membership, node 2 its first NACK.
	a1=$(metric split 'qnetd_votes_total{algorithm="ffsplit",result="ack"}')
	m1=$(metric split 'qnetd_votes_total{algorithm="ffsplit",result="nack"}')
	check "metrics: ffsplit votes counted: ACK $a0 -> $a1, NACK $m0 -> $m1" \
	    test "${a1:-0}" -gt "${a0:-0}" -a "${m1:-0}" -gt "${m0:-0}" || return 1
	check "hook: vote_changed ACK -> NACK for node 2 in the split" hook_wait "$n0" \
	    "QNETD_CLUSTER=o QNETD_EVENT=vote_changed QNETD_NODE_ID=2 QNETD_PREVIOUS_VOTE=ACK .*QNETD_VOTE=NACK" ||
	    return 1
	n0=$(wc -l <"$HOOK_EVENTS")
	heal o1 o2
	step "link healed: both quorate again" $T $H o1:Q=Yes o1:T=3 o2:Q=Yes o2:T=3 || return 1
	check "hook: vote_changed NACK -> ACK for node 2" hook_wait "$n0" \
	    "QNETD_CLUSTER=o QNETD_EVENT=vote_changed QNETD_NODE_ID=2 QNETD_PREVIOUS_VOTE=NACK .*QNETD_VOTE=ACK" ||
	    return 1
	check "metrics: both nodes ACK again" metrics_wait healed \
	    'qnetd_cluster_votes{cluster="o",vote="ack"}=2' \
	    'qnetd_cluster_votes{cluster="o",vote="nack"}=0' || return 1
}

desc_revoke="revocation (ours only): a cluster's certificate revoked, SIGHUP: its nodes lose the qdevice vote and stay refused, another cluster keeps its vote"
skip_revoke()
{
	[ "$DAEMON" != debian ] ||
	    echo "Debian's corosync-qnetd has no revoked list (-S state_dir) and dies on SIGHUP"
}
scen_revoke()
{
	local st=$W/arb/etc/qi-state
	mkdir -p "$st" || return 1
	arb_start -S state_dir=/etc/corosync/qi-state,metrics_address=127.0.0.1:9403 || return 1
	cluster_add r 2 "algo=ffsplit tb=lowest votes=1" || return 1
	cluster_add s 2 "algo=ffsplit tb=lowest votes=1" || return 1
	nodes_start r1 r2 s1 s2 || return 1
	step "both clusters up: 3/3 votes, A,V,NMW" 60 $H \
	    r1:T=3 r2:T=3 r1:F=A,V,NMW r2:F=A,V,NMW s1:T=3 s2:T=3 s1:F=A,V,NMW s2:F=A,V,NMW ||
	    return 1
	# The line corosync-qnetd-certutil writes: issuer-name hash, serial, cluster.
	python3 "$top/tests/lib/certinfo.py" "$W/arb/etc/qnetd/nssdb/cluster-r.crt" r \
	    >"$st/revoked.tmp" && mv "$st/revoked.tmp" "$st/revoked" || return 1
	log "revoked: $(cat "$st/revoked")"
	kill -HUP "$ARB_PID"
	step "r revoked: its nodes lose the qdevice vote, s keeps it" $T $H \
	    r1:T=2 r2:T=2 r1:F=A,NV,NMW r2:F=A,NV,NMW s1:T=3 s2:T=3 s1:F=A,V,NMW s2:F=A,V,NMW ||
	    return 1
	check "arbiter log: r's connections closed, naming node and serial" grep -Eq \
	    "Certificate serial [0-9a-f]+ of cluster r node [12] is revoked: closing the connection" \
	    "$W/arb/qnetd.log" || return 1
	check "arbiter log: r's qdevice refused when it reconnects" grep -q \
	    "(cluster r) is revoked: TLS handshake refused" "$W/arb/qnetd.log" || return 1
	check "metrics: 2 closed, refusals counted, s still connected" metrics_wait revoked \
	    qnetd_certificate_revocations_closed_total=2 'qnetd_cluster_clients{cluster="s"}=2' ||
	    return 1
	check "metrics: at least one refusal" \
	    test "$(metric revoked qnetd_certificate_revocations_refused_total)" -ge 1 || return 1
	check "arbiter lists only cluster s" arb_clusters 1 || return 1
	check "qdevice-tool on r1: not connected" qdtool_lacks r1 "State:.*Connected" || return 1
}

desc_enroll="enrolment by token only (no ssh, no file from the arbiter): corosync-qnetd-enroll signs, qdevice gets its vote under -s req -c on; then revoked, the cluster cannot reconnect, another keeps its vote"
skip_enroll()
{
	if [ "$DAEMON" = debian ]; then
		echo "the enrollment service and revocation are ours"
	elif [ ! -x "$BUILD/corosync-qnetd-enroll" ] || [ ! -x "$BUILD/corosync-qnetd-join" ]; then
		echo "corosync-qnetd-enroll or corosync-qnetd-join not built"
	elif ! command -v curl >/dev/null 2>&1; then
		echo "curl not installed"
	elif ! "$QNETD_CERTUTIL" -h 2>&1 | grep -qi token; then
		echo "$QNETD_CERTUTIL has no token command (enroll-ca not merged)"
	fi
}
scen_enroll()
{
	local st=$W/arb/etc/qi-state tok=$W/enroll.token h ca pin rc=0
	mkdir -m 0700 -p "$st" || return 1
	# Every signer (certutil -s for cluster k, the service for n) shares
	# this state directory and its CA lock; /etc/corosync is the arbiter
	# host's private directory.
	export QNETD_STATE_DIR=/etc/corosync/qi-state
	arb_start -s req -c on -S state_dir=/etc/corosync/qi-state || rc=1
	[ "$rc" = 0 ] && enroll_service_start || rc=1
	# Cluster k: certificates the pvecm way (certutil -s), unchanged.
	[ "$rc" = 0 ] && cluster_add k 2 "algo=ffsplit tb=lowest votes=1" || rc=1
	# Cluster n: hosts and corosync.conf only; no certificate, no CA.
	[ "$rc" = 0 ] && cluster_hosts n 2 "algo=ffsplit tb=lowest votes=1" || rc=1
	[ "$rc" = 0 ] && enroll_token n "$tok" || rc=1
	[ "$rc" = 0 ] || { unset QNETD_STATE_DIR; return 1; }
	ca=$ENROLL_CA
	pin=$ENROLL_PIN
	# n1 fetches the join script over the pinned TLS, then enrols with the
	# token on standard input; its output says what n2 must do.
	check "n1 fetches join.sh over the pinned key" hx n1 curl -fsS -k --pinnedpubkey "$pin" \
	    -o /run/qnetd-join.sh "https://$ARB_IP:5443/v1/join.sh" || return 1
	check "n1 refuses a wrong key pin (nothing sent)" enroll_join_refused n1 "$ca" \
	    "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" "$tok" || return 1
	check "n1 enrols with the token alone" enroll_join n1 "$ca" "$pin" "$tok" || return 1
	check "n1 again: re-running is safe" enroll_join n1 "$ca" "$pin" "$tok" || return 1
	check "join printed the quorum.device stanza" grep -q "host: $ARB_IP" "$W/n1/join.out" ||
	    return 1
	# n2: the two files copied from n1 (cluster node to cluster node, as the
	# script prints), then the two commands it prints.
	mkdir -p "$W/n2/etc/xfer"
	cp "$W/n1/etc/qdevice/net/nssdb/qnetd-cacert.crt" \
	    "$W/n1/etc/qdevice/net/nssdb/qdevice-net-node.p12" "$W/n2/etc/xfer/" || return 1
	check "n2 imports the CA and the .p12 from n1" enroll_import n2 || return 1
	check "arbiter log: the service signed for n" grep -q "200 certificate for cluster n" \
	    "$W/arb/enroll.log" || return 1
	nodes_start n1 n2 k1 k2 || return 1
	step "both clusters up with the vote over TLS: 3/3, A,V,NMW" 60 $H \
	    n1:T=3 n2:T=3 n1:F=A,V,NMW n2:F=A,V,NMW k1:T=3 k2:T=3 k1:F=A,V,NMW k2:F=A,V,NMW ||
	    return 1
	check "arbiter lists n's two nodes with TLS" arb_lists n 2 "TLS active:.*Yes" || return 1
	check "n's certificate is from the service" grep -Eq \
	    "^[0-9a-f]+ n [0-9a-f]{64} [0-9]+ [0-9]+ service 0$" "$st/registry" || return 1
	enroll_revoke n || return 1
	kill -HUP "$ARB_PID"
	step "n revoked: its nodes lose the qdevice vote, k keeps it" $T $H \
	    n1:T=2 n2:T=2 n1:F=A,NV,NMW n2:F=A,NV,NMW k1:T=3 k2:T=3 k1:F=A,V,NMW k2:F=A,V,NMW ||
	    return 1
	step "n stays refused while k keeps the vote" 10 5 \
	    n1:T=2 n2:T=2 n1:F=A,NV,NMW k1:T=3 k2:T=3 k1:F=A,V,NMW || return 1
	check "arbiter log: n refused on reconnect" grep -q \
	    "(cluster n) is revoked: TLS handshake refused" "$W/arb/qnetd.log" || return 1
	check "arbiter lists only cluster k" arb_clusters 1 || return 1
	check "enrollment service still running" kill -0 "$ENROLL_PID" || return 1
	kill -TERM "$ENROLL_PID"
	unset QNETD_STATE_DIR
}

# enroll_service_start: corosync-qnetd-enroll in the arbiter host, port 5443,
# on the arbiter's database and state directory.  Sets ENROLL_PID.
enroll_service_start()
{
	local i
	hx_bg arb "$W/arb/enroll.log" "$BUILD/corosync-qnetd-enroll" -f -d \
	    -D /etc/corosync/qnetd/nssdb -S /etc/corosync/qi-state -j "$BUILD/corosync-qnetd-join"
	ENROLL_PID=$BG_PID
	for i in $(seq 100); do
		grep -q "Enrollment service ready" "$W/arb/enroll.log" 2>/dev/null && return 0
		kill -0 "$ENROLL_PID" 2>/dev/null || break
		sleep 0.1
	done
	say "  enrollment service did not start (see $W/arb/enroll.log)"
	return 1
}

# cluster_hosts CLUSTER N "options": cluster_add without any certificate.
cluster_hosts()
{
	local cl=$1 n=$2 i
	CLOPTS[$cl]=$3
	CLNODES[$cl]=""
	for i in $(seq "$n"); do
		host_add "$cl$i" || return 1
		CLNODES[$cl]="${CLNODES[$cl]} $cl$i"
		HCL[$cl$i]=$cl
	done
	cluster_conf "$cl"
}

# enroll_token CLUSTER FILE: a token for CLUSTER from the arbiter's
# certificate tool, into FILE (0600); ENROLL_CA and ENROLL_PIN from the
# join command it prints.
enroll_token()
{
	local out=$W/arb/token.out
	( umask 077; hx arb "$QNETD_CERTUTIL" -t -n "$1" -a "$ARB_IP" >"$out" 2>&1 ) || {
		say "  token command failed:"; sed 's/^/    | /' "$out"; return 1; }
	grep -Eo '[0-9a-f]{16}\.[A-Za-z0-9_-]{43}' "$out" | head -n 1 >"$2"
	chmod 600 "$2"
	ENROLL_CA=$(grep -Eo -- '-C [0-9a-fA-F:]{64,95}' "$out" | head -n 1 | sed 's/^-C //')
	ENROLL_PIN=$(grep -Eo -- '-P sha256//[A-Za-z0-9+/=]+' "$out" | head -n 1 | sed 's/^-P //')
	if [ ! -s "$2" ] || [ -z "$ENROLL_CA" ] || [ -z "$ENROLL_PIN" ]; then
		say "  no token, -C or -P in the token command's output:"
		sed 's/^/    | /' "$out"
		return 1
	fi
	log "token issued for $1 (CA $ENROLL_CA, pin $ENROLL_PIN)"
}

# enroll_join HOST CA PIN TOKENFILE: the fetched script, token on stdin.
enroll_join()
{
	hx "$1" sh /run/qnetd-join.sh -a "$ARB_IP:5443" -C "$2" -P "$3" -n "${HCL[$1]}" \
	    <"$4" >"$W/$1/join.out" 2>&1
	local rc=$?
	cat "$W/$1/join.out" >>"$W/$1/certutil.log"
	[ "$rc" = 0 ] || sed 's/^/      | /' "$W/$1/join.out"
	return $rc
}

# enroll_import HOST: the commands corosync-qnetd-join prints for the other nodes.
enroll_import()
{
	hx "$1" sh -ec "corosync-qdevice-net-certutil -i -c /etc/corosync/xfer/qnetd-cacert.crt
	    corosync-qdevice-net-certutil -m -c /etc/corosync/xfer/qdevice-net-node.p12" \
	    >>"$W/$1/certutil.log" 2>&1
}

enroll_join_refused()
{
	hx "$1" sh /run/qnetd-join.sh -a "$ARB_IP:5443" -C "$2" -P "$3" -n "${HCL[$1]}" \
	    <"$4" >"$W/$1/join-refused.out" 2>&1 && return 1
	grep -q REFUSED "$W/$1/join-refused.out" && [ ! -e "$W/$1/etc/qdevice/net/nssdb" ]
}

# enroll_revoke CLUSTER: the certificate tool revokes the cluster's certificate.
enroll_revoke()
{
	hx arb "$QNETD_CERTUTIL" -r "$1" >>"$W/arb/certutil.log" 2>&1 || {
		say "  revoke command failed (see $W/arb/certutil.log)"; return 1; }
	grep -q " $1\$" "$W/arb/etc/qi-state/revoked" || {
		say "  $1 not in the revoked list"; return 1; }
}

desc_ecdsa="ECDSA server key: after enrollment the arbiter's server certificate is re-keyed to P-256 under the same CA (our certutil -R); the cluster, certificates unchanged, reconnects with TLS and gets its vote"
scen_ecdsa()
{
	# Our certificate tool for both daemons: Debian's has no -R, and the
	# database it re-keys is the same format.
	local rekey=$BUILD/corosync-qnetd-certutil
	arb_start || return 1
	cluster_add y 2 "algo=ffsplit tb=lowest votes=1" || return 1
	nodes_start y1 y2 || return 1
	step "both up with the RSA server key: 3/3 votes, A,V,NMW" 60 $H \
	    y1:T=3 y2:T=3 y1:F=A,V,NMW y2:F=A,V,NMW || return 1
	check "server key is RSA before the re-key" server_key_is rsa || return 1
	arb_stop TERM
	step "arbiter stopped: A,NV,NMW" $T $H y1:T=2 y2:T=2 y1:F=A,NV,NMW || return 1
	hx arb "$rekey" -R >>"$W/arb/certutil.log" 2>&1 || return 1
	check "server key is EC P-256 after certutil -R" server_key_is ec || return 1
	check "CA certificate unchanged" cmp -s "$W/xfer/qnetd-cacert.crt" \
	    "$W/arb/etc/qnetd/nssdb/qnetd-cacert.crt" || return 1
	arb_start || return 1
	step "arbiter back with the P-256 key: votes return, A,V,NMW" $T $H \
	    y1:T=3 y2:T=3 y1:F=A,V,NMW y2:F=A,V,NMW || return 1
	check "qdevice-tool: connected, TLS active" qdtool_has y1 "State:.*Connected" \
	    "TLS active:.*Yes" || return 1
	check "arbiter lists both nodes, TLS on" arb_lists y 2 "TLS active:.*Yes" || return 1
}

# server_key_is rsa|ec: the key type of "QNetd Cert" in the arbiter's database.
server_key_is()
{
	hx arb certutil -K -d /etc/corosync/qnetd/nssdb -f /etc/corosync/qnetd/nssdb/pwdfile.txt \
	    2>/dev/null | grep -Eq "^<[ 0-9]+> $1 .*:QNetd Cert\$"
}

# ---------------------------------------------------------------- metrics and hook

# hook_install: an event hook in the arbiter host's /etc/corosync that appends
# one line per event to its /var/log/corosync: the QNETD_* variables, sorted,
# each preceded by a space.
hook_install()
{
	HOOK_EVENTS=$W/arb/log/qi-hook.events
	: >"$HOOK_EVENTS"
	printf '%s\n' '#!/bin/sh' \
	    "{ env | grep '^QNETD_' | sort | sed 's/^/ /' | tr -d '\\n'; echo; } \\" \
	    '    >>/var/log/corosync/qi-hook.events' >"$W/arb/etc/qi-hook" &&
	    chmod 755 "$W/arb/etc/qi-hook"
}

# metric TAG SERIES: the value of SERIES (name{labels} as exposed) in the
# scrape saved by metrics_wait TAG.
metric()
{
	awk -v s="$2" '$1 == s { print $2 }' "$W/metrics.$1"
}

# metrics_wait TAG SERIES=VALUE...: GET /metrics inside the arbiter host, saved
# as $W/metrics.TAG, until every SERIES has its VALUE (10 s at most).
metrics_wait()
{
	local tag=$1 f=$W/metrics.$1 i kv miss
	shift
	for i in $(seq 34); do
		miss=""
		if hx arb curl -fsS --max-time 3 -o "$f.tmp" http://127.0.0.1:9403/metrics \
		    2>>"$W/curl.log"; then
			mv "$f.tmp" "$f"
			for kv in "$@"; do
				[ "$(metric "$tag" "${kv%=*}")" = "${kv##*=}" ] ||
				    miss="$miss ${kv%=*}=$(metric "$tag" "${kv%=*}")"
			done
		else
			miss=" (no answer, see curl.log)"
		fi
		[ -z "$miss" ] && return 0
		sleep 0.3
	done
	say "      GET /metrics ($tag) after 10 s, wrong:$miss"
	return 1
}

# hook_wait SKIP REGEX...: each REGEX matches a line of the hook's event file
# after its first SKIP lines (10 s at most: hooks run asynchronously).
hook_wait()
{
	local skip=$1 i r miss
	shift
	for i in $(seq 34); do
		miss=""
		for r in "$@"; do
			tail -n +"$((skip + 1))" "$HOOK_EVENTS" | grep -Eq -- " $r( |\$)" ||
			    miss="$miss /$r/"
		done
		[ -z "$miss" ] && return 0
		sleep 0.3
	done
	say "      hook events after line $skip lack:$miss"
	tail -n +"$((skip + 1))" "$HOOK_EVENTS" | sed 's/^/        | /'
	return 1
}

# ---------------------------------------------------------------- tool checks

# qdtool_has HOST REGEX...: every regex matches `corosync-qdevice-tool -sv`.
qdtool_has()
{
	local h=$1 out r
	shift
	out=$(hx "$h" corosync-qdevice-tool -sv 2>&1)
	for r in "$@"; do
		grep -q -- "$r" <<<"$out" || { say "      $h qdevice-tool lacks /$r/:"; \
		    sed 's/^/        | /' <<<"$out"; return 1; }
	done
}

qdtool_lacks()
{
	local out
	out=$(hx "$1" corosync-qdevice-tool -sv 2>&1)
	if grep -q -- "$2" <<<"$out"; then
		say "      $1 qdevice-tool unexpectedly matches /$2/"
		return 1
	fi
}

wait_qdtool()
{
	local t=$1 i
	shift
	for i in $(seq $((t * 3))); do
		qdtool_has "$@" >/dev/null 2>&1 && return 0
		sleep 0.3
	done
	qdtool_has "$@"
}

# arb_lists CLUSTER N LINE: `corosync-qnetd-tool -l -v -c CLUSTER` shows N nodes
# and every node block carries LINE.
arb_lists()
{
	local out n m
	out=$(arb_tool -l -v -c "$1" 2>&1)
	n=$(grep -c 'Node ID' <<<"$out")
	m=$(grep -c -- "$3" <<<"$out")
	if [ "$n" -ne "$2" ] || [ "$m" -ne "$2" ]; then
		say "      qnetd-tool -l -v -c $1: want $2 nodes with '$3', got $n/$m:"
		sed 's/^/        | /' <<<"$out"
		return 1
	fi
}

arb_clusters()
{
	local out n
	out=$(arb_tool -l 2>&1)
	n=$(grep -c '^Cluster "' <<<"$out")
	[ "$n" -eq "$1" ] && return 0
	say "      qnetd-tool -l: want $1 clusters, got $n:"
	sed 's/^/        | /' <<<"$out"
	return 1
}

# ---------------------------------------------------------------- restart-split

RS_RESTARTS=${RS_RESTARTS:-3}

desc_restart_split="arbiter restarted ${RS_RESTARTS}x during a standing split (ffsplit KAP on/off, lms, 2nodelms): the vote stays"
scen_restart_split()
{
	local k cl
	declare -gA RS_HOLDER=()
	arb_start || return 1
	cluster_add p 2 "algo=ffsplit tb=lowest kap=on votes=1" || return 1
	cluster_add s 2 "algo=ffsplit tb=lowest kap=off votes=1" || return 1
	cluster_add t 2 "algo=lms tb=lowest votes=1" || return 1
	cluster_add u 2 "algo=2nodelms tb=lowest votes=1" || return 1
	nodes_start p1 p2 s1 s2 t1 t2 u1 u2 || return 1
	step "all up: 4 clusters quorate, 3/3 votes" 60 $H \
	    p1:T=3 p2:T=3 s1:T=3 s2:T=3 t1:T=3 t2:T=3 u1:T=3 u2:T=3 || return 1
	for cl in p s t u; do
		node_kill "${cl}1"
	done
	step "node 1 down: node 2 alone holds the vote" $T $H \
	    p2:Q=Yes p2:T=2 s2:Q=Yes s2:T=2 t2:Q=Yes t2:T=2 u2:Q=Yes u2:T=2 || return 1
	# Node 1 comes back unable to see node 2: a 1/1 tie.
	for cl in p s t u; do
		cut "${cl}1" "${cl}2"
	done
	nodes_start p1 s1 t1 u1 || return 1
	step "node 1 back behind a cut: KAP, lms, 2nodelms keep node 2; KAP off: node 1" 45 4 \
	    p1:Q=No p1:T=1 p2:Q=Yes p2:T=2 s1:Q=Yes s1:T=2 s2:Q=No s2:T=1 \
	    t1:Q=No t1:T=1 t2:Q=Yes t2:T=2 u1:Q=No u1:T=1 u2:Q=Yes u2:T=2 || return 1
	RS_HOLDER=([p]=2 [s]=1 [t]=2 [u]=2)
	for k in $(seq "$RS_RESTARTS"); do
		arb_stop TERM
		arb_start || return 1
		rs_watch "$k" || return 1
	done
}

# rs_watch K: after restart K, watch the four clusters for 30 s at most:
# until each one's holder has its vote back and the state held 6 s (longer
# than our grace: 2 heartbeats of 2.4 s), noting whether the other node was
# ever quorate on the way.  Ours must keep every vote where it was (with KAP
# off, where it ends: that cluster runs upstream's rules); Debian's outcome
# is recorded (MOVED or stayed), not judged.
rs_watch()
{
	local k=$1 t0 cl h o st sh so done_at="" all rc=0
	declare -A moved=() final=()
	t0=$(now)
	while :; do
		all=1
		for cl in p s t u; do
			h=${RS_HOLDER[$cl]}
			o=$((3 - h))
			so=$(qstate "$cl$o")
			sh=$(qstate "$cl$h")
			case " $so " in *" Q=Yes "*) moved[$cl]=1;; esac
			case " $sh " in
			*" Q=Yes "*" T=2 "*) final[$cl]=$h;;
			*) final[$cl]=""; all=0;;
			esac
			case " $so " in *" Q=Yes "*) final[$cl]=$o; all=0;; esac
		done
		if [ "$all" = 1 ]; then
			[ -n "$done_at" ] || done_at=$(now)
			awk -v a="$done_at" -v b="$(now)" 'BEGIN { exit !(b - a >= 6) }' && break
		else
			done_at=""
		fi
		awk -v a="$t0" -v b="$(now)" 'BEGIN { exit !(b - a >= 30) }' && break
		sleep 0.3
	done
	for cl in p s t u; do
		h=${RS_HOLDER[$cl]}
		if [ -z "${moved[$cl]:-}" ] && [ "${final[$cl]:-}" = "$h" ]; then
			st=stayed
		elif [ "${final[$cl]:-}" = "$h" ]; then
			st="MOVED (node $((3 - h)) was quorate), then back"
		elif [ -n "${final[$cl]:-}" ]; then
			st="MOVED to node ${final[$cl]}"
		else
			st="MOVED (no node quorate at the end)"
		fi
		# KAP off keeps upstream's behaviour (docs/compat.md): the memory is
		# not used, so the node that reconnects first may hold the vote
		# until the tie-breaker's pick is back; judged on where it ends.
		[ "$cl" = s ] && [ "$st" != stayed ] && [ "${final[$cl]:-}" = "$h" ] &&
			st="stayed at the end, after a transient move (KAP off, as upstream): $st"
		rs_result "restart $k: ${CLOPTS[$cl]%% votes=1}: the vote stays where it was" \
		    "$st (node $h held it)" "$(elapsed "$t0")" || rc=1
		# Debian's may have moved it: the next restart starts from there.
		[ -n "${final[$cl]:-}" ] && RS_HOLDER[$cl]=${final[$cl]}
	done
	return $rc
}

# rs_result WHAT OUTCOME SECS: ours fails unless the vote stayed; Debian's
# outcome is printed and kept in the results (ok or MOVED), never a failure.
rs_result()
{
	local what=$1 st=$2 secs=$3 res
	res=MOVED
	case $st in stayed*) res=ok;; esac
	if [ "$DAEMON" = ours ]; then
		[ "$res" = ok ] || say "      $st"
		record "$what" "$([ "$res" = ok ] && echo ok || echo FAIL)" "$secs"
		return
	fi
	printf '  %-4s %-58s %6ss\n        debian: %s (recorded, not judged)\n' "rec" "$what" \
	    "$secs" "$st"
	log "STEP $SCEN_NAME | $what | $st | $secs"
	printf '%s|%s|%s|%s\n' "$SCEN_NAME" "$what" "$res" "$secs" >>"$RES_FILE"
}

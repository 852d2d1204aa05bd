# throwaway.sh: a throw-away copy of this machine for the package tests
# (test_deb.sh, test_upgrade.sh), sourced inside their private mount, pid
# and network namespaces.  The caller defines fail() and T (its temp dir).
#
# throwaway_root TAG: an overlay of / on a tmpfs named TAG under $T/ovl,
#   with its own /proc, /dev, /run and /tmp; sets R to its root.
# throwaway_boot: boots $R with systemd (systemd-nspawn --boot, target
#   qnetd-test.target, which the caller wrote into $R) after unmounting what
#   throwaway_root mounted; sets npid (nspawn) and leader (the container's
#   PID 1) and defines in_ct CMD... (run CMD in the container).
# throwaway_wait_active UNIT WHAT: waits up to 30 s for UNIT to be active in
#   the container; fails with "WHAT is 'STATE'" and the unit's journal.

throwaway_root()
{
	O=$T/ovl
	mkdir -p "$O"
	mount -t tmpfs "$1" "$O" || fail "tmpfs"
	mkdir "$O/upper" "$O/work" "$O/root"
	mount -t overlay overlay -o "lowerdir=/,upperdir=$O/upper,workdir=$O/work" \
	    "$O/root" || fail "overlay mount"
	R=$O/root
	mount -t proc proc "$R/proc" || fail "proc"
	mount --rbind /dev "$R/dev" || fail "dev"
	mount -t tmpfs tmpfs "$R/run" || fail "run"
	mount -t tmpfs tmpfs "$R/tmp" || fail "tmp"
	ip link set lo up || fail "lo up"
}

throwaway_boot()
{
	local i=0

	umount -l "$R/proc" "$R/dev" "$R/run" "$R/tmp"
	# Its own machine id, so that its journal is not mistaken for the host's.
	tr -d '-' < /proc/sys/kernel/random/uuid > "$R/etc/machine-id"
	systemd-nspawn -D "$R" --boot --private-network --register=no --keep-unit \
	    -q -- systemd.unit=qnetd-test.target \
	    > "$T/nspawn.log" 2>&1 < /dev/null &
	npid=$!
	# The container's PID 1 is nspawn's child.
	leader=
	while [ -z "$leader" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && { cat "$T/nspawn.log"; fail "container did not start"; }
		sleep 0.1
		leader=$(cat /proc/$npid/task/*/children 2> /dev/null | awk '{ print $1 }')
	done
}

in_ct()
{
	nsenter -t "$leader" -a "$@"
}

throwaway_wait_active()
{
	local unit=$1 what=$2 st i=0

	while :; do
		st=$(in_ct systemctl is-active "$unit" 2> /dev/null)
		[ "$st" = active ] && return 0
		i=$((i + 1))
		if [ "$st" = failed ] || [ $i -gt 300 ]; then
			in_ct systemctl status --no-pager "$unit"
			in_ct journalctl --no-pager -b -u "$unit" | tail -n 20
			fail "$what is '$st'"
		fi
		sleep 0.1
	done
}

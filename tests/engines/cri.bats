#!/usr/bin/env bats
# Kubernetes' path: containerd 1.6's CRI plugin with hutch as the
# RuntimeClass handler "hutch" (io.containerd.runc.v2, BinaryName = hutch),
# driven by tests/cri (a CRI v1 client doing what kubelet does, step by step).
# The pod network is a private CNI bridge without IP masquerade, firewall
# rules or a host address; the pause image is a local busybox `sleep inf`.

load helpers
load containerd-helpers

IMAGE=docker.io/library/busybox:hutch
PAUSE=localhost/hutch-pause:1
SUBNET=10.234.0

setup_file() {
	[ -x "$HUTCH" ] || { echo "no hutch binary at $HUTCH (make build)" >&2; return 1; }
	engine_install containerd containernetworking-plugins runc jq iproute2
	local go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
	# Its own module (tests/cri/go.mod): the hutch binary gets no gRPC deps.
	(cd "$REPO/tests/cri" && CGO_ENABLED=0 "$go" build -o "$REPO/tests/.cache/cri-client" .)
	export CRI_CLIENT=$REPO/tests/.cache/cri-client

	local dir
	dir=$(mktemp -d /tmp/hutch-cri.XXXXXX)
	export CGROUP_PARENT=hutch-cri-$$
	export CTD_CGROUP_PARENTS=$CGROUP_PARENT
	export CNI_NET=hutch-cri-$$ BRIDGE=hutchcri$$
	export LOGS=$dir/pod-logs
	mkdir -p "$dir/cni" "$LOGS"
	cat >"$dir/cni/10-hutch.conflist" <<-EOF
		{"cniVersion": "1.0.0", "name": "$CNI_NET", "plugins": [{
		  "type": "bridge", "bridge": "$BRIDGE",
		  "isGateway": false, "ipMasq": false, "hairpinMode": false,
		  "ipam": {"type": "host-local", "dataDir": "$dir/cni-ipam",
		           "ranges": [[{"subnet": "$SUBNET.0/24"}]]}}]}
	EOF
	# runc stays the default runtime, so only the handler can pick hutch;
	# both runtime roots are private. Netns mounts go under the state dir;
	# restrict_oom_score_adj because root lacks CAP_SYS_RESOURCE here and
	# cannot lower the sandbox's oom_score_adj below containerd's.
	export CTD_CRI=1
	ctd_start "$dir" "
		[plugins.\"io.containerd.grpc.v1.cri\"]
		  sandbox_image = \"$PAUSE\"
		  stream_server_address = \"127.0.0.1\"
		  stream_server_port = \"0\"
		  restrict_oom_score_adj = true
		  netns_mounts_under_state_dir = true
		  [plugins.\"io.containerd.grpc.v1.cri\".containerd]
		    snapshotter = \"overlayfs\"
		    default_runtime_name = \"runc\"
		    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]
		      runtime_type = \"io.containerd.runc.v2\"
		      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]
		        Root = \"$dir/runc-default\"
		    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.hutch]
		      runtime_type = \"io.containerd.runc.v2\"
		      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.hutch.options]
		        BinaryName = \"$HUTCH\"
		        Root = \"$dir/runc\"
		  [plugins.\"io.containerd.grpc.v1.cri\".cni]
		    bin_dir = \"/usr/lib/cni\"
		    conf_dir = \"$dir/cni\"
	"
	export HUTCH_ROOT=$CTD_DIR/runc/k8s.io
	ctd_import k8s.io "$PAUSE" '["/bin/sleep", "inf"]' null
	ctd_import k8s.io "$IMAGE"
	# The IDs the steps pass on to each other.
	export IDS=$CTD_DIR/ids
	mkdir -p "$IDS"
}

teardown_file() {
	[ -n "${CTD_DIR:-}" ] || return 0
	# Pods a failed test left: StopPodSandbox runs CNI DEL, which drops
	# their entries from the CNI result cache in /var/lib/cni.
	local pods p
	pods=$(timeout 30 "$CRI_CLIENT" -socket "$CTD_SOCK" pods 2>/dev/null | awk '{ print $1 }')
	for p in $pods; do
		timeout 30 "$CRI_CLIENT" -socket "$CTD_SOCK" stopp "$p" || true
		timeout 30 "$CRI_CLIENT" -socket "$CTD_SOCK" rmp "$p" || true
	done
	ctd_stop
	# What the CNI plugins made outside CTD_DIR: the bridge, and cache
	# entries of our networks if DEL did not run.
	ip link del "$BRIDGE" 2>/dev/null || true
	rm -f /var/lib/cni/results/"$CNI_NET"-* 2>/dev/null || true
	for p in $pods; do rm -f /var/lib/cni/results/cni-loopback-"$p"-*; done
}

cri() {
	timeout 90 "$CRI_CLIENT" -socket "$CTD_SOCK" "$@"
}

pod_flags() {
	echo -cgroup-parent "/$CGROUP_PARENT" -log-dir "$LOGS"
}

# field KEY: the value of KEY= in $output.
field() {
	echo "$output" | sed -n "s/^$1=//p"
}

# hutch_status ID: the status hutch's own state reports for ID, or "gone".
hutch_status() {
	local out
	out=$("$HUTCH" --root "$HUTCH_ROOT" state "$1" 2>/dev/null) || { echo gone; return 0; }
	echo "$out" | jq -r .status
}

# nothing_left: no pod, hutch state, cgroup, container process or shim.
nothing_left() {
	run cri pods
	[ -z "$output" ] || { echo "pods left: $output"; return 1; }
	ctd_nothing_left "$HUTCH_ROOT" "$CGROUP_PARENT" '^HUTCH_CRI=1$'
}

@test "RunPodSandbox with runtime handler hutch" {
	run cri runp -handler hutch $(pod_flags)
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	local pod=$output
	echo "$pod" >"$IDS/pod"
	run cri statusp "$pod"
	echo "$output"
	[ "$(field state)" = SANDBOX_READY ]
	# The pod got an address from the CNI bridge network.
	[[ "$(field ip)" == "$SUBNET".* ]]
	# The sandbox runs under hutch, not under the default runc.
	[ "$(hutch_status "$pod")" = running ]
	[ -z "$(ls -A "$CTD_DIR/runc-default" 2>/dev/null)" ]
	# and the state file is hutch's own format (runc's has no init_start_time).
	jq -e 'has("init_start_time")' "$HUTCH_ROOT/$pod/state.json"
	# Its process is the local pause image's entrypoint.
	local pid
	pid=$(field pid)
	echo "$pid" >"$IDS/pod-pid"
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "/bin/sleep inf " ]
}

@test "CreateContainer, StartContainer and ContainerStatus" {
	local pod cid
	pod=$(cat "$IDS/pod")
	run cri create -pod "$pod" -image "$IMAGE" -name app -log app.log \
		-memory 67108864 $(pod_flags) -- \
		sh -c 'trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 0.2; done'
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	cid=$output
	echo "$cid" >"$IDS/ctr"
	# CreateContainer only records it: the task (hutch create) comes with
	# StartContainer.
	run cri status "$cid"
	[ "$(field state)" = CONTAINER_CREATED ]
	cri start "$cid"
	run cri status "$cid"
	echo "$output"
	[ "$(field state)" = CONTAINER_RUNNING ]
	[ "$(field image)" = "$IMAGE" ]
	[ "$(field memory_limit)" = 67108864 ]
	[ "$(hutch_status "$cid")" = running ]
	# The container's cgroup is where kubelet asked, with the limit in it.
	local pid
	pid=$(field pid)
	[ "$(awk -F: '$2 == "memory" { print $3 }' "/proc/$pid/cgroup")" = "/$CGROUP_PARENT/$cid" ]
	[ "$(cat "/sys/fs/cgroup/memory/$CGROUP_PARENT/$cid/memory.limit_in_bytes")" = 67108864 ]
	# Its stdout reaches the CRI log file (what `kubectl logs` reads).
	local i
	for i in $(seq 25); do grep -q 'stdout F started$' "$LOGS/app.log" && break; sleep 0.2; done
	grep -q 'stdout F started$' "$LOGS/app.log"
}

@test "ExecSync: output, exit code and the pod's namespaces" {
	local cid
	cid=$(cat "$IDS/ctr")
	run cri exec "$cid" -- sh -c 'echo out; echo err >&2; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = "$(printf 'out\nerr')" ]
	run cri exec "$cid" -- sh -c 'hostname; ip -4 -o addr show eth0; echo HUTCH_CRI=$HUTCH_CRI'
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	echo "$output"
	[ "${lines[0]}" = hutch-pod ]
	echo "${lines[1]}" | grep -q "inet $SUBNET\."
	[ "${lines[2]}" = HUTCH_CRI=1 ]
	# A missing command is an error of the exec, not of the container.
	run cri exec "$cid" -- /no/such/cmd
	[ "$status" -ne 0 ]
	run cri status "$cid"
	[ "$(field state)" = CONTAINER_RUNNING ]
}

@test "StopContainer: SIGTERM, exit code and reason" {
	local cid
	cid=$(cat "$IDS/ctr")
	cri stop "$cid"
	run cri status "$cid"
	echo "$output"
	[ "$(field state)" = CONTAINER_EXITED ]
	[ "$(field exit_code)" = 0 ]
	[ "$(field reason)" = Completed ]
	grep -q 'stdout F got-term$' "$LOGS/app.log"
	[ "$(hutch_status "$cid")" = stopped ] || [ "$(hutch_status "$cid")" = gone ]
}

@test "RemoveContainer: gone from the CRI and from hutch's state" {
	local cid
	cid=$(cat "$IDS/ctr")
	cri rm "$cid"
	run cri ps
	[ "$status" -eq 0 ]
	! echo "$output" | grep -q "^$cid "
	[ "$(hutch_status "$cid")" = gone ]
	[ ! -d "/sys/fs/cgroup/memory/$CGROUP_PARENT/$cid" ]
}

@test "StopPodSandbox and RemovePodSandbox: nothing left behind" {
	local pod pid
	pod=$(cat "$IDS/pod")
	pid=$(cat "$IDS/pod-pid")
	cri stopp "$pod"
	run cri statusp "$pod"
	[ "$(field state)" = SANDBOX_NOTREADY ]
	[ ! -d "/proc/$pid" ]
	cri rmp "$pod"
	nothing_left
}

@test "a pod with the RuntimeDefault seccomp profile, start to removal" {
	local pod cid
	pod=$(cri runp -handler hutch -pod-name sec -pod-uid sec-uid $(pod_flags))
	cid=$(cri create -pod "$pod" -image "$IMAGE" -name sec -seccomp runtime/default \
		-pod-name sec -pod-uid sec-uid $(pod_flags) -- \
		sh -c 'trap "exit 0" TERM; while :; do sleep 0.2; done')
	cri start "$cid"
	[ "$(hutch_status "$cid")" = running ]
	# containerd's default profile is in force: unshare is refused.
	run cri exec "$cid" -- sh -c 'grep ^Seccomp: /proc/self/status; unshare -U true'
	echo "$output"
	[ "$status" -ne 0 ]
	echo "$output" | grep -qP '^Seccomp:\t2$'
	echo "$output" | grep -q 'Operation not permitted'
	cri stop "$cid"
	cri rm "$cid"
	cri stopp "$pod"
	cri rmp "$pod"
	[ "$(hutch_status "$pod")" = gone ]
}

# pod_run NAME [RUNP-FLAGS...]: POD, a ready pod under hutch.
pod_run() {
	local name=$1
	shift
	POD=$(cri runp -handler hutch -pod-name "$name" -pod-uid "$name-uid" $(pod_flags) "$@")
}

# ctr_run NAME [CREATE-FLAGS...] -- ARGS...: CID, a started container in POD.
ctr_run() {
	local name=$1
	shift
	CID=$(cri create -pod "$POD" -image "$IMAGE" -name "$name" $(pod_flags) "$@")
	cri start "$CID"
}

# pod_rm: stops and removes POD and its containers.
pod_rm() {
	cri stopp "$POD"
	cri rmp "$POD"
	[ "$(hutch_status "$POD")" = gone ]
}

@test "securityContext: runAsUser, readOnlyRootFilesystem, no privilege escalation, no capabilities" {
	pod_run secctx
	ctr_run secctx -user 1000 -readonly -no-new-privs -drop-all-caps -- \
		sh -c 'trap "exit 0" TERM; while :; do sleep 0.2; done'
	[ "$(hutch_status "$CID")" = running ]
	run cri exec "$CID" -- sh -c 'id -u; grep -E "^(CapEff|NoNewPrivs):" /proc/self/status; touch /x 2>&1; touch /tmp/x 2>&1'
	echo "$output"
	[ "${lines[0]}" = 1000 ]
	echo "$output" | grep -qP '^CapEff:\t0{16}$'
	echo "$output" | grep -qP '^NoNewPrivs:\t1$'
	echo "$output" | grep -q "touch: /x: Read-only file system"
	echo "$output" | grep -q "touch: /tmp/x: Read-only file system"
	pod_rm
}

@test "shareProcessNamespace: containers join the pause's pid namespace" {
	pod_run sharedpid -pid pod -sysctl net.ipv4.ip_unprivileged_port_start=80
	ctr_run one -pid pod -pod-name sharedpid -pod-uid sharedpid-uid -- sleep 1001
	local one=$CID
	ctr_run two -pid pod -pod-name sharedpid -pod-uid sharedpid-uid -- sleep 1002
	run cri exec "$CID" -- sh -c 'ps -o pid,args; cat /proc/sys/net/ipv4/ip_unprivileged_port_start'
	echo "$output"
	# pid 1 is the sandbox's sleep; both containers' processes are seen.
	echo "$output" | grep -qE '^ +1 +/bin/sleep inf$'
	echo "$output" | grep -q 'sleep 1001$'
	echo "$output" | grep -q 'sleep 1002$'
	[ "${lines[-1]}" = 80 ]
	pod_rm
	[ "$(hutch_status "$one")" = gone ]
	[ "$(hutch_status "$CID")" = gone ]
}

@test "UpdateContainerResources and an ExecSync probe that times out" {
	pod_run upd
	ctr_run upd -memory 67108864 -pod-name upd -pod-uid upd-uid -- sh -c 'trap "exit 0" TERM; while :; do sleep 0.2; done'
	cri update -memory 134217728 "$CID"
	[ "$(cat "/sys/fs/cgroup/memory/$CGROUP_PARENT/$CID/memory.limit_in_bytes")" = 134217728 ]
	run cri status "$CID"
	[ "$(field memory_limit)" = 134217728 ]
	# A probe that outlives its timeout fails, and its process is killed.
	SECONDS=0
	run cri exec -timeout 1 "$CID" -- sleep 30
	[ "$status" -ne 0 ]
	[ "$SECONDS" -lt 20 ]
	run cri exec "$CID" -- ps -o args
	! echo "$output" | grep -q 'sleep 30'
	pod_rm
}

@test "a container over its memory limit is OOMKilled" {
	pod_run oom
	ctr_run oom -memory 16777216 -pod-name oom -pod-uid oom-uid -- sh -c 'echo go; tail /dev/zero'
	local i
	for i in $(seq 50); do
		run cri status "$CID"
		[ "$(field state)" = CONTAINER_EXITED ] && break
		sleep 0.2
	done
	echo "$output"
	[ "$(field state)" = CONTAINER_EXITED ]
	[ "$(field exit_code)" = 137 ]
	[ "$(field reason)" = OOMKilled ]
	pod_rm
}

@test "hostPID and hostNetwork: stopping the container ends all its processes" {
	pod_run hostns -pid node -host-network
	ctr_run hostns -pid node -host-network -pod-name hostns -pod-uid hostns-uid -- \
		sh -c 'sleep 1003 & sleep 1004 & wait'
	[ "$(hutch_status "$CID")" = running ]
	run cri exec "$CID" -- sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/net'
	echo "$output"
	# The host's namespaces (this shell's), not new ones.
	[ "${lines[0]}" = "$(readlink /proc/$$/ns/pid)" ]
	[ "${lines[1]}" = "$(readlink /proc/$$/ns/net)" ]
	pgrep -fx 'sleep 1003'
	# No pid namespace to take the children down with the init: the
	# runtime's kill --all must reach them.
	cri stop "$CID"
	run cri status "$CID"
	[ "$(field state)" = CONTAINER_EXITED ]
	local i
	for i in $(seq 25); do pgrep -fx 'sleep 100[34]' >/dev/null || break; sleep 0.2; done
	run pgrep -fx 'sleep 100[34]'
	[ -z "$output" ] || { echo "left running: $output"; return 1; }
	cri rm "$CID"
	pod_rm
}

@test "nothing left behind by any pod" {
	nothing_left
}

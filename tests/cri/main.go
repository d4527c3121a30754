// cri-client drives a CRI runtime service (containerd's CRI plugin) the way
// kubelet does, one call per subcommand, so tests/engines/cri.bats can check
// each step. It prints IDs and key=value lines for the shell.
//
//	cri-client -socket S runp -handler hutch [pod flags]          prints the pod id
//	cri-client -socket S create -pod ID -image IMG [flags] [pod flags] -- ARGS...
//	cri-client -socket S start|stop|rm|status ID    (containers)
//	cri-client -socket S stopp|rmp|statusp ID       (pods)
//	cri-client -socket S exec [-timeout S] ID -- ARGS...   exits with the command's code
//	cri-client -socket S update -memory N ID | pods | ps | version
//
// The pod flags (-pod-name, -pod-uid, -cgroup-parent, -log-dir, -pid,
// -host-network, -sysctl) are given to create again: kubelet sends the pod config twice.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func main() {
	socket := flag.String("socket", "", "path of the CRI unix socket")
	timeout := flag.Duration("timeout", 60*time.Second, "deadline of each call")
	flag.Parse()
	if *socket == "" || flag.NArg() == 0 {
		fatalf("usage: cri-client -socket PATH COMMAND [ARGS...]")
	}
	conn, err := grpc.NewClient("unix://"+*socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fatalf("connect to %s: %v", *socket, err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	rs := cri.NewRuntimeServiceClient(conn)
	os.Exit(run(ctx, rs, flag.Arg(0), flag.Args()[1:]))
}

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "cri-client: "+format+"\n", a...)
	os.Exit(2)
}

// podFlags are the parts of a PodSandboxConfig kubelet sends that the test
// chooses; create needs them again, as kubelet sends the pod config twice.
type podFlags struct {
	name, uid, namespace, cgroupParent, logDir, pid, sysctl *string
	hostNetwork                                             *bool
}

func addPodFlags(fs *flag.FlagSet) podFlags {
	return podFlags{
		name:         fs.String("pod-name", "hutch-pod", "pod name"),
		uid:          fs.String("pod-uid", "hutch-pod-uid", "pod uid"),
		namespace:    fs.String("pod-namespace", "default", "pod namespace"),
		cgroupParent: fs.String("cgroup-parent", "", "linux.cgroup_parent of the pod"),
		logDir:       fs.String("log-dir", "", "log_directory of the pod"),
		pid:          fs.String("pid", "container", "pid namespace: container, pod (shareProcessNamespace) or node (hostPID)"),
		hostNetwork:  fs.Bool("host-network", false, "hostNetwork: no pod network namespace"),
		sysctl:       fs.String("sysctl", "", "one pod sysctl, KEY=VALUE"),
	}
}

func (p podFlags) namespaces() *cri.NamespaceOption {
	pid, network := cri.NamespaceMode_CONTAINER, cri.NamespaceMode_POD
	switch *p.pid {
	case "pod":
		pid = cri.NamespaceMode_POD
	case "node":
		pid = cri.NamespaceMode_NODE
	}
	if *p.hostNetwork {
		network = cri.NamespaceMode_NODE
	}
	return &cri.NamespaceOption{Network: network, Pid: pid, Ipc: cri.NamespaceMode_POD}
}

func (p podFlags) config() *cri.PodSandboxConfig {
	var sysctls map[string]string
	if k, v, ok := strings.Cut(*p.sysctl, "="); ok {
		sysctls = map[string]string{k: v}
	}
	// As kubelet: a hostNetwork pod keeps the node's hostname (and UTS
	// namespace), so none is sent.
	hostname := *p.name
	if *p.hostNetwork {
		hostname = ""
	}
	return &cri.PodSandboxConfig{
		Hostname:     hostname,
		Metadata:     &cri.PodSandboxMetadata{Name: *p.name, Uid: *p.uid, Namespace: *p.namespace},
		LogDirectory: *p.logDir,
		Labels:       map[string]string{"io.kubernetes.pod.name": *p.name},
		Linux: &cri.LinuxPodSandboxConfig{
			CgroupParent:    *p.cgroupParent,
			Sysctls:         sysctls,
			SecurityContext: &cri.LinuxSandboxSecurityContext{NamespaceOptions: p.namespaces()},
		},
	}
}

func run(ctx context.Context, rs cri.RuntimeServiceClient, cmd string, args []string) int {
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	switch cmd {
	case "version":
		v, err := rs.Version(ctx, &cri.VersionRequest{})
		check(err, "Version")
		fmt.Printf("runtime=%s version=%s api=%s\n", v.RuntimeName, v.RuntimeVersion, v.RuntimeApiVersion)

	case "runp":
		handler := fs.String("handler", "", "runtime_handler (RuntimeClass)")
		pod := addPodFlags(fs)
		fs.Parse(args)
		r, err := rs.RunPodSandbox(ctx, &cri.RunPodSandboxRequest{Config: pod.config(), RuntimeHandler: *handler})
		check(err, "RunPodSandbox")
		fmt.Println(r.PodSandboxId)

	case "create":
		podID := fs.String("pod", "", "pod sandbox id")
		image := fs.String("image", "", "image reference")
		name := fs.String("name", "c", "container name")
		logPath := fs.String("log", "", "log_path, relative to the pod's log_directory")
		memory := fs.Int64("memory", 0, "memory limit in bytes (0: none)")
		seccomp := fs.String("seccomp", "", "seccomp profile: runtime/default or empty (unconfined)")
		user := fs.Int64("user", -1, "run_as_user (-1: the image's)")
		readonly := fs.Bool("readonly", false, "readonly_rootfs")
		noNewPrivs := fs.Bool("no-new-privs", false, "no_new_privs (allowPrivilegeEscalation: false)")
		dropAll := fs.Bool("drop-all-caps", false, "drop every capability")
		pod := addPodFlags(fs)
		fs.Parse(args)
		sc := &cri.LinuxContainerSecurityContext{NamespaceOptions: pod.namespaces(), ReadonlyRootfs: *readonly, NoNewPrivs: *noNewPrivs}
		if *user >= 0 {
			sc.RunAsUser = &cri.Int64Value{Value: *user}
		}
		if *dropAll {
			sc.Capabilities = &cri.Capability{DropCapabilities: []string{"ALL"}}
		}
		if *seccomp == "runtime/default" {
			sc.Seccomp = &cri.SecurityProfile{ProfileType: cri.SecurityProfile_RuntimeDefault}
		}
		cfg := &cri.ContainerConfig{
			Metadata: &cri.ContainerMetadata{Name: *name},
			Image:    &cri.ImageSpec{Image: *image},
			Command:  fs.Args(),
			LogPath:  *logPath,
			Envs:     []*cri.KeyValue{{Key: "HUTCH_CRI", Value: []byte("1")}},
			Linux: &cri.LinuxContainerConfig{
				Resources:       &cri.LinuxContainerResources{MemoryLimitInBytes: *memory},
				SecurityContext: sc,
			},
		}
		r, err := rs.CreateContainer(ctx, &cri.CreateContainerRequest{PodSandboxId: *podID, Config: cfg, SandboxConfig: pod.config()})
		check(err, "CreateContainer")
		fmt.Println(r.ContainerId)

	case "start":
		_, err := rs.StartContainer(ctx, &cri.StartContainerRequest{ContainerId: one(args)})
		check(err, "StartContainer")

	case "update":
		memory := fs.Int64("memory", 0, "new memory limit in bytes")
		fs.Parse(args)
		_, err := rs.UpdateContainerResources(ctx, &cri.UpdateContainerResourcesRequest{
			ContainerId: one(fs.Args()), Linux: &cri.LinuxContainerResources{MemoryLimitInBytes: *memory}})
		check(err, "UpdateContainerResources")

	case "exec":
		execTimeout := fs.Int64("timeout", 30, "seconds before the exec is killed (a probe's timeoutSeconds)")
		fs.Parse(args)
		args = fs.Args()
		if len(args) < 3 || args[1] != "--" {
			fatalf("usage: exec [-timeout S] ID -- ARGS...")
		}
		r, err := rs.ExecSync(ctx, &cri.ExecSyncRequest{ContainerId: args[0], Cmd: args[2:], Timeout: *execTimeout})
		check(err, "ExecSync")
		os.Stdout.Write(r.Stdout)
		os.Stderr.Write(r.Stderr)
		return int(r.ExitCode)

	case "status":
		r, err := rs.ContainerStatus(ctx, &cri.ContainerStatusRequest{ContainerId: one(args), Verbose: true})
		check(err, "ContainerStatus")
		s := r.Status
		fmt.Printf("state=%s\nexit_code=%d\nreason=%s\nimage=%s\nlog_path=%s\npid=%s\n",
			s.State, s.ExitCode, s.Reason, s.Image.GetImage(), s.LogPath, pidOf(r.Info))
		if s.Resources.GetLinux() != nil {
			fmt.Printf("memory_limit=%d\n", s.Resources.GetLinux().MemoryLimitInBytes)
		}

	case "statusp":
		r, err := rs.PodSandboxStatus(ctx, &cri.PodSandboxStatusRequest{PodSandboxId: one(args), Verbose: true})
		check(err, "PodSandboxStatus")
		s := r.Status
		fmt.Printf("state=%s\nip=%s\nnetns=%s\npid=%s\n", s.State, s.Network.GetIp(),
			s.Linux.GetNamespaces().GetOptions().GetNetwork(), pidOf(r.Info))

	case "stop":
		_, err := rs.StopContainer(ctx, &cri.StopContainerRequest{ContainerId: one(args), Timeout: 10})
		check(err, "StopContainer")
	case "rm":
		_, err := rs.RemoveContainer(ctx, &cri.RemoveContainerRequest{ContainerId: one(args)})
		check(err, "RemoveContainer")
	case "stopp":
		_, err := rs.StopPodSandbox(ctx, &cri.StopPodSandboxRequest{PodSandboxId: one(args)})
		check(err, "StopPodSandbox")
	case "rmp":
		_, err := rs.RemovePodSandbox(ctx, &cri.RemovePodSandboxRequest{PodSandboxId: one(args)})
		check(err, "RemovePodSandbox")

	case "pods":
		r, err := rs.ListPodSandbox(ctx, &cri.ListPodSandboxRequest{})
		check(err, "ListPodSandbox")
		for _, p := range r.Items {
			fmt.Printf("%s %s %s\n", p.Id, p.Metadata.GetName(), p.State)
		}
	case "ps":
		r, err := rs.ListContainers(ctx, &cri.ListContainersRequest{})
		check(err, "ListContainers")
		for _, c := range r.Containers {
			fmt.Printf("%s %s %s\n", c.Id, c.Metadata.GetName(), c.State)
		}
	default:
		fatalf("unknown command %q", cmd)
	}
	return 0
}

func one(args []string) string {
	if len(args) != 1 || args[0] == "" {
		fatalf("expected one ID, got %q", args)
	}
	return args[0]
}

func check(err error, call string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "cri-client: %s: %v\n", call, err)
		os.Exit(3)
	}
}

// pidOf finds "pid" in the verbose info JSON containerd returns (its
// schema is containerd's, not the CRI's, so only the number is read).
func pidOf(info map[string]string) string {
	s := info["info"]
	i := strings.Index(s, `"pid":`)
	if i < 0 {
		return ""
	}
	s = s[i+len(`"pid":`):]
	j := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if j < 0 {
		return s
	}
	return s[:j]
}

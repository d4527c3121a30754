// Package criu drives CRIU's RPC service (`criu swrk`) for checkpoint and
// restore: it finds the binary, checks that its version can work on this
// kernel, and runs one request with its notifications. The messages are
// go-criu's; what to ask for is the caller's.
package criu

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/checkpoint-restore/go-criu/v8/rpc"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/timerslack"
)

// MinVersion is the oldest CRIU hutch drives (lsm_profile and the
// status-ready notification are 3.16's).
const MinVersion = 31600

// vvarVclockVersion: kernels from 6.13 on map [vvar_vclock], which CRIU
// handles from 4.1 on; older ones fail every dump and restore with
// "vdso: Unexpected rt vDSO area bounds".
const vvarVclockVersion = 40100

// Binary is a CRIU executable and its version (major*10000+minor*100+sub).
type Binary struct {
	Path    string
	Version int
}

// Find resolves name (--criu: a path, or a name looked up in PATH) and
// asks the binary its version. The error names the binary, its version
// and why it cannot be used.
func Find(name string) (*Binary, error) {
	if name == "" {
		name = "criu"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("checkpoint/restore needs CRIU (%s): %w", name, err)
	}
	b := &Binary{Path: path}
	resp, err := b.Run(Request{Type: rpc.CriuReqType_VERSION})
	if err != nil {
		return nil, fmt.Errorf("CRIU %s: version check failed (CRIU 3.0 and later answer it): %w", path, err)
	}
	v := resp.GetVersion()
	b.Version = int(v.GetMajorNumber())*10000 + int(v.GetMinorNumber())*100 + int(v.GetSublevel())
	if b.Version < MinVersion {
		return nil, fmt.Errorf("CRIU %s at %s is too old: hutch needs %s or later", b, path, versionString(MinVersion))
	}
	if b.Version < vvarVclockVersion && kernelAtLeast(6, 13) {
		return nil, fmt.Errorf("CRIU %s at %s cannot work on kernel %s: kernels from 6.13 on map [vvar_vclock], which CRIU handles from 4.1 on (it fails with \"Unexpected rt vDSO area bounds\")", b, path, kernelRelease())
	}
	return b, nil
}

func (b *Binary) String() string { return versionString(b.Version) }

func versionString(v int) string {
	return fmt.Sprintf("%d.%d.%d", v/10000, v/100%100, v%100)
}

func kernelRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

func kernelAtLeast(major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(kernelRelease(), "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}

// Notification is one of CRIU's notify messages ("post-dump",
// "setup-namespaces", "post-restore", "orphan-pts-master", ...): Pid is
// the task it concerns, Files what came with it (the pty master).
type Notification struct {
	Script string
	Pid    int
	Files  []*os.File
}

// Request is one swrk request.
type Request struct {
	Type rpc.CriuReqType
	Opts *rpc.CriuOpts
	// Stdio become CRIU's fds 0-2 (nil: /dev/null): on restore, the fds
	// that inherit_fd entries name.
	Stdio [3]*os.File
	// Extra are CRIU's fds from 4 on (3 is the RPC socket).
	Extra []*os.File
	// Started is called with CRIU's pid before the request is sent (a
	// restore puts CRIU in the container's cgroup there).
	Started func(pid int) error
	// Notify handles a notification; an error fails the request.
	Notify func(Notification) error
}

// Run starts `criu swrk`, sends the request, answers its notifications and
// waits for CRIU to exit. A failed request's error carries CRIU's errno
// and message; the caller adds what its log says (LogErrors).
func (b *Binary) Run(r Request) (*rpc.CriuResp, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	client := os.NewFile(uintptr(fds[0]), "criu-client")
	server := os.NewFile(uintptr(fds[1]), "criu-server")
	defer client.Close()

	cmd := exec.Command(b.Path, "swrk", "3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = r.Stdio[0], r.Stdio[1], r.Stdio[2]
	cmd.ExtraFiles = append([]*os.File{server}, r.Extra...)
	err = timerslack.Start(cmd.Start)
	server.Close()
	if err != nil {
		return nil, fmt.Errorf("start %s swrk: %w", b.Path, err)
	}
	waited := false
	defer func() {
		if !waited {
			client.Close()
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	if r.Started != nil {
		if err := r.Started(cmd.Process.Pid); err != nil {
			return nil, err
		}
	}
	if r.Notify != nil && r.Opts != nil {
		r.Opts.NotifyScripts = ptr(true)
	}
	typ := r.Type
	req := &rpc.CriuReq{Type: &typ, Opts: r.Opts}
	var resp *rpc.CriuResp
	for {
		data, err := req.MarshalVT()
		if err != nil {
			return nil, err
		}
		if _, err := client.Write(data); err != nil {
			return nil, fmt.Errorf("send request to CRIU: %w", err)
		}
		if resp, err = b.recv(client, r); err != nil {
			return nil, err
		}
		if resp.GetType() != rpc.CriuReqType_NOTIFY {
			break
		}
		nt := rpc.CriuReqType_NOTIFY
		req = &rpc.CriuReq{Type: &nt, NotifySuccess: ptr(true)}
	}
	// CRIU exits once the request is answered; pre-dump leaves it waiting
	// for the next request, which closing the socket ends.
	client.Close()
	waited = true
	werr := cmd.Wait()
	if !resp.GetSuccess() {
		msg := resp.GetCrErrmsg()
		if msg == "" {
			msg = unix.Errno(resp.GetCrErrno()).Error()
		}
		return resp, fmt.Errorf("criu %s failed: %s", strings.ToLower(r.Type.String()), msg)
	}
	if resp.GetType() != r.Type {
		return resp, fmt.Errorf("criu answered %s to a %s request", resp.GetType(), r.Type)
	}
	if werr != nil && r.Type != rpc.CriuReqType_PRE_DUMP {
		return resp, fmt.Errorf("criu %s: %w", strings.ToLower(r.Type.String()), werr)
	}
	return resp, nil
}

// recv reads one response, running the notification it may be.
func (b *Binary) recv(client *os.File, r Request) (*rpc.CriuResp, error) {
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := unix.Recvmsg(int(client.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("read from CRIU: %w", err)
	}
	if n == 0 {
		return nil, errors.New("CRIU exited without answering")
	}
	resp := &rpc.CriuResp{}
	if err := resp.UnmarshalVT(buf[:n]); err != nil {
		return nil, fmt.Errorf("decode CRIU's answer: %w", err)
	}
	var files []*os.File
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err == nil {
			for i := range msgs {
				if fds, err := unix.ParseUnixRights(&msgs[i]); err == nil {
					for _, fd := range fds {
						files = append(files, os.NewFile(uintptr(fd), "criu-fd"))
					}
				}
			}
		}
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	if resp.GetType() != rpc.CriuReqType_NOTIFY || !resp.GetSuccess() {
		return resp, nil
	}
	nt := Notification{Script: resp.GetNotify().GetScript(), Pid: int(resp.GetNotify().GetPid()), Files: files}
	if r.Notify != nil {
		if err := r.Notify(nt); err != nil {
			return nil, fmt.Errorf("CRIU notification %s: %w", nt.Script, err)
		}
	}
	return resp, nil
}

func ptr[T any](v T) *T { return &v }

// LogErrors returns the lines of CRIU's log that report errors (at most
// max, the last ones), for the message of a failed request.
func LogErrors(dir, name string, max int) []string {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		line := s.Bytes()
		if bytes.Contains(line, []byte("Error")) {
			out = append(out, strings.TrimSpace(string(line)))
			if len(out) > max {
				out = out[1:]
			}
		}
	}
	return out
}

package libcontainer

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/pathsafe"
	"github.com/hutch-runtime/hutch/libcontainer/readlimit"
)

// setDefaultHome adds HOME to a process whose env has none, as runc does
// (programs and shells rely on it): the home directory of process.user.uid
// in the container's /etc/passwd, read inside root without leaving it, else
// "/".
func setDefaultHome(p *specs.Process, root string) {
	for _, e := range p.Env {
		if strings.HasPrefix(e, "HOME=") {
			return
		}
	}
	home := "/"
	if data := readPasswd(root); data != nil {
		if h, ok := passwdHome(data, p.User.UID); ok {
			home = h
		}
	}
	p.Env = append(p.Env, "HOME="+home)
}

func readPasswd(root string) []byte {
	f, err := pathsafe.OpenInRoot(root, "/etc/passwd", unix.O_RDONLY)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := readlimit.Reader(f, "/etc/passwd", readlimit.ConfigMax)
	if err != nil {
		return nil
	}
	return data
}

// passwdHome finds uid's home directory in passwd(5) text.
func passwdHome(data []byte, uid uint32) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	want := strconv.FormatUint(uint64(uid), 10)
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) >= 6 && f[2] == want && f[5] != "" {
			return f[5], true
		}
	}
	return "", false
}

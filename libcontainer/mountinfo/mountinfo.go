// Package mountinfo reads /proc/self/mountinfo (proc(5)): one parser for
// the rootfs, cgroups and intelrdt packages.
package mountinfo

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Mount is one line of mountinfo, its paths unescaped.
type Mount struct {
	ID, Parent int
	Dev        string // major:minor of the filesystem
	Root       string // root of the mount within its filesystem
	Mountpoint string
	FSType     string
	Source     string
	SuperOpts  string
}

// Read parses the mountinfo file at path.
func Read(path string) ([]Mount, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// Parse reads a mountinfo listing; a malformed line is an error.
func Parse(r io.Reader) ([]Mount, error) {
	var out []Mount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		m, err := ParseLine(sc.Text())
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// ParseLine reads one line:
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
func ParseLine(line string) (Mount, error) {
	fields := strings.Fields(line)
	sep := -1
	for i := 6; i < len(fields); i++ {
		if fields[i] == "-" {
			sep = i
			break
		}
	}
	if len(fields) < 7 || sep < 0 || len(fields) < sep+3 {
		return Mount{}, fmt.Errorf("malformed mountinfo line %q", line)
	}
	id, err1 := strconv.Atoi(fields[0])
	parent, err2 := strconv.Atoi(fields[1])
	if err1 != nil || err2 != nil {
		return Mount{}, fmt.Errorf("malformed mountinfo line %q", line)
	}
	m := Mount{
		ID: id, Parent: parent, Dev: fields[2],
		Root:       unescape(fields[3]),
		Mountpoint: unescape(fields[4]),
		FSType:     fields[sep+1],
		Source:     unescape(fields[sep+2]),
	}
	if len(fields) > sep+3 {
		m.SuperOpts = fields[sep+3]
	}
	return m, nil
}

// unescape undoes the kernel's \NNN escaping of space, tab, newline and
// backslash in mountinfo paths.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

package libcontainer

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestSetDefaultHome(t *testing.T) {
	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\nbroken\nu:x:1000:1000::/home/u:/bin/sh\n"), 0o644)
	for _, tt := range []struct {
		uid  uint32
		env  []string
		want string
	}{
		{0, nil, "HOME=/root"},
		{1000, []string{"A=b"}, "HOME=/home/u"},
		{2000, nil, "HOME=/"},
		{0, []string{"HOME=/kept"}, "HOME=/kept"},
	} {
		p := &specs.Process{User: specs.User{UID: tt.uid}, Env: tt.env}
		setDefaultHome(p, root)
		if got := p.Env[len(p.Env)-1]; got != tt.want {
			t.Errorf("uid %d env %v: %q, want %q", tt.uid, tt.env, got, tt.want)
		}
	}
	// An /etc/passwd that cannot be read (a symlink loop here): "/".
	os.Remove(filepath.Join(root, "etc/passwd"))
	os.Symlink("/etc/passwd", filepath.Join(root, "etc/passwd"))
	p := &specs.Process{}
	setDefaultHome(p, root)
	if p.Env[0] != "HOME=/" {
		t.Errorf("got %v", p.Env)
	}
}

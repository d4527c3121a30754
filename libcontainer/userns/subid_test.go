package userns

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestSubIDs(t *testing.T) {
	f := filepath.Join(t.TempDir(), "subuid")
	os.WriteFile(f, []byte("other:100000:65536\nme:300000:65536\n1001:500000:10\n"), 0o644)
	r, err := readSubIDs(f, "me", 1001)
	if err != nil || len(r) != 2 || r[0].start != 300000 || r[1].count != 10 {
		t.Fatalf("got %v %v", r, err)
	}
	good := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1001, Size: 1}, {ContainerID: 1, HostID: 300000, Size: 65536}}
	if err := checkSubIDs("linux.uidMappings", f, good, 1001, r); err != nil {
		t.Fatal(err)
	}
	bad := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1001, Size: 1}, {ContainerID: 1, HostID: 300001, Size: 65536}}
	err = checkSubIDs("linux.uidMappings", f, bad, 1001, r)
	if err == nil || !strings.Contains(err.Error(), "linux.uidMappings[1]: host ids 300001-365536") {
		t.Fatalf("got %v", err)
	}
	if err := checkSubIDs("linux.uidMappings", f, bad[1:], 1001, nil); err == nil || !strings.Contains(err.Error(), "(none)") {
		t.Fatalf("no ranges: got %v", err)
	}
}

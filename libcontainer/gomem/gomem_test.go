package gomem

import (
	"bufio"
	_ "embed"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"
)

// vma is the /proc/self/smaps entry of the mapping that holds addr.
type vma struct {
	size, rss     int  // kB
	anonHugePages int  // kB
	advised       bool // VmFlags has hg: MADV_HUGEPAGE
}

func mappingOf(t *testing.T, addr uintptr) vma {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var v vma
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if r := strings.SplitN(fields[0], "-", 2); len(r) == 2 && !strings.HasSuffix(fields[0], ":") {
			lo, err1 := strconv.ParseUint(r[0], 16, 64)
			hi, err2 := strconv.ParseUint(r[1], 16, 64)
			if err1 == nil && err2 == nil {
				if in {
					return v
				}
				in = uint64(addr) >= lo && uint64(addr) < hi
				continue
			}
		}
		if !in {
			continue
		}
		switch fields[0] {
		case "Size:":
			v.size, _ = strconv.Atoi(fields[1])
		case "Rss:":
			v.rss, _ = strconv.Atoi(fields[1])
		case "AnonHugePages:":
			v.anonHugePages, _ = strconv.Atoi(fields[1])
		case "VmFlags:":
			for _, f := range fields[1:] {
				v.advised = v.advised || f == "hg"
			}
		}
	}
	if !in {
		t.Fatalf("no mapping holds %#x", addr)
	}
	return v
}

func thpMode() string {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return "none"
	}
	s := string(b)
	if i, j := strings.Index(s, "["), strings.Index(s, "]"); i >= 0 && j > i {
		return s[i+1 : j]
	}
	return "none"
}

// sink keeps the test's allocations alive and on the heap.
var sink [][]byte

func TestTheHeapIsBackedByHugePages(t *testing.T) {
	// A megabyte of small objects, as a command allocates them.
	for i := 0; i < 16<<10; i++ {
		sink = append(sink, make([]byte, 64))
	}
	assertHugePages(t, "the heap mapping", uintptr(unsafe.Pointer(&sink[len(sink)-1][0])))
}

func TestSmallRuntimeMappingsComeFromOneHugePage(t *testing.T) {
	start, used := poolUsed()
	if start == 0 || used == 0 {
		t.Fatalf("the pool of small runtime mappings is unused (start %#x, %d bytes handed out): is the mmap wrapper linked?", start, used)
	}
	if start%(2<<20) != 0 {
		t.Errorf("the pool at %#x is not 2 MB-aligned: no huge page can back it", start)
	}
	assertHugePages(t, "the pool", start)
}

// assertHugePages checks that the mapping holding addr is advised for huge
// pages and, where the kernel has them on, backed by at least one.
func assertHugePages(t *testing.T, what string, addr uintptr) {
	t.Helper()
	v := mappingOf(t, addr)
	if !v.advised {
		t.Fatalf("%s is not advised for huge pages (VmFlags lacks hg): is the mmap wrapper linked?", what)
	}
	if m := thpMode(); m == "never" || m == "none" {
		t.Skipf("%s is advised, but transparent huge pages are %s on this kernel", what, m)
	}
	if v.anonHugePages == 0 {
		t.Errorf("%s is advised but has no huge pages (no free 2 MB block?)", what)
	}
}

// untouched is a megabyte of the binary's read-only data that nothing
// reads: without the constructor's populate its pages stay unmapped.
//
//go:embed testdata/untouched
var untouched string

func TestTheBinarysReadOnlySegmentsAreMappedWhole(t *testing.T) {
	code := reflect.ValueOf(TestTheBinarysReadOnlySegmentsAreMappedWhole).Pointer()
	data := uintptr(unsafe.Pointer(unsafe.StringData(untouched)))
	for _, m := range []struct {
		what string
		addr uintptr
	}{{"code", code}, {"read-only data", data}} {
		v := mappingOf(t, m.addr)
		if v.size == 0 || v.rss != v.size {
			t.Errorf("the binary's %s mapping holds %d of its %d kB: not populated", m.what, v.rss, v.size)
		}
	}
}

func TestThreadsShareOneMallocArena(t *testing.T) {
	// Threads the runtime starts for goroutines held on their own
	// threads; each calls malloc through cgo when it starts.
	var started, done sync.WaitGroup
	release := make(chan struct{})
	for i := 0; i < 4; i++ {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			started.Done()
			<-release
		}()
	}
	started.Wait()
	defer func() { close(release); done.Wait() }()
	if n := arenas(); n != 1 {
		t.Errorf("glibc has %d malloc arenas, want 1 (M_ARENA_MAX)", n)
	}
}

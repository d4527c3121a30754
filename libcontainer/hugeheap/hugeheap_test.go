package hugeheap

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// vma is the /proc/self/smaps entry of the mapping that holds addr.
type vma struct {
	anonHugePages int // kB
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
		if fields[0] == "AnonHugePages:" {
			v.anonHugePages, _ = strconv.Atoi(fields[1])
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

func TestAdviseBacksTheHeapWithAHugePage(t *testing.T) {
	if m := thpMode(); m == "never" || m == "none" {
		t.Skipf("transparent huge pages are %s on this kernel: Advise is a no-op", m)
	}
	Advise()
	v := mappingOf(t, uintptr(unsafe.Pointer(probe)))
	// MADV_COLLAPSE made the 2 MB around the heap's end one huge page.
	if v.anonHugePages < hugePage>>10 {
		t.Errorf("heap mapping has %d kB in huge pages, want at least %d (MADV_COLLAPSE; is memory too fragmented for a free 2 MB block?)", v.anonHugePages, hugePage>>10)
	}
}

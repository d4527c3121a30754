package seccomp

import "sort"

// sysEntry maps a syscall name to its number on one architecture.
type sysEntry struct {
	name string
	nr   uint32
}

// sysTable is sorted by name so lookups need no map built at init time.
type sysTable []sysEntry

func (t sysTable) lookup(name string) (uint32, bool) {
	i := sort.Search(len(t), func(i int) bool { return t[i].name >= name })
	if i < len(t) && t[i].name == name {
		return t[i].nr, true
	}
	return 0, false
}

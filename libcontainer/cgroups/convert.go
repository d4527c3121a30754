package cgroups

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"sync"
)

// SharesToWeight converts v1 cpu.shares [2, 262144] to v2 cpu.weight
// [1, 10000]. It uses the quadratic-in-log2 mapping that runc and crun adopted
// in 2025: it keeps both ends of the ranges and maps the default 1024 shares
// to the default weight 100 (the older linear formula gave 39, so a container
// with default shares got less CPU than its neighbours). 0 means unset.
func SharesToWeight(shares uint64) uint64 {
	if shares == 0 {
		return 0
	}
	if shares <= 2 {
		return 1
	}
	if shares >= 262144 {
		return 10000
	}
	l := math.Log2(float64(shares))
	exp := (l*l+125*l)/612.0 - 7.0/34.0
	// The small epsilon keeps exact points (1024 -> 100) from rounding up
	// because of float error.
	w := math.Ceil(math.Pow(10, exp) - 1e-9)
	if w < 1 {
		return 1
	}
	if w > 10000 {
		return 10000
	}
	return uint64(w)
}

// BlkioWeightToIOWeight converts a blkio weight [10, 1000] to io.weight
// [1, 10000] linearly; 0 means unset.
func BlkioWeightToIOWeight(w uint16) uint64 {
	if w == 0 {
		return 0
	}
	v := uint64(max(w, 10))
	v = min(v, 1000)
	return 1 + (v-10)*9999/990
}

// swapV2 converts the spec's memory+swap total to memory.swap.max, which
// counts swap alone. ok is false when nothing should be written.
func swapV2(limit, swap *int64) (value string, ok bool, err error) {
	lim := int64(0)
	if limit != nil {
		lim = *limit
	}
	if swap == nil {
		// "memory unlimited" on v1 lifts memsw as well; keep that meaning.
		if lim == -1 {
			return "max", true, nil
		}
		return "", false, nil
	}
	sw := *swap
	switch {
	case sw == -1:
		return "max", true, nil
	case sw == 0 && lim != -1:
		// 0 has always meant "not set" for this field.
		return "", false, nil
	case lim == 0 || lim == -1:
		return "", false, fmt.Errorf("linux.resources.memory.swap: %d needs a memory.limit (swap is memory+swap)", sw)
	case sw < lim:
		return "", false, fmt.Errorf("linux.resources.memory.swap: %d is below memory.limit %d (swap is memory+swap)", sw, lim)
	}
	return strconv.FormatInt(sw-lim, 10), true, nil
}

// maxOr formats a limit where -1 means unlimited.
func maxOr(v int64) string {
	if v < 0 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

// Compiled on first use: every hutch process (and the container init)
// would otherwise pay for it at start.
var pageSizeRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([1-9][0-9]*)(KB|MB|GB|TB|PB)$`) })

// pageSizeKB parses a hugepageLimits pageSize ("2MB") into kB, the unit of
// /sys/kernel/mm/hugepages/hugepages-<N>kB.
func pageSizeKB(s string) (uint64, error) {
	m := pageSizeRe().FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("want <number><KB|MB|GB|TB|PB> like \"2MB\", got %q", s)
	}
	n, err := strconv.ParseUint(m[1], 10, 32)
	if err != nil {
		return 0, fmt.Errorf("bad size %q: %w", s, err)
	}
	shift := map[string]uint{"KB": 0, "MB": 10, "GB": 20, "TB": 30, "PB": 40}[m[2]]
	return n << shift, nil
}

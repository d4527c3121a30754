package cgroups

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

func (m *manager) blkioStats(s *Stats) error {
	dir, v2, ok := m.dirFor("blkio")
	if !ok {
		return nil
	}
	if v2 {
		return ioStatsV2(dir, s)
	}
	return blkioStatsV1(dir, s)
}

// blkioStatsV1 takes the first family of files that has data: BFQ, then
// CFQ (gone since 5.0), then the throttle counters that every kernel keeps.
func blkioStatsV1(dir string, s *Stats) error {
	b := &s.Blkio
	type f struct {
		file string
		dst  *[]BlkioEntry
	}
	groups := [][]f{
		{
			{"blkio.bfq.io_service_bytes_recursive", &b.IoServiceBytesRecursive},
			{"blkio.bfq.io_serviced_recursive", &b.IoServicedRecursive},
			{"blkio.bfq.io_queued_recursive", &b.IoQueuedRecursive},
			{"blkio.bfq.io_service_time_recursive", &b.IoServiceTimeRecursive},
			{"blkio.bfq.io_wait_time_recursive", &b.IoWaitTimeRecursive},
			{"blkio.bfq.io_merged_recursive", &b.IoMergedRecursive},
			{"blkio.bfq.time_recursive", &b.IoTimeRecursive},
			{"blkio.bfq.sectors_recursive", &b.SectorsRecursive},
		},
		{
			{"blkio.io_service_bytes_recursive", &b.IoServiceBytesRecursive},
			{"blkio.io_serviced_recursive", &b.IoServicedRecursive},
			{"blkio.io_queued_recursive", &b.IoQueuedRecursive},
			{"blkio.io_service_time_recursive", &b.IoServiceTimeRecursive},
			{"blkio.io_wait_time_recursive", &b.IoWaitTimeRecursive},
			{"blkio.io_merged_recursive", &b.IoMergedRecursive},
			{"blkio.time_recursive", &b.IoTimeRecursive},
			{"blkio.sectors_recursive", &b.SectorsRecursive},
		},
		{
			{"blkio.throttle.io_service_bytes_recursive", &b.IoServiceBytesRecursive},
			{"blkio.throttle.io_serviced_recursive", &b.IoServicedRecursive},
		},
		{
			{"blkio.throttle.io_service_bytes", &b.IoServiceBytesRecursive},
			{"blkio.throttle.io_serviced", &b.IoServicedRecursive},
		},
	}
	for _, g := range groups {
		first, err := readBlkio(dir, g[0].file)
		if errors.Is(err, errAbsent) || (err == nil && len(first) == 0) {
			continue
		}
		if err != nil {
			return err
		}
		*g[0].dst = first
		for _, x := range g[1:] {
			e, err := readBlkio(dir, x.file)
			if errors.Is(err, errAbsent) {
				continue // BFQ's debug files need CONFIG_BFQ_CGROUP_DEBUG
			}
			if err != nil {
				return err
			}
			*x.dst = e
		}
		return nil
	}
	return nil
}

func readBlkio(dir, name string) ([]BlkioEntry, error) {
	s, err := statFile(dir, name)
	if err != nil {
		return nil, err
	}
	return parseBlkio(s, filepath.Join(dir, name))
}

// parseBlkio parses "MAJ:MIN [Op] VALUE" lines, skipping the "Total" line.
func parseBlkio(s, where string) ([]BlkioEntry, error) {
	var out []BlkioEntry
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] == "Total" {
			continue
		}
		if len(f) != 2 && len(f) != 3 {
			return nil, fmt.Errorf("cgroups: stats: %s: bad line %q", where, line)
		}
		maj, mnr, err := parseDev(f[0])
		if err != nil {
			return nil, fmt.Errorf("cgroups: stats: %s: bad line %q", where, line)
		}
		e := BlkioEntry{Major: maj, Minor: mnr}
		val := f[1]
		if len(f) == 3 {
			e.Op, val = f[1], f[2]
		}
		if e.Value, err = strconv.ParseUint(val, 10, 64); err != nil {
			return nil, fmt.Errorf("cgroups: stats: %s: bad line %q", where, line)
		}
		out = append(out, e)
	}
	return out, nil
}

func parseDev(s string) (uint64, uint64, error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("bad device %q", s)
	}
	maj, err := strconv.ParseUint(a, 10, 64)
	if err != nil {
		return 0, 0, err
	}
	mnr, err := strconv.ParseUint(b, 10, 64)
	return maj, mnr, err
}

// ioStatsV2 converts io.stat ("MAJ:MIN rbytes=N wbytes=N rios=N ...") to
// v1-style entries.
func ioStatsV2(dir string, s *Stats) error {
	v, err := statFile(dir, "io.stat")
	if errors.Is(err, errAbsent) {
		return nil
	}
	if err != nil {
		return err
	}
	return parseIOStat(v, filepath.Join(dir, "io.stat"), &s.Blkio)
}

func parseIOStat(s, where string, b *BlkioStats) error {
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		maj, mnr, err := parseDev(f[0])
		if err != nil {
			return fmt.Errorf("cgroups: stats: %s: bad line %q", where, line)
		}
		for _, kv := range f[1:] {
			k, val, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("cgroups: stats: %s: bad field %q", where, kv)
			}
			var dst *[]BlkioEntry
			op := ""
			switch k {
			case "rbytes":
				dst, op = &b.IoServiceBytesRecursive, "Read"
			case "wbytes":
				dst, op = &b.IoServiceBytesRecursive, "Write"
			case "dbytes":
				dst, op = &b.IoServiceBytesRecursive, "Discard"
			case "rios":
				dst, op = &b.IoServicedRecursive, "Read"
			case "wios":
				dst, op = &b.IoServicedRecursive, "Write"
			case "dios":
				dst, op = &b.IoServicedRecursive, "Discard"
			default:
				continue // cost.*, io latency keys
			}
			n, err := strconv.ParseUint(val, 10, 64)
			if err != nil {
				return fmt.Errorf("cgroups: stats: %s: bad field %q", where, kv)
			}
			*dst = append(*dst, BlkioEntry{Major: maj, Minor: mnr, Op: op, Value: n})
		}
	}
	return nil
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/hutch-runtime/hutch/libcontainer"
	"github.com/hutch-runtime/hutch/libcontainer/readlimit"
)

var updateCommand = &cli.Command{
	Name:      "update",
	Usage:     "change the resource limits of a running container",
	ArgsUsage: "<container-id>",
	Description: `Values of 0 leave a setting unchanged; -1 means unlimited where the kernel
allows it. Flags override the --resources file.`,
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "resources", Aliases: []string{"r"}, Usage: "LinuxResources JSON file, or - for stdin"},
		&cli.StringFlag{Name: "memory", Usage: "memory limit (bytes, or with a unit: 64m, 1g)"},
		&cli.StringFlag{Name: "memory-reservation", Usage: "memory soft limit"},
		&cli.StringFlag{Name: "memory-swap", Usage: "memory+swap limit"},
		&cli.StringFlag{Name: "kernel-memory", Usage: "kernel memory limit (deprecated)"},
		&cli.StringFlag{Name: "kernel-memory-tcp", Usage: "kernel TCP buffer memory limit"},
		&cli.StringFlag{Name: "cpu-share", Aliases: []string{"cpu-shares"}, Usage: "CPU shares (relative weight)"},
		&cli.StringFlag{Name: "cpu-period", Usage: "CFS period in microseconds"},
		&cli.StringFlag{Name: "cpu-quota", Usage: "CFS quota in microseconds per period"},
		&cli.StringFlag{Name: "cpu-burst", Usage: "CFS burst in microseconds (unused quota carried over)"},
		&cli.StringFlag{Name: "cpu-idle", Usage: "1: SCHED_IDLE for the cgroup, 0: normal"},
		&cli.StringFlag{Name: "cpu-rt-period", Usage: "realtime period in microseconds"},
		&cli.StringFlag{Name: "cpu-rt-runtime", Usage: "realtime runtime in microseconds per period"},
		&cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs the container may use (0-3, 0,1)"},
		&cli.StringFlag{Name: "cpuset-mems", Usage: "memory nodes the container may use"},
		&cli.Int64Flag{Name: "pids-limit", Usage: "maximum number of processes (-1: unlimited)"},
		&cli.UintFlag{Name: "blkio-weight", Usage: "block IO weight, 10 to 1000"},
		&cli.StringFlag{Name: "l3-cache-schema", Usage: "Intel RDT/CAT L3 cache schema (refused: hutch does not write resctrl groups yet)"},
		&cli.StringFlag{Name: "mem-bw-schema", Usage: "Intel RDT/MBA memory bandwidth schema (refused: hutch does not write resctrl groups yet)"},
	},
	Action: func(ctx *cli.Context) error {
		id, err := needID(ctx)
		if err != nil {
			return err
		}
		r := &specs.LinuxResources{}
		if src := ctx.String("resources"); src != "" {
			if r, err = readResources(src); err != nil {
				return err
			}
		}
		flags, err := resourcesFromFlags(ctx)
		if err != nil {
			return err
		}
		libcontainer.MergeResources(r, flags)
		var rdt *specs.LinuxIntelRdt
		if l3, mb := ctx.String("l3-cache-schema"), ctx.String("mem-bw-schema"); l3 != "" || mb != "" {
			rdt = &specs.LinuxIntelRdt{L3CacheSchema: l3, MemBwSchema: mb}
		}
		return libcontainer.Update(stateStore(ctx), id, r, rdt)
	},
}

func readResources(src string) (*specs.LinuxResources, error) {
	var in io.Reader = os.Stdin
	name := "stdin"
	if src != "-" {
		f, err := os.Open(src)
		if err != nil {
			return nil, fmt.Errorf("--resources: %w", err)
		}
		defer f.Close()
		in, name = f, src
	}
	data, err := readlimit.Reader(in, name, readlimit.ConfigMax)
	if err != nil {
		return nil, fmt.Errorf("--resources: %w", err)
	}
	r := &specs.LinuxResources{}
	if err := json.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("--resources: decode %s: %w", name, err)
	}
	return r, nil
}

// resourcesFromFlags holds only the flags given on the command line.
func resourcesFromFlags(ctx *cli.Context) (*specs.LinuxResources, error) {
	r := &specs.LinuxResources{}
	mem := &specs.LinuxMemory{}
	for _, x := range []struct {
		flag string
		dst  **int64
	}{
		{"memory", &mem.Limit}, {"memory-reservation", &mem.Reservation}, {"memory-swap", &mem.Swap},
		{"kernel-memory", &mem.Kernel}, {"kernel-memory-tcp", &mem.KernelTCP},
	} {
		if !ctx.IsSet(x.flag) {
			continue
		}
		v, err := libcontainer.ParseMemSize(ctx.String(x.flag))
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", x.flag, err)
		}
		*x.dst = &v
	}
	if *mem != (specs.LinuxMemory{}) {
		r.Memory = mem
	}
	cpu := &specs.LinuxCPU{Cpus: ctx.String("cpuset-cpus"), Mems: ctx.String("cpuset-mems")}
	for _, x := range []struct {
		flag string
		dst  **uint64
	}{{"cpu-share", &cpu.Shares}, {"cpu-period", &cpu.Period}, {"cpu-rt-period", &cpu.RealtimePeriod}, {"cpu-burst", &cpu.Burst}} {
		if ctx.IsSet(x.flag) {
			v, err := strconv.ParseUint(ctx.String(x.flag), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("--%s: invalid value %q: want a non-negative integer", x.flag, ctx.String(x.flag))
			}
			*x.dst = &v
		}
	}
	for _, x := range []struct {
		flag string
		dst  **int64
	}{{"cpu-quota", &cpu.Quota}, {"cpu-rt-runtime", &cpu.RealtimeRuntime}, {"cpu-idle", &cpu.Idle}} {
		if ctx.IsSet(x.flag) {
			v, err := strconv.ParseInt(ctx.String(x.flag), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("--%s: invalid value %q: want an integer", x.flag, ctx.String(x.flag))
			}
			*x.dst = &v
		}
	}
	if cpu.Shares != nil || cpu.Period != nil || cpu.RealtimePeriod != nil || cpu.Quota != nil ||
		cpu.RealtimeRuntime != nil || cpu.Burst != nil || cpu.Idle != nil || cpu.Cpus != "" || cpu.Mems != "" {
		r.CPU = cpu
	}
	if ctx.IsSet("pids-limit") {
		v := ctx.Int64("pids-limit")
		r.Pids = &specs.LinuxPids{Limit: &v}
	}
	if ctx.IsSet("blkio-weight") {
		v := ctx.Uint("blkio-weight")
		if v > math.MaxUint16 {
			return nil, fmt.Errorf("--blkio-weight: %d is out of range (10 to 1000)", v)
		}
		w := uint16(v)
		r.BlockIO = &specs.LinuxBlockIO{Weight: &w}
	}
	return r, nil
}

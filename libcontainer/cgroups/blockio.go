package cgroups

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func (m *manager) setBlockIO(r *specs.LinuxResources) error {
	b := r.BlockIO
	if b == nil || (b.Weight == nil && b.LeafWeight == nil && len(b.WeightDevice) == 0 &&
		len(b.ThrottleReadBpsDevice) == 0 && len(b.ThrottleWriteBpsDevice) == 0 &&
		len(b.ThrottleReadIOPSDevice) == 0 && len(b.ThrottleWriteIOPSDevice) == 0) {
		return nil
	}
	dir, v2, err := m.need("blockIO", "blkio")
	if err != nil {
		return err
	}
	if v2 {
		return setIOV2(dir, b)
	}
	return setBlkioV1(dir, b)
}

func dev(d specs.LinuxBlockIODevice) string {
	return fmt.Sprintf("%d:%d", d.Major, d.Minor)
}

// weightFile picks CFQ's blkio.weight* when present and BFQ's otherwise
// (CFQ is gone since Linux 5.0; BFQ exposes blkio.bfq.weight*).
func weightFileV1(dir, suffix string) string {
	if fileExists(dir, "blkio.weight"+suffix) {
		return "blkio.weight" + suffix
	}
	if fileExists(dir, "blkio.bfq.weight"+suffix) {
		return "blkio.bfq.weight" + suffix
	}
	return "blkio.weight" + suffix
}

func setBlkioV1(dir string, b *specs.LinuxBlockIO) error {
	// 0 means unset, as in runc: docker sends weight 0 for every container
	// without --blkio-weight, and the kernel refuses 0.
	if b.Weight != nil && *b.Weight != 0 {
		if err := set("blockIO.weight", dir, weightFileV1(dir, ""), strconv.Itoa(int(*b.Weight))); err != nil {
			return err
		}
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		if err := set("blockIO.leafWeight", dir, "blkio.leaf_weight", strconv.Itoa(int(*b.LeafWeight))); err != nil {
			return err
		}
	}
	for i, wd := range b.WeightDevice {
		if wd.Weight != nil {
			f := fmt.Sprintf("blockIO.weightDevice[%d].weight", i)
			if err := set(f, dir, weightFileV1(dir, "_device"), fmt.Sprintf("%s %d", dev(wd.LinuxBlockIODevice), *wd.Weight)); err != nil {
				return err
			}
		}
		if wd.LeafWeight != nil {
			f := fmt.Sprintf("blockIO.weightDevice[%d].leafWeight", i)
			if err := set(f, dir, "blkio.leaf_weight_device", fmt.Sprintf("%s %d", dev(wd.LinuxBlockIODevice), *wd.LeafWeight)); err != nil {
				return err
			}
		}
	}
	for _, t := range throttles(b) {
		for i, d := range t.devs {
			f := fmt.Sprintf("blockIO.%s[%d]", t.field, i)
			if err := set(f, dir, t.v1file, fmt.Sprintf("%s %d", dev(d.LinuxBlockIODevice), d.Rate)); err != nil {
				return err
			}
		}
	}
	return nil
}

type throttle struct {
	field, v1file, v2key string
	devs                 []specs.LinuxThrottleDevice
}

func throttles(b *specs.LinuxBlockIO) []throttle {
	return []throttle{
		{"throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps", b.ThrottleReadBpsDevice},
		{"throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps", b.ThrottleWriteBpsDevice},
		{"throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops", b.ThrottleReadIOPSDevice},
		{"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops", b.ThrottleWriteIOPSDevice},
	}
}

func setIOV2(dir string, b *specs.LinuxBlockIO) error {
	if b.LeafWeight != nil {
		return fmt.Errorf("linux.resources.blockIO.leafWeight: not supported by cgroup v2")
	}
	// BFQ takes blkio-range weights directly; io.weight needs converting.
	bfq := fileExists(dir, "io.bfq.weight")
	weight := func(field, devPrefix string, w uint16) error {
		if bfq {
			return set(field, dir, "io.bfq.weight", devPrefix+strconv.Itoa(int(w)))
		}
		if devPrefix == "" {
			devPrefix = "default "
		}
		return set(field, dir, "io.weight", devPrefix+strconv.FormatUint(BlkioWeightToIOWeight(w), 10))
	}
	if b.Weight != nil && *b.Weight != 0 {
		if err := weight("blockIO.weight", "", *b.Weight); err != nil {
			return err
		}
	}
	for i, wd := range b.WeightDevice {
		if wd.LeafWeight != nil {
			return fmt.Errorf("linux.resources.blockIO.weightDevice[%d].leafWeight: not supported by cgroup v2", i)
		}
		if wd.Weight != nil {
			if err := weight(fmt.Sprintf("blockIO.weightDevice[%d].weight", i), dev(wd.LinuxBlockIODevice)+" ", *wd.Weight); err != nil {
				return err
			}
		}
	}
	for _, t := range throttles(b) {
		for i, d := range t.devs {
			rate := "max"
			if d.Rate != 0 {
				rate = strconv.FormatUint(d.Rate, 10)
			}
			f := fmt.Sprintf("blockIO.%s[%d]", t.field, i)
			if err := set(f, dir, "io.max", fmt.Sprintf("%s %s=%s", dev(d.LinuxBlockIODevice), t.v2key, rate)); err != nil {
				return err
			}
		}
	}
	return nil
}

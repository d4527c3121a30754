package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// writeFile writes one value into a cgroup control file. Control files must
// be written with a single write(2) and without O_CREAT/O_TRUNC, so os.WriteFile
// is not used.
func writeFile(dir, name, value string) error {
	p := filepath.Join(dir, name)
	f, err := os.OpenFile(p, os.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	for {
		_, err = f.Write([]byte(value))
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func readFile(dir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

func fileExists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}

// fieldErr builds the error for a failed write of a config field, naming the
// field and the file, e.g.
// "linux.resources.memory.limit: write /sys/fs/cgroup/memory/x/memory.limit_in_bytes: device or resource busy".
func fieldErr(field, dir, name string, err error) error {
	p := filepath.Join(dir, name)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("linux.resources.%s: not supported by this host (no %s)", field, p)
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("linux.resources.%s: write %s: %w", field, p, err)
}

// set writes value into dir/name and wraps a failure with the field name.
func set(field, dir, name, value string) error {
	if err := writeFile(dir, name, value); err != nil {
		return fieldErr(field, dir, name, err)
	}
	return nil
}

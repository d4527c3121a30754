package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// RootfsPath returns the absolute, cleaned host path of root.path. A
// relative root.path is relative to the bundle, not to the caller's cwd.
// It must exist and be a directory (symlinks are followed).
func RootfsPath(s *specs.Spec, bundle string) (string, error) {
	if s == nil || s.Root == nil {
		return "", errors.New("root: must be set")
	}
	p := s.Root.Path
	if p == "" {
		return "", errors.New("root.path: must not be empty")
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(bundle, p)
	}
	p, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("root.path: %w", err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("root.path: %s: %w", p, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("root.path: %s: %w", p, syscall.ENOTDIR)
	}
	return p, nil
}

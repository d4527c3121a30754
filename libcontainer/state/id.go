package state

import (
	"errors"
	"fmt"
)

// maxIDLen bounds container ids: they become directory and cgroup names.
const maxIDLen = 1024

// ValidateID checks a container id. Ids name directories under the state
// root, so anything that could traverse or confuse a path is refused. Every
// command goes through it: Store.Open and Store.Reserve call it before they
// touch the filesystem. The words are runc's ("invalid container ID
// format"), which scripts match.
func ValidateID(id string) error {
	if id == "" {
		return errors.New("invalid container ID format: the id must not be empty")
	}
	if len(id) > maxIDLen {
		return fmt.Errorf("invalid container ID format: longer than %d characters", maxIDLen)
	}
	if id == "." || id == ".." {
		return fmt.Errorf("invalid container ID format: %q: must not be \".\" or \"..\"", id)
	}
	for i := 0; i < len(id); i++ {
		if !idChar(id[i]) {
			return fmt.Errorf("invalid container ID format: %q: only [a-zA-Z0-9_+.-] are allowed", id)
		}
	}
	return nil
}

func idChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	case c == '_' || c == '+' || c == '.' || c == '-':
		return true
	}
	return false
}

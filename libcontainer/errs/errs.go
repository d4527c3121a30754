// Package errs defines the one structured error type hutch reports: the
// stage of the lifecycle, the operation, the path it touched and the errno,
// rendered as one readable line for humans and as fields for JSON logs.
package errs

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Error is a failure at a known point of the container lifecycle.
type Error struct {
	Stage string // create, start, init, delete, ...
	Op    string // what was being done, e.g. "mount proc" or "load config"
	Path  string // the file or config field at fault, if any
	Err   error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
	}
	if e.Path != "" {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString(e.Path)
	}
	if e.Err != nil {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errno returns the errno carried by err, or 0.
func Errno(err error) unix.Errno {
	var en unix.Errno
	if errors.As(err, &en) {
		return en
	}
	return 0
}

// Fields returns structured log fields describing err.
func Fields(err error) map[string]any {
	f := map[string]any{}
	var e *Error
	if errors.As(err, &e) {
		if e.Stage != "" {
			f["stage"] = e.Stage
		}
		if e.Op != "" {
			f["op"] = e.Op
		}
		if e.Path != "" {
			f["path"] = e.Path
		}
	}
	if en := Errno(err); en != 0 {
		f["errno"] = fmt.Sprintf("%s (%d)", unix.ErrnoName(en), int(en))
	}
	return f
}

// New wraps err with its stage, operation and path.
func New(stage, op, path string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Stage: stage, Op: op, Path: path, Err: err}
}

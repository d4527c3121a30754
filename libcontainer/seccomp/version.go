package seccomp

// Version describes the seccomp implementation for `hutch features` and
// `hutch --version`; there is no libseccomp to report.
func Version() string {
	return "hutch built-in BPF generator (no libseccomp)"
}

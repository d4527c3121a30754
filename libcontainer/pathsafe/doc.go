// Package pathsafe resolves untrusted paths inside a root directory so
// that neither symlinks nor ".." components can ever lead outside of it
// (CVE-2021-30465 class of bugs). Every function returns a file handle
// rather than a path, so callers can act on the resolved object without
// a second, racy lookup (for mount(2), use ProcFdPath).
package pathsafe

//go:build unix

package media

import "syscall"

// notDirErr is returned when a path component is a file ("a/b" where "a" is
// an object).
var notDirErr error = syscall.ENOTDIR

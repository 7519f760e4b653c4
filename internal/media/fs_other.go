//go:build !unix

package media

import "errors"

// notDirErr never matches on this platform.
var notDirErr = errors.New("media: not a directory")

// Package catalogtest holds the catalogue's test fixtures: small courses written in the catalogue
// format (testdata/courses), so that tests need not depend on which real courses ship.
package catalogtest

import (
	"embed"
	"io/fs"
	"testing/fstest"
)

// Fixture course slugs.
const (
	EthicsCE = "fixture-ethics" // continuing education, 3 hours of ethics, 8 items
)

//go:embed testdata
var fixtures embed.FS

// WithFixtures copies base (a content tree) and adds the fixture courses under courses/; the
// result can be changed freely by the test.
func WithFixtures(base fs.FS) fstest.MapFS {
	out := fstest.MapFS{}
	copyInto(out, base, ".", "")
	sub, _ := fs.Sub(fixtures, "testdata")
	copyInto(out, sub, ".", "")
	return out
}

func copyInto(out fstest.MapFS, fsys fs.FS, root, prefix string) {
	_ = fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err == nil {
			out[prefix+p] = &fstest.MapFile{Data: data, Mode: 0o644}
		}
		return nil
	})
}

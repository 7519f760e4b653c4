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
	EthicsCE = "fixture-ethics" // continuing education, 3 hours of ethics, 8 items; meets every content check
	// Specialty is structurally valid (serve loads it: 6 hours, 20 items, endorsement
	// "fixture-reentry") but its placeholder items do not meet the item-writing gates.
	Specialty = "fixture-specialty"
)

//go:embed testdata
var fixtures embed.FS

// WithFixtures copies base (a content tree) and adds the fixture courses under courses/ (only
// those named, when slugs are given); the result can be changed freely by the test.
func WithFixtures(base fs.FS, slugs ...string) fstest.MapFS {
	out := fstest.MapFS{}
	copyInto(out, base, ".", "")
	sub, _ := fs.Sub(fixtures, "testdata")
	if len(slugs) == 0 {
		copyInto(out, sub, ".", "")
	}
	for _, s := range slugs {
		copyInto(out, sub, "courses/"+s, "")
	}
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

// Package content holds PeerAcademy's course content: the curriculum modules, the written-exam item
// bank, the oral-exam rubric and the media they use. The formats are described in FORMAT.md.
package content

import "embed"

// FS holds curriculum/day-NN/*.md (and curriculum/course.yaml), exams/written/*.yaml,
// exams/oral-rubric.md, the catalogue courses/<slug>/ and media/**.
//
//go:embed curriculum exams media courses
var FS embed.FS

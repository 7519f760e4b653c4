// Package contentcheck validates all course content at once: the curriculum, the written-exam
// item bank and the oral-exam rubric (see content/FORMAT.md).
package contentcheck

import (
	"fmt"
	"io/fs"

	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/oral"
)

// Summary counts what a content tree holds.
type Summary struct {
	Days, Modules, Words, Items, Competencies int
}

// String is the one-line report of a clean check.
func (s Summary) String() string {
	return fmt.Sprintf("content ok: %d days, %d modules, %d words, %d exam items, %d rubric competencies",
		s.Days, s.Modules, s.Words, s.Items, s.Competencies)
}

// Run loads everything in fsys (curriculum/, media/, exams/) and returns what it holds and every
// problem found, sorted by file and then line.
func Run(fsys fs.FS) (Summary, []curriculum.Problem) {
	c, ps := curriculum.Load(fsys)
	bank, bps := exam.LoadBank(fsys)
	rubric, rps := oral.LoadRubric(fsys)
	ps = append(append(ps, bps...), rps...)
	curriculum.SortProblems(ps)
	return Summary{
		Days:         len(c.Days),
		Modules:      len(c.Modules()),
		Words:        c.Words,
		Items:        len(bank.Items),
		Competencies: len(rubric.Competencies),
	}, ps
}

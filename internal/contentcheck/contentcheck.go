// Package contentcheck validates all course content at once: the curriculum, the written-exam
// item bank and the oral-exam rubric (see content/FORMAT.md). Two kinds of problems come out:
// structural ones, which the loaders report and which stop `serve` from starting, and the quality
// gates of item writing (cue statistics and the test-wise simulation), which only `content check`
// and the shipped-content test apply.
package contentcheck

import (
	"fmt"
	"io/fs"

	"github.com/peeracademy/peeracademy/internal/catalog"
	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/oral"
)

// Summary counts what a content tree holds.
type Summary struct {
	Days, Modules, Words, Items, Competencies int

	// The catalogue: every course, and how many of each kind.
	Courses, Certification, Specialty, ContinuingEducation int

	// The item-writing figures, filled in when the quality gates ran (Checked).
	Checked    bool
	LongestKey float64     // percent of single-answer items keyed strictly the longest option
	TestWise   SimResult   // the test-wise candidate's best strategy
	Strategies []SimResult // every strategy, best first
}

// String is the one-line report of a clean check.
func (s Summary) String() string {
	return fmt.Sprintf("content ok: %d courses (%d certification, %d specialty, %d continuing education), %d days, %d modules, %d words, %d exam items, %d rubric competencies",
		s.Courses, s.Certification, s.Specialty, s.ContinuingEducation, s.Days, s.Modules, s.Words, s.Items, s.Competencies)
}

// ItemsLine is the one-line report of the item-writing figures of a clean check.
func (s Summary) ItemsLine() string { return "items ok: " + s.itemFigures() }

// Figures reports the item-writing figures of a check that found problems (to see how far off the
// limits the bank is).
func (s Summary) Figures() string {
	return fmt.Sprintf("items (not ok): %s; best test-wise strategy: %s", s.itemFigures(), s.TestWise.Strategy)
}

func (s Summary) itemFigures() string {
	return fmt.Sprintf("%d items, longest-key %.0f%%, test-wise pass %.1f%% of %d forms",
		s.Items, s.LongestKey, s.TestWise.PassPct(), s.TestWise.Forms)
}

// Run loads everything in fsys (curriculum/, media/, exams/) and returns what it holds and every
// problem found, sorted by file and then line. When the content is structurally sound (what serve
// needs), it also applies the item-writing quality gates with the default simulation; statistics
// over content that does not load would mislead, so structural problems come first.
func Run(fsys fs.FS) (Summary, []curriculum.Problem) {
	return RunWith(fsys, DefaultSim())
}

// RunWith is Run with the given simulation.
func RunWith(fsys fs.FS, sim SimConfig) (Summary, []curriculum.Problem) {
	c, ps := curriculum.Load(fsys)
	bank, bps := exam.LoadBank(fsys)
	rubric, rps := oral.LoadRubric(fsys)
	cat, cps := catalog.Load(fsys, c, bank)
	s := Summary{
		Courses:             len(cat.Courses),
		Certification:       cat.Count(catalog.KindCertification),
		Specialty:           cat.Count(catalog.KindSpecialty),
		ContinuingEducation: cat.Count(catalog.KindCE),
		Days:                len(c.Days),
		Modules:             len(c.Modules()),
		Words:               c.Words,
		Items:               len(bank.Items),
		Competencies:        len(rubric.Competencies),
	}
	ps = append(append(append(ps, bps...), rps...), cps...)
	if len(ps) == 0 {
		ps = Quality(c, bank, sim, &s)
		ps = append(ps, CourseQuality(cat, sim)...)
	}
	curriculum.SortProblems(ps)
	return s, ps
}

// missingTimetables reports days without a timetable. serve shows such a day without one (the
// content writers add them day by day); content check requires every day's.
func missingTimetables(c *curriculum.Curriculum) []curriculum.Problem {
	var ps []curriculum.Problem
	for _, d := range c.Days {
		if d.Timetable == nil {
			ps = append(ps, curriculum.Problem{File: fmt.Sprintf("curriculum/day-%02d/%s", d.Number, curriculum.TimetableName),
				Msg: fmt.Sprintf("day %d has no timetable; every day needs one, adding up to the course's %d hours", d.Number, curriculum.CourseMinutes/60)})
		}
	}
	return ps
}

// Quality applies the item-writing rules to a curriculum and bank that loaded without problems and
// fills in the summary's figures.
func Quality(c *curriculum.Curriculum, bank *exam.Bank, sim SimConfig, s *Summary) []curriculum.Problem {
	figs, ps := checkItems(bank, c, exam.BlueprintFile, bankWhere)
	s.Checked, s.LongestKey = true, figs.LongestKey
	ps = append(ps, checkKnowledgeChecks(c, "curriculum")...)
	ps = append(ps, missingTimetables(c)...)
	res, err := Simulate(bank, sim)
	if err != nil {
		return append(ps, curriculum.Problem{File: exam.BlueprintFile, Msg: "test-wise simulation: " + err.Error()})
	}
	s.TestWise, s.Strategies = res[0], res
	if res[0].PassPct() >= MaxTestWisePct {
		ps = append(ps, curriculum.Problem{File: exam.BlueprintFile, Msg: fmt.Sprintf(
			"test-wise simulation: a candidate who knows nothing and answers by %q passes %.1f%% of %d forms (mean score %.1f%%); fewer than %.0f%% may pass",
			res[0].Strategy, res[0].PassPct(), res[0].Forms, res[0].MeanPercent, MaxTestWisePct)})
	}
	return ps
}

// CourseQuality applies the item-writing rules of the written bank to each catalogue course's
// assessment on its own (its metadata against the course's modules, its cue statistics, and the
// test-wise simulation over forms of the course's form length at its pass mark), and the knowledge
// check rules to each course's modules. Problems are reported at the assessment file.
func CourseQuality(cat *catalog.Catalogue, sim SimConfig) []curriculum.Problem {
	var ps []curriculum.Problem
	for _, c := range cat.Courses {
		if c.Assessment == nil || c.Modules == nil {
			continue // the certification course: the written bank above
		}
		file := catalog.Dir + "/" + c.Slug + "/" + curriculum.AssessmentFile
		_, ips := checkItems(c.Assessment, c.Modules, file, "the assessment")
		ps = append(ps, ips...)
		ps = append(ps, checkKnowledgeChecks(c.Modules, catalog.Dir+"/"+c.Slug)...)
		cfg := sim
		cfg.FormLength, cfg.PassPercent = c.FormLength, c.PassPercent
		res, err := Simulate(c.Assessment, cfg)
		if err != nil {
			ps = append(ps, curriculum.Problem{File: file, Msg: "test-wise simulation: " + err.Error()})
			continue
		}
		if res[0].PassPct() >= MaxTestWisePct {
			ps = append(ps, curriculum.Problem{File: file, Msg: fmt.Sprintf(
				"test-wise simulation: a learner who knows nothing and answers by %q passes %.1f%% of %d forms (mean score %.1f%%); fewer than %.0f%% may pass",
				res[0].Strategy, res[0].PassPct(), res[0].Forms, res[0].MeanPercent, MaxTestWisePct)})
		}
	}
	return ps
}

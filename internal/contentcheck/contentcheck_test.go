package contentcheck

import (
	"cmp"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/peeracademy/peeracademy/content"
	"github.com/peeracademy/peeracademy/internal/catalog/catalogtest"
	"github.com/peeracademy/peeracademy/internal/curriculum"
)

// TestRunRealContent is the quality gate over the shipped content (CI runs it): no structural
// problem and every item-writing limit met, the test-wise simulation included.
func TestRunRealContent(t *testing.T) {
	s, ps := Run(content.FS)
	for _, p := range ps {
		t.Error(p)
	}
	if s.Days != 10 || s.Modules < 40 || s.Words < 18000 || s.Items < 200 || s.Competencies != 8 {
		t.Errorf("summary %+v", s)
	}
	if s.Certification != 1 || s.Courses != 1+s.Specialty+s.ContinuingEducation {
		t.Errorf("courses in summary %+v", s)
	}
	want := fmt.Sprintf("content ok: %d courses (1 certification, %d specialty, %d continuing education), 10 days, %d modules, %d words, %d exam items, 8 rubric competencies",
		s.Courses, s.Specialty, s.ContinuingEducation, s.Modules, s.Words, s.Items)
	if s.String() != want {
		t.Errorf("String() = %q", s.String())
	}
	if !s.Checked || s.LongestKey > BankLimits.maxLongest || s.TestWise.PassPct() >= MaxTestWisePct || s.TestWise.Forms != SimForms {
		t.Errorf("item figures: %s", s.Figures())
	}
	t.Log(s)
	t.Log(s.ItemsLine())
}

func TestRunSortsProblems(t *testing.T) {
	fsys := fstest.MapFS{
		"exams/written/blueprint.yaml": {Data: []byte("form_length: 1\ndomains:\n  - {id: a, day: 1, count: 1, title: A}\n")},
		"exams/written/a.yaml":         {Data: []byte("domain: a\nitems: []\n")},
		"exams/oral-rubric.md":         {Data: []byte("no front matter\n")},
		"curriculum/day-01/01-x.md":    {Data: []byte("---\ntitle: x\n")},
	}
	_, ps := Run(fsys)
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	sorted := slices.IsSortedFunc(ps, func(a, b curriculum.Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	if !sorted {
		t.Errorf("problems not sorted by file and line:\n%s", strings.Join(got, "\n"))
	}
	for _, want := range []string{
		"curriculum/day-01/01-x.md:1: front matter is not closed: no line \"---\" after the opening one",
		"curriculum/day-02: day 2 is missing",
		"exams/oral-rubric.md:1: missing front matter: the file must start with a line \"---\"",
		"exams/written/a.yaml:2: items: the file holds no items",
		"exams/written/a.yaml: domain \"a\" has 0 items; the blueprint draws 1 for every form",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("missing problem %q in:\n%s", want, strings.Join(got, "\n"))
		}
	}
}

// TestRunWithFixtureCourse: the shipped content plus the catalogue's fixture CE course passes every
// check, assessment quality and test-wise simulation included, and is counted.
func TestRunWithFixtureCourse(t *testing.T) {
	s, ps := Run(catalogtest.WithFixtures(content.FS, catalogtest.EthicsCE))
	for _, p := range ps {
		t.Error(p)
	}
	if s.ContinuingEducation < 1 || !strings.Contains(s.String(), "continuing education)") {
		t.Errorf("summary %s", s)
	}
}

// TestCourseQualityProblems: a fixture assessment whose keys are all the longest option fails the
// cue limits and the test-wise simulation, reported at its own file.
func TestCourseQualityProblems(t *testing.T) {
	fsys := catalogtest.WithFixtures(content.FS, catalogtest.EthicsCE)
	file := "courses/fixture-ethics/assessment.yaml"
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		t.Fatal(err)
	}
	// FXE-002's key becomes by far the longest option.
	bad := strings.Replace(string(data), `"Write a short note of the overlap"`, `"Write a short note of the overlap, and keep it with the person's file for colleagues"`, 1)
	fsys[file].Data = []byte(bad)
	_, ps := Run(fsys)
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	joined := strings.Join(got, "\n")
	if !strings.Contains(joined, file+": the assessment: the key is strictly the longest option") {
		t.Errorf("problems:\n%s", joined)
	}
}

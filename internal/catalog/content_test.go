package catalog_test

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/peeracademy/peeracademy/content"
	"github.com/peeracademy/peeracademy/internal/catalog"
	"github.com/peeracademy/peeracademy/internal/catalog/catalogtest"
)

// fixtureFS is the certification course's front matter and the fixture courses, nothing else.
func fixtureFS(t *testing.T) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	for p, f := range catalogtest.WithFixtures(fstest.MapFS{}) {
		out[p] = f
	}
	data, err := fs.ReadFile(content.FS, catalog.CertificationFile)
	if err != nil {
		t.Fatal(err)
	}
	out[catalog.CertificationFile] = &fstest.MapFile{Data: data}
	return out
}

const courseFile = "courses/" + catalogtest.EthicsCE + "/course.yaml"

func TestLoadFixture(t *testing.T) {
	cat, ps := catalog.Load(fixtureFS(t), nil, nil)
	for _, p := range ps {
		t.Error(p)
	}
	c, ok := cat.Course(catalogtest.EthicsCE)
	if !ok || c.Kind != catalog.KindCE || c.Minutes != 180 || c.CECategory != "ethics" || c.PassPercent != 80 || c.FormLength != 8 ||
		len(c.Modules.Modules()) != 2 || len(c.Assessment.Items) != 8 {
		t.Fatalf("course %+v", c)
	}
	if got := c.Modules.Modules()[0].URL(); got != "/courses/fixture-ethics/modules/fixture-dual-roles" {
		t.Errorf("module URL %q", got)
	}
	if cat.Count(catalog.KindCertification) != 1 || cat.Courses[0].Slug != "cps" {
		t.Errorf("certification course: %+v", cat.Courses[0])
	}
}

func TestLoadEmptyCatalogue(t *testing.T) {
	fsys := fixtureFS(t)
	for p := range fsys {
		if strings.HasPrefix(p, "courses/") {
			delete(fsys, p)
		}
	}
	cat, ps := catalog.Load(fsys, nil, nil)
	if len(ps) > 0 || len(cat.Courses) != 1 {
		t.Fatalf("courses %d, problems %v", len(cat.Courses), ps)
	}
}

// TestCourseFrontMatterProblems: one broken rule per case, each reported at its line.
func TestCourseFrontMatterProblems(t *testing.T) {
	cases := []struct {
		name, from, to, want string
	}{
		{"unknown kind", "kind: continuing-education", "kind: workshop", `course.yaml:2: kind "workshop" must be one of`},
		{"certification kind", "kind: continuing-education", "kind: certification", "kind certification is the ten-day curriculum's"},
		{"slug not folder", "slug: fixture-ethics", "slug: other-slug", `course.yaml:1: slug "other-slug" must equal the folder name`},
		{"hours not module sum", "hours: 3", "hours: 2.5", "hours is 2.5 but the modules add up to 180 minutes"},
		{"hours not whole minutes", "hours: 3", "hours: 2.999", "not a whole number of minutes"},
		{"CE too long", "hours: 3", "hours: 3.5", "a continuing-education course is 1 to 3 hours; 3.5 given"},
		{"category", "ce_category: ethics", "ce_category: wellness", `ce_category "wellness" must be one of the CE rule's categories`},
		{"unknown prerequisite", "prerequisites: [active-certificate]", "prerequisites: [driving-licence]", `prerequisite "driving-licence" is not known`},
		{"endorsement on CE", "prerequisites: [active-certificate]", "prerequisites: [active-certificate]\nendorsement: {slug: x, title: X}", "only specialty courses grant an endorsement"},
		{"specialty without endorsement", "kind: continuing-education", "kind: specialty", "a specialty course grants an endorsement: endorsement (slug, title) is required"},
		{"specialty too short", "kind: continuing-education", "kind: specialty\nendorsement: {slug: x, title: X}", "a specialty course has at least 6 hours of modules"},
		{"specialty too few items", "kind: continuing-education", "kind: specialty\nendorsement: {slug: x, title: X}", "a specialty course's assessment has at least 20 items; 8 given"},
		{"pass percent", "pass_percent: 80", "pass_percent: 120", "pass_percent 120 must be 1 to 100"},
		{"form longer than items", "form_length: 8", "form_length: 9", "the assessment has 8 items; each attempt draws form_length 9"},
		{"unknown key", "summary:", "sumary:", `unknown key "sumary"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fixtureFS(t)
			src := string(fsys[courseFile].Data)
			if !strings.Contains(src, tc.from) {
				t.Fatalf("fixture lacks %q", tc.from)
			}
			fsys[courseFile] = &fstest.MapFile{Data: []byte(strings.Replace(src, tc.from, tc.to, 1))}
			wantProblem(t, fsys, tc.want)
		})
	}
}

// TestModuleAndItemProblems: course modules follow the curriculum module rules (no day:), and
// assessment items name modules of their own course.
func TestModuleAndItemProblems(t *testing.T) {
	mod := "courses/" + catalogtest.EthicsCE + "/01-fixture-dual-roles.md"
	ass := "courses/" + catalogtest.EthicsCE + "/assessment.yaml"
	cases := []struct{ file, from, to, want string }{
		{mod, "order: 1\n", "order: 1\nday: 1\n", "day is not used in course modules"},
		{mod, "## Activity", "## Something else", `missing the section "## Activity"`},
		{ass, "modules: [fixture-dual-roles]", "modules: [what-is-peer-support]", `"what-is-peer-support" is not a module of this course`},
		{ass, "course: fixture-ethics", "course: other", `course is "other" but the assessment is in the folder of "fixture-ethics"`},
	}
	for _, tc := range cases {
		fsys := fixtureFS(t)
		fsys[tc.file] = &fstest.MapFile{Data: []byte(strings.Replace(string(fsys[tc.file].Data), tc.from, tc.to, 1))}
		wantProblem(t, fsys, tc.want)
	}
}

func wantProblem(t *testing.T, fsys fs.FS, want string) {
	t.Helper()
	_, ps := catalog.Load(fsys, nil, nil)
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	if !strings.Contains(strings.Join(got, "\n"), want) {
		t.Errorf("want %q among:\n%s", want, strings.Join(got, "\n"))
	}
}

// Package catalog is the course catalogue beyond the ten days: the courses under content/courses
// (specialty and continuing-education courses, see content/FORMAT.md) and the ten-day certification
// course's own front matter (content/curriculum/course.yaml); vendors offering them, holders
// enrolling, module progress, the final assessment and completion, which credits CE hours or adds an
// endorsement to the holder's certificate.
package catalog

import (
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/exam"
)

// Kinds of course.
const (
	KindCertification = "certification"
	KindSpecialty     = "specialty"
	KindCE            = "continuing-education"
)

// Kinds are the allowed kinds, in catalogue order.
var Kinds = []string{KindCertification, KindSpecialty, KindCE}

// Prerequisites a course may name.
const PrereqActiveCertificate = "active-certificate"

// KnownPrerequisites are the prerequisites the platform can check.
var KnownPrerequisites = []string{PrereqActiveCertificate}

// Where the catalogue lives in the content file system.
const (
	Dir               = "courses"
	CertificationFile = "curriculum/" + curriculum.CourseFile
	ReadmeFile        = "README.md" // courses/README.md, for the writers
	// CoursePath prefixes a course's pages; its modules are at CoursePath + slug + "/modules/" + module.
	CoursePath = "/courses/"
)

// Limits from content/FORMAT.md.
const (
	MinSpecialtyMinutes = 6 * 60
	MinSpecialtyItems   = 20
	MinCEMinutes        = 60
	MaxCEMinutes        = 3 * 60
	DefaultPassPercent  = 80
)

// Endorsement is what completing a specialty course adds to a certificate.
type Endorsement struct {
	Slug  string `json:"slug"`
	Title string `json:"title"`
}

// Course is one catalogue course, loaded and validated.
type Course struct {
	Slug, Kind, Title, Summary string
	Minutes                    int // hours × 60
	CECategory                 ce.Category
	Prerequisites              []string
	Endorsement                *Endorsement // specialty courses only
	PassPercent, FormLength    int
	File                       string // its course.yaml

	// Modules and Assessment are nil for the certification course (the curriculum and the
	// written exam serve it).
	Modules    *curriculum.Curriculum
	Assessment *exam.Bank
}

// Hours is the course's length in hours.
func (c *Course) Hours() float64 { return float64(c.Minutes) / 60 }

// URL is the course's page.
func (c *Course) URL() string { return CoursePath + c.Slug }

// KindLabel names the kind for people.
func (c *Course) KindLabel() string { return KindLabel(c.Kind) }

// KindLabel names a kind for people.
func KindLabel(kind string) string {
	switch kind {
	case KindCertification:
		return "Certification"
	case KindSpecialty:
		return "Specialty"
	case KindCE:
		return "Continuing education"
	}
	return kind
}

// Catalogue is every course, the certification course first, then by kind and slug.
type Catalogue struct {
	Courses []*Course
	bySlug  map[string]*Course
}

// Course finds a course by slug.
func (c *Catalogue) Course(slug string) (*Course, bool) {
	if c == nil {
		return nil, false
	}
	x, ok := c.bySlug[slug]
	return x, ok
}

// Count is the number of courses of a kind.
func (c *Catalogue) Count(kind string) int {
	n := 0
	for _, x := range c.Courses {
		n += b2i(x.Kind == kind)
	}
	return n
}

// Endorsement finds the course granting an endorsement.
func (c *Catalogue) Endorsement(slug string) (*Course, bool) {
	for _, x := range c.Courses {
		if x.Endorsement != nil && x.Endorsement.Slug == slug {
			return x, true
		}
	}
	return nil, false
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

type courseYAML struct {
	Slug          string   `yaml:"slug"`
	Kind          string   `yaml:"kind"`
	Title         string   `yaml:"title"`
	Summary       string   `yaml:"summary"`
	Hours         *float64 `yaml:"hours"`
	CECategory    string   `yaml:"ce_category"`
	Prerequisites []string `yaml:"prerequisites"`
	Endorsement   *struct {
		Slug  string `yaml:"slug"`
		Title string `yaml:"title"`
	} `yaml:"endorsement"`
	Assessment *struct {
		PassPercent *int `yaml:"pass_percent"`
		FormLength  *int `yaml:"form_length"`
	} `yaml:"assessment"`
}

var slugRE = regexp.MustCompile(`^[a-z0-9-]+$`)

// Load reads and validates the catalogue in fsys: curriculum/course.yaml and every
// courses/<slug>/ folder. cur and bank are the ten-day curriculum and the written bank, already
// loaded: module slugs, item ids and concepts must be unique across all content. A missing courses
// folder is an empty catalogue. It returns what it could load with every problem found.
func Load(fsys fs.FS, cur *curriculum.Curriculum, bank *exam.Bank) (*Catalogue, []curriculum.Problem) {
	var ps []curriculum.Problem
	cat := &Catalogue{bySlug: map[string]*Course{}}
	if c := loadCourseYAML(fsys, CertificationFile, "", &ps); c != nil {
		if c.Kind != KindCertification {
			ps = append(ps, curriculum.Problem{File: c.File, Msg: fmt.Sprintf("kind is %q; the ten-day curriculum is the %s course", c.Kind, KindCertification)})
		} else if cur != nil && c.Minutes != curriculum.CourseMinutes {
			ps = append(ps, curriculum.Problem{File: c.File, Msg: fmt.Sprintf("hours is %g; the ten-day course is %d hours", c.Hours(), curriculum.CourseMinutes/60)})
		}
		cat.add(c)
	}
	moduleFile := map[string]string{} // module slug -> file, across all content
	if cur != nil {
		for _, m := range cur.Modules() {
			moduleFile[m.Slug] = m.File
		}
	}
	itemFile, concepts := map[string]string{}, map[string]string{}
	if bank != nil {
		for _, it := range bank.Items {
			itemFile[it.ID] = it.Src.File
			concepts[strings.ToLower(strings.Join(strings.Fields(it.Concept), " "))] = it.ID
		}
	}
	entries, err := fs.ReadDir(fsys, Dir)
	if err != nil {
		entries = nil // no courses yet
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || name == ReadmeFile {
			continue
		}
		dir := Dir + "/" + name
		if !e.IsDir() {
			ps = append(ps, curriculum.Problem{File: dir, Msg: "unexpected entry: the catalogue holds one folder per course"})
			continue
		}
		c := loadCourseYAML(fsys, dir+"/"+curriculum.CourseFile, name, &ps)
		if c == nil {
			continue
		}
		if _, dup := cat.bySlug[c.Slug]; dup {
			ps = append(ps, curriculum.Problem{File: c.File, Msg: fmt.Sprintf("slug %q is already used by another course", c.Slug)})
			continue
		}
		if c.Kind == KindCertification {
			ps = append(ps, curriculum.Problem{File: c.File, Msg: "kind certification is the ten-day curriculum's; a catalogue course is specialty or continuing-education"})
		}
		mods, mps := curriculum.LoadModules(fsys, dir, CoursePath+c.Slug+"/modules/")
		ps = append(ps, mps...)
		c.Modules = mods
		sum := 0
		for _, m := range mods.Modules() {
			sum += m.Minutes
			if other, dup := moduleFile[m.Slug]; dup && m.Slug != "" {
				ps = append(ps, curriculum.Problem{File: m.File, Msg: fmt.Sprintf("slug %q is already used by %s; module slugs are unique across all content", m.Slug, other)})
			} else {
				moduleFile[m.Slug] = m.File
			}
		}
		if len(mods.Modules()) == 0 {
			ps = append(ps, curriculum.Problem{File: dir, Msg: "the course has no modules (NN-slug.md)"})
		} else if sum != c.Minutes && len(mps) == 0 {
			ps = append(ps, curriculum.Problem{File: c.File, Msg: fmt.Sprintf("hours is %g but the modules add up to %d minutes (%g hours)", c.Hours(), sum, float64(sum)/60)})
		}
		switch c.Kind {
		case KindSpecialty:
			if c.Minutes < MinSpecialtyMinutes {
				ps = append(ps, curriculum.Problem{File: c.File, Msg: fmt.Sprintf("a specialty course has at least %d hours of modules; %g given", MinSpecialtyMinutes/60, c.Hours())})
			}
		case KindCE:
			if c.Minutes < MinCEMinutes || c.Minutes > MaxCEMinutes {
				ps = append(ps, curriculum.Problem{File: c.File, Msg: fmt.Sprintf("a continuing-education course is %d to %d hours; %g given", MinCEMinutes/60, MaxCEMinutes/60, c.Hours())})
			}
		}
		file := dir + "/" + curriculum.AssessmentFile
		b, bps := exam.LoadAssessment(fsys, file, c.Slug, c.FormLength)
		ps = append(ps, bps...)
		c.Assessment = b
		if c.FormLength == 0 {
			c.FormLength = len(b.Items)
			b.Blueprint.FormLength, b.Blueprint.Domains[0].Count = c.FormLength, c.FormLength
		}
		if c.Kind == KindSpecialty && len(b.Items) < MinSpecialtyItems {
			ps = append(ps, curriculum.Problem{File: file, Msg: fmt.Sprintf("a specialty course's assessment has at least %d items; %d given", MinSpecialtyItems, len(b.Items))})
		}
		for _, it := range b.Items {
			if other, dup := itemFile[it.ID]; dup && it.ID != "" {
				ps = append(ps, it.At("item id is already used in %s; item ids are unique across all content", other))
			} else {
				itemFile[it.ID] = file
			}
			for _, slug := range it.Modules {
				if _, ok := mods.Module(slug); !ok {
					ps = append(ps, it.At("modules: %q is not a module of this course", slug))
				}
			}
			key := strings.ToLower(strings.Join(strings.Fields(it.Concept), " "))
			if other, dup := concepts[key]; dup && key != "" {
				ps = append(ps, it.At("concept %q is already %s's; concepts are unique across all content", it.Concept, other))
			} else {
				concepts[key] = it.ID
			}
		}
		if c.Endorsement != nil {
			if other, dup := cat.Endorsement(c.Endorsement.Slug); dup {
				ps = append(ps, curriculum.Problem{File: c.File, Msg: fmt.Sprintf("endorsement %q is already granted by %s", c.Endorsement.Slug, other.Slug)})
			}
		}
		cat.add(c)
	}
	slices.SortStableFunc(cat.Courses, func(a, b *Course) int {
		if d := slices.Index(Kinds, a.Kind) - slices.Index(Kinds, b.Kind); d != 0 {
			return d
		}
		return strings.Compare(a.Slug, b.Slug)
	})
	curriculum.SortProblems(ps)
	return cat, ps
}

func (c *Catalogue) add(x *Course) {
	if _, dup := c.bySlug[x.Slug]; dup {
		return
	}
	c.bySlug[x.Slug] = x
	c.Courses = append(c.Courses, x)
}

// loadCourseYAML reads and validates one course.yaml; folder is the slug it must have ("" for the
// certification course). It returns nil when the file cannot be read or decoded.
func loadCourseYAML(fsys fs.FS, file, folder string, ps *[]curriculum.Problem) *Course {
	add := func(line int, format string, args ...any) {
		*ps = append(*ps, curriculum.Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		add(0, "cannot read the course front matter: %v", err)
		return nil
	}
	var y courseYAML
	if dp := curriculum.DecodeYAML(file, data, 1, &y); len(dp) > 0 {
		*ps = append(*ps, dp...)
		return nil
	}
	l := curriculum.NewYAMLLines(data, 1)
	c := &Course{Slug: y.Slug, Kind: y.Kind, Title: strings.TrimSpace(y.Title), Summary: strings.TrimSpace(y.Summary),
		CECategory: ce.Category(y.CECategory), Prerequisites: y.Prerequisites, PassPercent: DefaultPassPercent, File: file}
	switch {
	case y.Slug == "":
		add(l.Line("slug"), "slug is required")
	case !slugRE.MatchString(y.Slug):
		add(l.Line("slug"), "slug %q may contain only lowercase letters, digits and hyphens ([a-z0-9-]+)", y.Slug)
	case folder != "" && y.Slug != folder:
		add(l.Line("slug"), "slug %q must equal the folder name %q", y.Slug, folder)
	}
	if c.Slug == "" {
		c.Slug = folder
	}
	if !slices.Contains(Kinds, y.Kind) {
		add(l.Line("kind"), "kind %q must be one of %s", y.Kind, strings.Join(Kinds, ", "))
	}
	if c.Title == "" || strings.ContainsAny(c.Title, "\r\n") {
		add(l.Line("title"), "title is required, a single line of plain text")
	}
	if c.Summary == "" {
		add(l.Line("summary"), "summary is required: one to three plain sentences for the catalogue")
	}
	switch {
	case y.Hours == nil || *y.Hours <= 0:
		add(l.Line("hours"), "hours is required and must be positive")
	case math.Abs(*y.Hours*60-math.Round(*y.Hours*60)) > 1e-9:
		add(l.Line("hours"), "hours %g is not a whole number of minutes", *y.Hours)
	default:
		c.Minutes = int(math.Round(*y.Hours * 60))
	}
	if y.CECategory != "" || y.Kind != KindCertification {
		if !c.CECategory.Valid() {
			add(l.Line("ce_category"), "ce_category %q must be one of the CE rule's categories: %s", y.CECategory, categoryList())
		}
	}
	for i, p := range y.Prerequisites {
		if !slices.Contains(KnownPrerequisites, p) {
			add(l.Line("prerequisites", i), "prerequisite %q is not known (known: %s)", p, strings.Join(KnownPrerequisites, ", "))
		}
	}
	switch {
	case y.Kind == KindSpecialty && y.Endorsement == nil:
		add(l.Line("kind"), "a specialty course grants an endorsement: endorsement (slug, title) is required")
	case y.Kind != KindSpecialty && y.Endorsement != nil:
		add(l.Line("endorsement"), "only specialty courses grant an endorsement; a %s course has none", y.Kind)
	case y.Endorsement != nil:
		e := Endorsement{Slug: y.Endorsement.Slug, Title: strings.TrimSpace(y.Endorsement.Title)}
		if !slugRE.MatchString(e.Slug) {
			add(l.Line("endorsement", "slug"), "endorsement slug %q may contain only lowercase letters, digits and hyphens", e.Slug)
		}
		if e.Title == "" {
			add(l.Line("endorsement", "title"), "endorsement title is required")
		}
		c.Endorsement = &e
	}
	if a := y.Assessment; a != nil {
		if a.PassPercent != nil {
			if *a.PassPercent < 1 || *a.PassPercent > 100 {
				add(l.Line("assessment", "pass_percent"), "pass_percent %d must be 1 to 100", *a.PassPercent)
			} else {
				c.PassPercent = *a.PassPercent
			}
		}
		if a.FormLength != nil {
			if *a.FormLength < 1 {
				add(l.Line("assessment", "form_length"), "form_length must be at least 1")
			} else {
				c.FormLength = *a.FormLength
			}
		}
	}
	return c
}

func categoryList() string {
	var out []string
	for _, c := range ce.Categories {
		out = append(out, string(c))
	}
	return strings.Join(out, ", ")
}

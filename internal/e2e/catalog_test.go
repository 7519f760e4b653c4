package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/peeracademy/peeracademy/content"
	"github.com/peeracademy/peeracademy/internal/app"
	"github.com/peeracademy/peeracademy/internal/catalog"
	"github.com/peeracademy/peeracademy/internal/catalog/catalogtest"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestHolderTakesACECourse: a certified holder opens the catalogue, enrols in the (fixture) ethics
// course a vendor offers, reads both modules (one done by its knowledge check, one marked done), sits
// the assessment in the browser (answers chosen by clicking, each autosaved), passes, and finds 3
// verified ethics hours on the certificate page.
func TestHolderTakesACECourse(t *testing.T) {
	catalogueBrowserTest(t, catalogtest.EthicsCE, "kappa", func(t *testing.T, d dbtest.Dialect, env *apptest.Env, p apptest.People, cert certificate.Certificate, course *catalog.Course, b *browser) {
		b.enrolFromCatalogue(course, "Continuing education")

		var pg loaded
		for i, m := range course.Modules.Modules() {
			pg = b.load("open module", chromedp.Click(`//a[@href="`+m.URL()+`"]`))
			wantPage(t, "module", pg, http.StatusOK, m.URL())
			if h := b.text("h1"); h != m.Title {
				t.Fatalf("module heading %q", h)
			}
			if i == 0 {
				// The first module is done by its knowledge check, answered right; its result shows
				// where the questions are.
				for j, q := range m.Check {
					b.do("answer the check", chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="q%d"][value="%d"]`, j, q.Answer))))
				}
				pg = b.load("check my answers", chromedp.Click(chromedp.CSS(`form[action="`+m.URL()+`/check"] button[type="submit"]`)))
				wantPage(t, "after the check", pg, http.StatusOK, m.URL())
				if pg.URL.Fragment != "check-result" || !strings.Contains(b.text("#check-result"), "All correct") {
					t.Fatalf("check result at %s: %.300s", pg.URL, b.text("main"))
				}
				pg = b.open(course.URL())
			} else {
				pg = b.load("mark done", chromedp.Click(chromedp.ID(`mark-done`)))
			}
			wantPage(t, "after marking done", pg, http.StatusOK, course.URL())
			if txt := b.text("main"); !strings.Contains(txt, fmt.Sprintf("%d of 2", i+1)) {
				t.Fatalf("progress after module %d: %.500s", i+1, txt)
			}
		}

		b.passAssessment(env, p, course)
		b.screenshot("course-result-" + string(d) + ".png")

		pg = b.load("back to the course", chromedp.Click(`//a[@href="`+course.URL()+`" and contains(@class, "button")]`))
		wantPage(t, "course complete", pg, http.StatusOK, course.URL())
		if m := b.text("#course-complete"); !strings.Contains(m, "Course complete") || !strings.Contains(m, "3 verified hours of ethics") {
			t.Fatalf("completion: %.400s", m)
		}
		pg = b.load("certificate page", chromedp.Click(chromedp.CSS(`#course-complete a`)))
		wantPage(t, "certificate", pg, http.StatusOK, "/certificates/"+cert.ID)
		m := b.text("main")
		for _, want := range []string{"3 of 18 verified hours", course.Title, "verified"} {
			if !strings.Contains(m, want) {
				t.Errorf("certificate page lacks %q: %.1200s", want, m)
			}
		}
	})
}

// TestHolderTakesASpecialtyCourse: a certified holder enrols in the (fixture) specialty course from
// the catalogue, marks its modules done, passes its assessment in the browser, and finds the
// endorsement on the certificate page and on the public verification page.
func TestHolderTakesASpecialtyCourse(t *testing.T) {
	catalogueBrowserTest(t, catalogtest.Specialty, "lambda", func(t *testing.T, d dbtest.Dialect, env *apptest.Env, p apptest.People, cert certificate.Certificate, course *catalog.Course, b *browser) {
		b.enrolFromCatalogue(course, "Specialty")
		for _, m := range course.Modules.Modules() {
			wantPage(t, "module", b.load("open module", chromedp.Click(`//a[@href="`+m.URL()+`"]`)), http.StatusOK, m.URL())
			wantPage(t, "after marking done", b.load("mark done", chromedp.Click(chromedp.ID(`mark-done`))), http.StatusOK, course.URL())
		}
		b.passAssessment(env, p, course)

		want := "Endorsement: " + course.Endorsement.Title + ", since"
		wantPage(t, "certificate", b.open("/certificates/"+cert.ID), http.StatusOK, "/certificates/"+cert.ID)
		if m := b.text("main"); !strings.Contains(m, course.Endorsement.Title) {
			t.Errorf("certificate page lacks the endorsement: %.1200s", m)
		}
		wantPage(t, "verification", b.open("/verify/"+cert.VerifyCode), http.StatusOK, "/verify/"+cert.VerifyCode)
		if m := b.text("main"); !strings.Contains(m, want) {
			t.Errorf("verification page lacks %q: %.1200s", want, m)
		}
		b.screenshot("specialty-verified-" + string(d) + ".png")
	})
}

// catalogueBrowserTest runs f on both databases with the fixture courses loaded, the course slug
// offered by a vendor, and a certified holder (who) signed in to the browser.
func catalogueBrowserTest(t *testing.T, slug, who string, f func(t *testing.T, d dbtest.Dialect, env *apptest.Env, p apptest.People, cert certificate.Certificate, course *catalog.Course, b *browser)) {
	exe := chromiumPath(t)
	saved := app.ContentFS
	app.ContentFS = catalogtest.WithFixtures(content.FS)
	t.Cleanup(func() { app.ContentFS = saved })
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env, base := startApp(t, d)
		p, cert := env.Certified(who)
		if _, err := env.App.Courses.Offer(context.Background(), p.AdminActor(), p.Admin, catalog.OfferingInput{Course: slug}); err != nil {
			t.Fatal(err)
		}
		course, _ := env.App.Catalogue.Course(slug)
		f(t, d, env, p, cert, course, signedIn(t, env, exe, base, p.Cand))
	})
}

// enrolFromCatalogue opens the catalogue, finds the course (of the kind label given), and enrols.
func (b *browser) enrolFromCatalogue(course *catalog.Course, kind string) {
	t := b.t
	t.Helper()
	pg := b.open("/courses")
	wantPage(t, "catalogue", pg, http.StatusOK, "/courses")
	if m := b.text("main"); !strings.Contains(m, course.Title) || !strings.Contains(m, kind) {
		t.Fatalf("catalogue: %.600s", m)
	}
	pg = b.load("open the course", chromedp.Click(`//a[@href="`+course.URL()+`"]`))
	wantPage(t, "course page", pg, http.StatusOK, course.URL())
	pg = b.load("enrol", chromedp.Click(chromedp.CSS(`button.enrol`)))
	wantPage(t, "after enrolling", pg, http.StatusOK, course.URL())
	if m := b.text("main"); !strings.Contains(m, "You are enrolled") || !strings.Contains(m, fmt.Sprintf("0 of %d", len(course.Modules.Modules()))) {
		t.Fatalf("after enrolling: %.600s", m)
	}
}

// passAssessment starts the course's assessment, clicks every right answer, waits until the
// script has autosaved each, submits and expects a pass.
func (b *browser) passAssessment(env *apptest.Env, p apptest.People, course *catalog.Course) {
	t := b.t
	t.Helper()
	ctx := context.Background()
	pg := b.load("start the assessment", chromedp.Click(chromedp.ID(`start-assessment`)))
	if !strings.HasPrefix(pg.URL.Path, "/courses/attempts/") || pg.Status != http.StatusOK {
		t.Fatalf("assessment at %s (%d)", pg.URL, pg.Status)
	}
	attemptID := strings.TrimPrefix(pg.URL.Path, "/courses/attempts/")
	v, err := env.App.Courses.View(ctx, p.CandActor(), p.Cand, attemptID)
	n := course.FormLength
	if err != nil || len(v.Questions) != n {
		t.Fatalf("attempt view: %v", err)
	}
	for _, q := range v.Questions {
		it, _ := course.Assessment.Item(q.ItemID)
		for _, k := range it.Answer {
			d := slices.Index(q.Options, it.Options[k])
			b.do("choose "+q.ItemID, chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="q-%s"][value="%d"]`, q.ItemID, d))))
		}
	}
	// Every choice was saved as it was made (the written exam's script), before any submit.
	b.waitSaved("assessment")
	if v, err = env.App.Courses.View(ctx, p.CandActor(), p.Cand, attemptID); err != nil {
		t.Fatal(err)
	}
	for _, q := range v.Questions {
		if len(q.Selected) == 0 {
			t.Fatalf("question %s: the choice was not autosaved", q.ItemID)
		}
	}
	pg = b.load("submit", chromedp.Click(chromedp.ID(`submit-assessment`)))
	wantPage(t, "result", pg, http.StatusOK, "/courses/attempts/"+attemptID)
	if m := b.text("#assessment-result"); !strings.Contains(m, fmt.Sprintf("%d of %d", n, n)) || !strings.Contains(m, "Passed") {
		t.Fatalf("result: %.400s", m)
	}
}

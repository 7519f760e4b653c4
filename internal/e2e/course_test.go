package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestCandidateTakesAModule walks an enrolled candidate through the course pages in a real browser:
// the overview with day 1 open and day 2 not yet, the first module (title, objectives, table of
// contents, sanitised body), a knowledge check answered wrongly and then correctly, the progress
// that follows on the overview, and the refusal of a module whose day has not opened.
func TestCandidateTakesAModule(t *testing.T) {
	chromium := chromiumPath(t)
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env, base := startApp(t, d) // before the browser, so the browser closes first
		ctx := context.Background()

		// The cohort, enrolment and candidate come from the domain services: this test is about the
		// candidate's pages, and the staff pages that make a cohort are tested elsewhere.
		vendor := env.Vendor("recovery-works")
		admin := env.User(account.RoleVendorAdmin, vendor.ID)
		cand := env.User(account.RoleCandidate, "")
		dates := courseDates(t)
		co, err := env.App.Cohorts.Create(ctx, audit.System, admin, cohort.CreateInput{
			Name: "Spring cohort", Timezone: "America/New_York", Delivery: "virtual", Capacity: 10, Dates: dates,
		})
		if err != nil {
			t.Fatalf("create cohort: %v", err)
		}
		env.Enroll(admin, co.ID, cand)

		cur := env.App.Curriculum
		total := len(cur.Modules())
		day1, day2 := cur.Days[0], cur.Days[1]
		if day1.Number != 1 || day2.Number != 2 || len(day1.Modules) == 0 || len(day2.Modules) == 0 {
			t.Fatalf("unexpected curriculum: first days %d and %d", day1.Number, day2.Number)
		}
		first := day1.Modules[0]
		if len(first.Check) == 0 || len(first.Objectives) == 0 || len(first.TOC) == 0 {
			t.Fatalf("module %s has no check, objectives or table of contents", first.Slug)
		}

		// The browser carries the candidate's session, as if they had signed in.
		b := newBrowser(t, chromium, base)
		b.setCookie("pa_session", env.Session(cand, account.KindWeb))

		// 1. The course overview: day 1 open with its modules, day 2 announced, nothing done yet.
		p := b.open("/learn")
		wantPage(t, "course overview", p, http.StatusOK, "/learn")
		if h := b.text("h1"); h != "Your course" {
			t.Errorf("course overview: h1 %q", h)
		}
		b.checkA11y("course overview", "")
		wantProgress(t, b, "before any module", 0, total)
		ov := b.overview()
		if ov.Resume != "" {
			t.Errorf("before any module: a resume link to %q", ov.Resume)
		}
		// A new course page starts the candidate off.
		if start := run(b, "Start day 1", chromedp.Evaluate[string](`(() => { const a = Array.from(document.querySelectorAll("main a.button")).find(a => a.innerText.trim().startsWith("Start day 1")); return a ? a.getAttribute("href") + "|" + a.innerText.trim() : ""; })()`)); start != first.URL()+"|Start day 1: "+first.Title {
			t.Errorf("before any module: Start day 1 button %q", start)
		}
		if got := ov.Days["1"]; !got.Open || len(got.Links) != len(day1.Modules) || got.Links[0] != first.URL() {
			t.Errorf("day 1: %+v, want open with %d modules starting at %s", got, len(day1.Modules), first.URL())
		}
		if got := ov.Days["2"]; got.Open || len(got.Links) != 0 || got.Text != "Opens on "+dates[1]+"." {
			t.Errorf("day 2: %+v, want closed with \"Opens on %s.\"", got, dates[1])
		}

		// 2. Open the first module of day 1 from the overview.
		p = b.load("follow the first day-1 module", chromedp.Click(`//section[@aria-labelledby="day-1"]//ol/li[1]/a`))
		wantPage(t, "first module", p, http.StatusOK, first.URL())
		mp := b.modulePage()
		if mp.H1 != first.Title || mp.H1s != 1 {
			t.Errorf("module page: h1 %q (%d h1 elements), want %q", mp.H1, mp.H1s, first.Title)
		}
		if !slices.Equal(mp.Objectives, first.Objectives) {
			t.Errorf("module page: objectives %q, want %q", mp.Objectives, first.Objectives)
		}
		wantTOC := make([]string, 0, len(first.TOC)+1)
		for _, h := range first.TOC {
			wantTOC = append(wantTOC, "#"+h.ID)
			if !mp.Anchors[h.ID] {
				t.Errorf("module page: the table of contents links to #%s, which is not in the body", h.ID)
			}
		}
		wantTOC = append(wantTOC, "#check-h")
		if !slices.Equal(mp.TOC, wantTOC) {
			t.Errorf("module page: table of contents %q, want %q", mp.TOC, wantTOC)
		}
		if mp.BodyParagraphs == 0 || mp.BodyWords < first.Words/2 {
			t.Errorf("module page: body has %d paragraphs and %d words, want the module text (%d words)", mp.BodyParagraphs, mp.BodyWords, first.Words)
		}
		for _, bad := range mp.Unsafe {
			t.Errorf("module page: unsanitised content in the body: %s", bad)
		}
		if mp.Questions != len(first.Check) {
			t.Errorf("module page: %d questions, want %d", mp.Questions, len(first.Check))
		}
		for _, r := range mp.UnlabelledRadios {
			t.Errorf("module page: answer without a label: %s", r)
		}
		if mp.Result != "" {
			t.Errorf("module page: a check result before any answer: %q", mp.Result)
		}
		b.screenshot("module-" + string(d) + ".png")

		// 3. Answer every question wrongly: feedback, and the module stays incomplete.
		for i, q := range first.Check {
			b.choose(i, (q.Answer+1)%len(q.Options))
		}
		p = b.load("submit wrong answers", chromedp.Click(`//main//form[contains(@action,"/check")]//button[@type="submit"]`))
		wantPage(t, "wrong answers", p, http.StatusOK, first.URL())
		if p.URL.Fragment != "check-result" {
			t.Errorf("wrong answers: at %s, want the result's anchor #check-result", p.URL)
		}
		// The result is on screen, where the questions are (it used to be 1,900 px down the page).
		if top := run(b, "result position", chromedp.Evaluate[float64](`document.getElementById("check-result").getBoundingClientRect().top`)); top < -2 || top > 900 { // scrolled to the anchor: about 0, give or take a sub-pixel
			t.Errorf("wrong answers: the result is %.0f px from the top of the window", top)
		}
		mp = b.modulePage()
		if want := fmt.Sprintf("0 of %d correct. Read the feedback and try again.", len(first.Check)); mp.Result != want {
			t.Errorf("wrong answers: result %q, want %q", mp.Result, want)
		}
		if len(mp.Feedback) != len(first.Check) {
			t.Fatalf("wrong answers: %d feedback messages, want %d", len(mp.Feedback), len(first.Check))
		}
		for i, f := range mp.Feedback {
			if want := "Not quite. " + first.Check[i].Feedback; f != want {
				t.Errorf("wrong answers: question %d feedback %q, want %q", i+1, f, want)
			}
		}
		if completed(t, env.App.Cohorts, cand.ID, first.Slug) {
			t.Errorf("wrong answers completed the module")
		}

		// 4. Answer correctly (the right answers come from the curriculum): the module is complete.
		m, ok := cur.Module(first.Slug)
		if !ok {
			t.Fatalf("no module %s", first.Slug)
		}
		for i, q := range m.Check {
			b.choose(i, q.Answer)
		}
		p = b.load("submit right answers", chromedp.Click(`//main//form[contains(@action,"/check")]//button[@type="submit"]`))
		wantPage(t, "right answers", p, http.StatusOK, first.URL())
		// A reload shows the same result and posts nothing (the page came from a GET).
		p = b.load("reload", chromedp.Reload())
		wantPage(t, "reload after the check", p, http.StatusOK, first.URL())
		mp = b.modulePage()
		if mp.Result != "All correct: this module is complete." {
			t.Errorf("right answers: result %q", mp.Result)
		}
		for i, f := range mp.Feedback {
			if !strings.HasPrefix(f, "Correct. ") {
				t.Errorf("right answers: question %d feedback %q", i+1, f)
			}
		}
		if !completed(t, env.App.Cohorts, cand.ID, first.Slug) {
			t.Errorf("right answers did not complete the module")
		}
		b.screenshot("module-complete-" + string(d) + ".png")

		// 5. Back on the overview: progress has moved, the module is marked, resume points at it.
		p = b.load("follow the breadcrumb to the course", chromedp.Click(`//main//nav[@aria-label="Breadcrumb"]//a[@href="/learn"]`))
		wantPage(t, "course overview after the check", p, http.StatusOK, "/learn")
		wantProgress(t, b, "after the check", 1, total)
		ov = b.overview()
		if ov.Resume != first.URL() || ov.ResumeText != "Continue: "+first.Title {
			t.Errorf("after the check: resume link %q (%q), want %q (\"Continue: %s\")", ov.Resume, ov.ResumeText, first.URL(), first.Title)
		}
		if got := ov.Days["1"]; len(got.Badges) == 0 || got.Badges[0] != "Completed" {
			t.Errorf("after the check: day 1 badges %q, want the first module Completed", got.Badges)
		} else {
			for i, bd := range got.Badges[1:] {
				if bd != "" {
					t.Errorf("after the check: day 1 module %d shows %q", i+2, bd)
				}
			}
		}
		b.screenshot("learn-" + string(d) + ".png")

		// The resume link leads back to the module.
		p = b.load("follow the resume link", chromedp.Click(`//main//a[starts-with(normalize-space(), "Continue:")]`))
		wantPage(t, "resume link", p, http.StatusOK, first.URL())

		// 6. A module of day 2 is not open yet.
		p = b.open(day2.Modules[0].URL())
		wantPage(t, "day-2 module", p, http.StatusForbidden, day2.Modules[0].URL())
		if h := b.text("h1"); h != "You do not have access" {
			t.Errorf("day-2 module: h1 %q", h)
		}
		if m := b.text("main"); !strings.Contains(m, "This day of the course has not opened yet.") {
			t.Errorf("day-2 module: page says %q, want \"has not opened yet\"", m)
		}
		if strings.Contains(b.text("main"), day2.Modules[0].Title) {
			t.Errorf("day-2 module: the locked page shows the module's title")
		}
	})
}

// courseDates returns ten session dates: day 1 today in New York (so it is open), day 2 a week
// later (so it is not, even if the test runs across midnight), then one a day.
func courseDates(t *testing.T) []string {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	y, m, d := time.Now().In(ny).Date()
	out := []string{time.Date(y, m, d, 12, 0, 0, 0, ny).Format("2006-01-02")}
	for i := 1; i < cohort.Days; i++ {
		out = append(out, time.Date(y, m, d+6+i, 12, 0, 0, 0, ny).Format("2006-01-02"))
	}
	return out
}

// completed reads from the domain whether the candidate has completed the module.
func completed(t *testing.T, cs *cohort.Service, candidateID, slug string) bool {
	t.Helper()
	prog, err := cs.ProgressOf(context.Background(), candidateID)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := prog[slug]
	return ok && p.CompletedAt != nil
}

// wantProgress checks the progress line of the course overview.
func wantProgress(t *testing.T, b *browser, step string, done, total int) {
	t.Helper()
	txt := b.text(`section[aria-labelledby="progress-h"]`)
	if want := fmt.Sprintf("%d of %d modules completed", done, total); !strings.Contains(txt, want) {
		t.Errorf("%s: progress %q, want %q", step, txt, want)
	}
	bar := run(b, step+": progress bar", chromedp.Attributes(chromedp.CSS(`section[aria-labelledby="progress-h"] progress`)))
	if bar["value"] != strconv.Itoa(done) || bar["max"] != strconv.Itoa(total) {
		t.Errorf("%s: progress bar value=%q max=%q, want %d of %d", step, bar["value"], bar["max"], done, total)
	}
}

// setCookie gives the browser a cookie for the app's host, before or between page loads.
func (b *browser) setCookie(name, value string) {
	b.t.Helper()
	b.do("set cookie "+name, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetCookie, network.SetCookieParams{
			Name: name, Value: value, URL: b.base + "/", Path: "/", HTTPOnly: ptr(true), SameSite: network.CookieSameSiteLax,
		})
		return err
	}))
}

func ptr[T any](v T) *T { return &v }

// choose clicks the answer option of question i, as a person would.
func (b *browser) choose(question, option int) {
	b.t.Helper()
	sel := fmt.Sprintf(`input[type="radio"][name="q%d"][value="%d"]`, question, option)
	b.clickCentered(sel)
	if !run(b, "is "+sel+" checked", chromedp.Evaluate[bool](`document.querySelector(`+strconv.Quote(sel)+`).checked`)) {
		b.t.Fatalf("clicking %s did not select it", sel)
	}
}

// overviewDay is one day's section of the course overview.
type overviewDay struct {
	Open   bool     `json:"open"`   // its modules are listed
	Links  []string `json:"links"`  // module links, in order
	Badges []string `json:"badges"` // the badge beside each module ("" for none)
	Text   string   `json:"text"`   // the paragraph of a closed day
}

type overview struct {
	Resume     string                 `json:"resume"` // href of the "Continue:" link
	ResumeText string                 `json:"resumeText"`
	Days       map[string]overviewDay `json:"days"` // by day number
}

const overviewJS = `(() => {
  const out = {resume: "", resumeText: "", days: {}};
  const resume = Array.from(document.querySelectorAll("main a")).find(a => a.innerText.trim().startsWith("Continue:"));
  if (resume) { out.resume = resume.getAttribute("href"); out.resumeText = resume.innerText.trim(); }
  for (const s of document.querySelectorAll('main section[aria-labelledby^="day-"]')) {
    const n = s.getAttribute("aria-labelledby").slice(4);
    const items = Array.from(s.querySelectorAll("ol > li"));
    const closed = s.querySelector("p.muted");
    out.days[n] = {
      open: items.length > 0,
      links: items.map(li => li.querySelector("a").getAttribute("href")),
      badges: items.map(li => { const b = li.querySelector(".badge"); return b ? b.innerText.trim() : ""; }),
      text: closed ? closed.innerText.trim() : "",
    };
  }
  return out;
})()`

func (b *browser) overview() overview {
	b.t.Helper()
	return run(b, "read the course overview", chromedp.Evaluate[overview](overviewJS))
}

// moduleFacts is what a module page shows.
type moduleFacts struct {
	H1               string          `json:"h1"`
	H1s              int             `json:"h1s"`
	Objectives       []string        `json:"objectives"`
	TOC              []string        `json:"toc"`     // hrefs of the table of contents
	Anchors          map[string]bool `json:"anchors"` // ids of headings in the body
	BodyParagraphs   int             `json:"bodyParagraphs"`
	BodyWords        int             `json:"bodyWords"`
	Unsafe           []string        `json:"unsafe"` // scripts, handlers, javascript: URLs, styles in the body
	Questions        int             `json:"questions"`
	UnlabelledRadios []string        `json:"unlabelledRadios"`
	Result           string          `json:"result"`   // the check's summary, if answered
	Feedback         []string        `json:"feedback"` // per-question feedback, if answered
}

const moduleFactsJS = `(() => {
  const q = s => Array.from(document.querySelectorAll(s));
  const body = document.querySelector("main .module-body");
  const unsafe = [];
  if (body) {
    for (const el of body.querySelectorAll("*")) {
      const tag = el.tagName.toLowerCase();
      if (["script", "iframe", "object", "embed", "style", "form", "input", "button"].includes(tag)) unsafe.push("<" + tag + ">");
      for (const a of el.attributes) {
        const v = a.value.trim().toLowerCase();
        if (a.name.startsWith("on") || a.name === "style" || ((a.name === "href" || a.name === "src") && (v.startsWith("javascript:") || v.startsWith("data:"))))
          unsafe.push("<" + tag + " " + a.name + "=" + JSON.stringify(a.value) + ">");
      }
    }
  }
  const unlabelled = q('main form input[type="radio"]').filter(r => { const l = r.closest("label"); return !l || !l.innerText.trim(); }).map(r => r.outerHTML);
  const result = document.querySelector('main section[aria-labelledby="check-h"] [role="status"]');
  return {
    h1: (document.querySelector("h1") || {innerText: ""}).innerText.trim(),
    h1s: q("h1").length,
    objectives: q('main section[aria-labelledby="obj-h"] li').map(li => li.innerText.trim()),
    toc: q('main nav[aria-labelledby="toc-h"] a').map(a => a.getAttribute("href")),
    anchors: Object.fromEntries(body ? Array.from(body.querySelectorAll("h2[id], h3[id]")).map(h => [h.id, true]) : []),
    bodyParagraphs: body ? body.querySelectorAll("p").length : 0,
    bodyWords: body ? body.innerText.split(/\s+/).filter(Boolean).length : 0,
    unsafe: unsafe,
    questions: q("main form fieldset").length,
    unlabelledRadios: unlabelled,
    result: result ? result.innerText.trim() : "",
    feedback: q("main form fieldset p.flash").map(p => p.innerText.trim()),
  };
})()`

func (b *browser) modulePage() moduleFacts {
	b.t.Helper()
	return run(b, "read the module page", chromedp.Evaluate[moduleFacts](moduleFactsJS))
}

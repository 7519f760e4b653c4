package e2e

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestCandidateSitsTheWrittenExam sits a five-question written exam in a real browser, as a
// candidate admitted by their vendor's gate override: start (accepting the confirmation), answer
// questions 1 to 3 by clicking (the script saves each one), reload the page on question 3 and find
// every answer still there, answer 4 and 5 with "Save and next", review, submit (confirming), and read
// the result with its topics.
func TestCandidateSitsTheWrittenExam(t *testing.T) {
	chromium := chromiumPath(t)
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env, base := startApp(t, d) // before the browser, so the browser closes first
		ctx := context.Background()
		const formLength = 5

		// The candidate is enrolled with the vendor, coursework not done, and admitted by an override;
		// the vendor's form has five questions. All of it through the domain services.
		vendor := env.Vendor("exam-works")
		admin := env.User(account.RoleVendorAdmin, vendor.ID)
		cand := env.User(account.RoleCandidate, "")
		co, err := env.App.Cohorts.Create(ctx, audit.System, admin, cohort.CreateInput{
			Name: "Exam cohort", Timezone: "America/New_York", Delivery: "virtual", Capacity: 10, Dates: courseDates(t),
		})
		if err != nil {
			t.Fatalf("create cohort: %v", err)
		}
		env.Enroll(admin, co.ID, cand)
		if _, err := env.App.Exams.UpdateSettings(ctx, audit.System, admin, exam.Settings{
			DurationMinutes: exam.DefaultDurationMinutes, PassPercent: exam.DefaultPassPercent, MaxAttempts: exam.DefaultMaxAttempts,
			WaitDays: exam.DefaultWaitDays, FormLength: formLength,
		}); err != nil {
			t.Fatalf("exam settings: %v", err)
		}
		if err := env.App.Exams.OverrideGate(ctx, audit.System, admin, cand.ID, "Coursework completed with a previous cohort."); err != nil {
			t.Fatalf("gate override: %v", err)
		}

		b := newBrowser(t, chromium, base)
		b.setCookie("pa_session", env.Session(cand, account.KindWeb))
		dialogs := b.acceptDialogs()

		// 1. The exam page: the rules, and a start button that asks first.
		p := b.open("/exam")
		wantPage(t, "exam page", p, http.StatusOK, "/exam")
		if h := b.text("h1"); h != "Written examination" {
			t.Errorf("exam page: h1 %q", h)
		}
		if m := b.text("main"); !strings.Contains(m, fmt.Sprintf("%d questions", formLength)) {
			t.Errorf("exam page does not say %d questions: %s", formLength, m)
		}
		b.checkA11y("exam page", "")
		p = b.load("start the examination", chromedp.Click(`//main//form[@action="/exam/start"]//button[@type="submit"]`))
		dialogs.want(t, "start", "Start the examination now? The clock cannot be paused.")
		m := regexp.MustCompile(`^/exam/attempts/([^/]+)/q/1$`).FindStringSubmatch(p.URL.Path)
		if p.Status != http.StatusOK || m == nil {
			t.Fatalf("after start: at %s (HTTP %d), want /exam/attempts/<id>/q/1", p.URL, p.Status)
		}
		attempt := m[1]
		qURL := func(n int) string { return "/exam/attempts/" + attempt + "/q/" + strconv.Itoa(n) }

		// 2. Question 1: the timer, a quiet live region, nothing saved yet.
		ep := b.examPage()
		if ep.H1 != "Question 1 of 5" {
			t.Errorf("question 1: h1 %q", ep.H1)
		}
		if !strings.Contains(ep.Bar, "Time left:") || !regexp.MustCompile(`^\d+:\d\d$`).MatchString(ep.Clock) {
			t.Errorf("question 1: timer bar %q, clock %q; want \"Time left:\" and m:ss", ep.Bar, ep.Clock)
		}
		if !ep.LiveExists || ep.LivePolite != "polite" || ep.LiveText != "" {
			t.Errorf("question 1: live region exists=%v aria-live=%q text=%q; want an empty polite region", ep.LiveExists, ep.LivePolite, ep.LiveText)
		}
		if ep.Status != "" || len(ep.Answered) != 0 || ep.Options < 2 {
			t.Errorf("question 1 at start: status %q, answered %v, %d options", ep.Status, ep.Answered, ep.Options)
		}

		// 3. Questions 1 to 3: click an option; the script saves it at once.
		for n := 1; n <= 3; n++ {
			if n > 1 {
				p = b.load(fmt.Sprintf("go to question %d from the grid", n), chromedp.Click(chromedp.CSS(fmt.Sprintf(`nav[aria-label="All questions"] a[href=%q]`, qURL(n)))))
				wantPage(t, fmt.Sprintf("question %d", n), p, http.StatusOK, qURL(n))
			}
			b.pickOption(0)
			b.waitSaved(fmt.Sprintf("question %d", n))
		}
		if got := b.examPage().Buffer; got != "{}" {
			t.Errorf("after the saves, the local buffer holds %s, want {}", got)
		}

		// 4. Reload on question 3: the answer is still selected (from the server, not the browser's
		// form memory) and the grid marks 1-3 answered.
		p = b.load("reload question 3", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, page.Reload, page.ReloadParams{IgnoreCache: ptr(true)})
			return err
		}))
		wantPage(t, "question 3 after reload", p, http.StatusOK, qURL(3))
		ep = b.examPage()
		if !slices.Equal(ep.Checked, []int{0}) || !slices.Equal(ep.ServerChecked, []int{0}) {
			t.Errorf("after reload: checked %v (server-rendered %v), want [0]", ep.Checked, ep.ServerChecked)
		}
		if !slices.Equal(ep.Answered, []int{1, 2, 3}) {
			t.Errorf("after reload: the grid marks %v answered, want [1 2 3]", ep.Answered)
		}
		if !strings.Contains(ep.Bar, "3 of 5 answered") {
			t.Errorf("after reload: bar %q, want \"3 of 5 answered\"", ep.Bar)
		}
		b.screenshot("exam-question-" + string(d) + ".png")

		// 5. Questions 4 and 5 with "Save and next" (and "Save and review all" on the last).
		p = b.load("save and next from question 3", chromedp.Click(`//main//form//button[@name="go" and @value="next"]`))
		wantPage(t, "question 4", p, http.StatusOK, qURL(4))
		b.pickOption(0)
		p = b.load("save and next from question 4", chromedp.Click(`//main//form//button[@name="go" and @value="next"]`))
		wantPage(t, "question 5", p, http.StatusOK, qURL(5))
		if ep := b.examPage(); !slices.Equal(ep.Answered, []int{1, 2, 3, 4}) {
			t.Errorf("question 5: the grid marks %v answered, want [1 2 3 4]", ep.Answered)
		}
		b.pickOption(0)
		p = b.load("save and review from question 5", chromedp.Click(`//main//form//button[@name="go" and @value="review"]`))
		wantPage(t, "review", p, http.StatusOK, "/exam/attempts/"+attempt+"/review")

		// 6. Review: five of five, then submit (confirming).
		if h := b.text("h1"); h != "Review your answers" {
			t.Errorf("review: h1 %q", h)
		}
		if m := b.text("main"); !strings.Contains(m, "5 of 5 answered") || strings.Contains(m, "Not answered") {
			t.Errorf("review: %q, want \"5 of 5 answered\" and no unanswered question", m)
		}
		p = b.load("submit the examination", chromedp.Click(`//main//form[contains(@action,"/submit")]//button[@type="submit"]`))
		dialogs.want(t, "submit", "Submit the examination? You cannot change answers afterwards.")
		wantPage(t, "result", p, http.StatusOK, "/exam/attempts/"+attempt+"/result")

		// 7. The result: the score the server graded, and the topics adding up to the form.
		rs, err := env.App.Exams.Results(ctx, cand)
		if err != nil || len(rs) != 1 || !rs[0].Graded || rs[0].Total != formLength || rs[0].Status != exam.StatusSubmitted {
			t.Fatalf("results from the service: %+v (%v)", rs, err)
		}
		r := rs[0]
		if h := b.text("h1"); h != "Examination result" {
			t.Errorf("result: h1 %q", h)
		}
		score := b.text(`main [role="status"]`)
		if want := fmt.Sprintf("%d of %d correct (%.1f%%; %d%% needed)", r.Correct, r.Total, r.Percent, r.PassPercent); !strings.Contains(score, want) {
			t.Errorf("result: %q, want %q", score, want)
		}
		topics := run(b, "read the topics", chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("main table tbody tr")).map(tr => tr.innerText.replace(/\s+/g, " ").trim())`))
		if len(topics) == 0 || len(topics) != len(r.Domains) {
			t.Errorf("result: topics %q, want %d", topics, len(r.Domains))
		}
		total := 0
		for i, dr := range r.Domains {
			total += dr.Total
			if i < len(topics) && !strings.HasPrefix(topics[i], dr.Title) {
				t.Errorf("result: topic row %d %q, want %q", i+1, topics[i], dr.Title)
			}
		}
		if total != formLength {
			t.Errorf("result: topics cover %d questions, want %d", total, formLength)
		}
		b.screenshot("exam-result-" + string(d) + ".png")

		// Five answers stored, one per question.
		n, err := env.App.DB.NewSelect().Table("exam_answers").Where("attempt_id = ?", attempt).Count(ctx)
		if err != nil || n != formLength {
			t.Errorf("%d answers stored (%v), want %d", n, err, formLength)
		}
		dialogs.none(t)
	})
}

// examFacts is what a question page shows.
type examFacts struct {
	H1            string `json:"h1"`
	Bar           string `json:"bar"`   // the timer bar's text
	Clock         string `json:"clock"` // the countdown
	LiveExists    bool   `json:"liveExists"`
	LivePolite    string `json:"livePolite"`
	LiveText      string `json:"liveText"`
	Status        string `json:"status"` // #save-status
	Options       int    `json:"options"`
	Checked       []int  `json:"checked"`       // options checked now
	ServerChecked []int  `json:"serverChecked"` // options the server rendered checked
	Answered      []int  `json:"answered"`      // question numbers the grid marks answered
	Buffer        string `json:"buffer"`        // the script's local buffer of unsaved answers
}

const examFactsJS = `(() => {
  const q = s => Array.from(document.querySelectorAll(s));
  const one = s => document.querySelector(s);
  const live = one("#timer-announce");
  const form = one("form[data-exam-question]");
  const choices = q('form[data-exam-question] input[name="choice"]');
  return {
    h1: (one("h1") || {innerText: ""}).innerText.trim(),
    bar: (one(".exam-bar") || {innerText: ""}).innerText.replace(/\s+/g, " ").trim(),
    clock: (one("[data-clock]") || {textContent: ""}).textContent.trim(),
    liveExists: !!live,
    livePolite: live ? live.getAttribute("aria-live") : "",
    liveText: live ? live.textContent : "",
    status: (one("#save-status") || {textContent: ""}).textContent.trim(),
    options: choices.length,
    checked: choices.filter(i => i.checked).map(i => parseInt(i.value, 10)),
    serverChecked: choices.filter(i => i.defaultChecked).map(i => parseInt(i.value, 10)),
    answered: q('nav[aria-label="All questions"] a.answered').map(a => parseInt(a.textContent, 10)),
    buffer: form ? String(localStorage.getItem("peeracademy-exam-" + form.getAttribute("data-attempt"))) : "",
  };
})()`

func (b *browser) examPage() examFacts {
	b.t.Helper()
	return run(b, "read the question page", chromedp.Evaluate[examFacts](examFactsJS))
}

// pickOption clicks an answer option of the question on screen, as a person would.
func (b *browser) pickOption(i int) {
	b.t.Helper()
	sel := fmt.Sprintf(`form[data-exam-question] input[name="choice"][value="%d"]`, i)
	checked := func() bool {
		return run(b, "is "+sel+" checked", chromedp.Evaluate[bool](`document.querySelector(`+strconv.Quote(sel)+`).checked`))
	}
	b.clickCentered(sel)
	if checked() {
		return
	}
	// What was under the pointer: a click that misses once on a busy machine (the page still laying
	// out) is clicked again, as a person would, and said in the log; a second miss fails.
	under := run(b, "what is at "+sel, chromedp.Evaluate[string](`(el => { const r = el.getBoundingClientRect(); `+
		`const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); `+
		`return at ? at.outerHTML.slice(0, 200) : "nothing"; })(document.querySelector(`+strconv.Quote(sel)+`))`))
	b.t.Logf("clicking %s did not select it at first (at its centre now: %s); clicking again", sel, under)
	b.clickCentered(sel)
	if !checked() {
		b.t.Fatalf("clicking %s twice did not select it (at its centre: %s)", sel, under)
	}
}

// clickCentered clicks sel as a person would, after scrolling it to the middle of the window: the
// exam's timer bar is sticky, and an option scrolled only just into view can sit under it, so that
// the click at the option's centre lands on the bar instead.
func (b *browser) clickCentered(sel string) {
	b.t.Helper()
	run(b, "scroll "+sel+" to the middle", chromedp.Evaluate[bool](`(el => (el.scrollIntoView({block: "center"}), true))(document.querySelector(`+strconv.Quote(sel)+`))`))
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// waitSaved waits until the script reports that the server has every answer.
func (b *browser) waitSaved(what string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("save-status").textContent === "All answers saved."`,
		chromedp.WithPollingTimeout(actionTimeout)))
	if err != nil {
		status := run(b, "read #save-status", chromedp.Evaluate[string](`document.getElementById("save-status").textContent`))
		b.t.Fatalf("%s: the answer was not saved: %v (status %q)", what, err, status)
	}
}

// dialogLog records the JavaScript dialogs the page opened (each accepted, as a person clicking OK).
type dialogLog struct {
	mu   sync.Mutex
	msgs []string
	errs []error
}

// acceptDialogs accepts every alert, confirm and prompt of the tab until the test ends.
func (b *browser) acceptDialogs() *dialogLog {
	b.t.Helper()
	ctx, cancel := context.WithCancel(b.ctx)
	b.t.Cleanup(cancel) // runs before the browser closes
	tab := chromedp.FromContext(b.ctx).Target
	events := chromedp.Events(ctx, page.JavascriptDialogOpening)
	l := &dialogLog{}
	go func() {
		for ev, err := range events {
			if err != nil {
				return // the test is over
			}
			// Recorded before accepting: the page cannot go on (and load the next one) until then.
			l.mu.Lock()
			l.msgs = append(l.msgs, ev.Message)
			l.mu.Unlock()
			cctx, ccancel := context.WithTimeout(ctx, actionTimeout)
			_, err := cdp.Call(cctx, tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			ccancel()
			if err != nil && ctx.Err() == nil {
				l.mu.Lock()
				l.errs = append(l.errs, fmt.Errorf("accept dialog %q: %w", ev.Message, err))
				l.mu.Unlock()
			}
		}
	}()
	return l
}

// want checks that exactly one dialog, with this message, opened since the last check.
func (l *dialogLog) want(t *testing.T, step, msg string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range l.errs {
		t.Errorf("%s: %v", step, err)
	}
	if len(l.msgs) != 1 || l.msgs[0] != msg {
		t.Errorf("%s: dialogs %q, want exactly %q", step, l.msgs, msg)
	}
	l.msgs, l.errs = nil, nil
}

// none checks that no dialog opened since the last check.
func (l *dialogLog) none(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range l.errs {
		t.Error(err)
	}
	if len(l.msgs) != 0 {
		t.Errorf("unexpected dialogs %q", l.msgs)
	}
}

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// oralCast is who takes part in the oral-exam journey.
type oralCast struct {
	vendor                    *account.Vendor
	admin, trainer, candidate *account.User
}

// oralCandidateName has an apostrophe and accents, to catch escaping on every page that names them.
const oralCandidateName = "Renée O'Connor"

// oralFixture builds, through the domain services, a recognised vendor with an administrator and a
// trainer, and a candidate enrolled with the vendor who passed its written exam: a five-question
// form, the coursework gate overridden by the administrator, every question answered with the
// bank's key.
func oralFixture(t *testing.T, env *apptest.Env) oralCast {
	t.Helper()
	ctx := context.Background()
	c := oralCast{vendor: env.Vendor("oral-works")}
	c.admin = env.User(account.RoleVendorAdmin, c.vendor.ID)
	c.trainer = env.User(account.RoleTrainer, c.vendor.ID)
	c.candidate = env.User(account.RoleCandidate, "")
	c.candidate.Name = oralCandidateName
	if _, err := env.App.DB.NewUpdate().Model((*account.User)(nil)).Set("name = ?", c.candidate.Name).Where("id = ?", c.candidate.ID).Exec(ctx); err != nil {
		t.Fatalf("rename the candidate: %v", err)
	}
	admin := audit.Actor{UserID: c.admin.ID, Role: c.admin.Role, VendorID: c.vendor.ID}
	co, err := env.App.Cohorts.Create(ctx, admin, c.admin, cohort.CreateInput{
		Name: "Oral cohort", Timezone: "America/New_York", Delivery: "virtual", Capacity: 10, Dates: courseDates(t),
	})
	if err != nil {
		t.Fatalf("create cohort: %v", err)
	}
	env.Enroll(c.admin, co.ID, c.candidate)

	p := apptest.People{Vendor: c.vendor, Admin: c.admin, Trainer: c.trainer, Cand: c.candidate}
	env.ShortExam(p)
	if err := env.App.Exams.OverrideGate(ctx, admin, c.admin, c.candidate.ID, "Coursework completed with a previous cohort."); err != nil {
		t.Fatalf("gate override: %v", err)
	}
	env.PassWritten(c.candidate)
	return c
}

// slotRows reads the first cell ("When") of each row of the trainer's slot table, and the third
// ("Booking").
const slotRowsJS = `Array.from(document.querySelectorAll("main section table tbody tr")).map(tr =>
  Array.from(tr.cells).map(td => td.innerText.replace(/\s+/g, " ").trim()))`

// TestTrainerPublishesCandidateBooksTrainerGrades is the oral exam in real browsers, with the
// trainer and the candidate each in their own Chromium: the trainer publishes a block of two
// 45-minute slots (times in the vendor's zone), the candidate who passed the written exam books the
// first one and receives a calendar invitation; the trainer is refused grading before the exam,
// then (the oral service's clock moved into the exam) grades every competency, confirming the
// submission; the candidate reads the result with the scores, a note and the feedback.
func TestTrainerPublishesCandidateBooksTrainerGrades(t *testing.T) {
	chromium := chromiumPath(t)
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env, base := startApp(t, d) // before the browsers, so they close first
		ctx := context.Background()
		cast := oralFixture(t, env)
		// The oral service's clock: real time until step 5 moves it into the exam. Installed before any
		// browser sends a request; later moves go through the atomic, so no request reads a torn value.
		var clock atomic.Pointer[time.Time]
		env.App.Oral.Now = func() time.Time {
			if at := clock.Load(); at != nil {
				return *at
			}
			return time.Now()
		}
		rubric := env.App.Oral.Rubric
		if rubric == nil || len(rubric.Competencies) == 0 {
			t.Fatal("the app has no oral-exam rubric")
		}

		// The vendor names no zone, so times are America/New_York's; the expected texts are built
		// with Go's zone data, so they are right on either side of a DST change.
		loc, err := time.LoadLocation(oral.DefaultTimezone)
		if err != nil {
			t.Fatal(err)
		}
		day := time.Now().In(loc).AddDate(0, 0, 4)
		first := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, loc)
		second := first.Add(45 * time.Minute)
		when := func(at time.Time) string { return at.In(loc).Format("Mon, Jan 2, 2006, 3:04 PM MST") } // the pages' format
		const link = "https://meet.example.org/oral-room-7"

		// 1. The trainer (a session fixture: staff sign in with two factors, tested elsewhere) opens
		// the oral-exam page: no slots yet.
		tr := newBrowser(t, chromium, base)
		tr.setCookie("pa_session", env.Session(cast.trainer, account.KindWeb))
		trDialogs := tr.acceptDialogs()
		p := tr.open("/oral")
		wantPage(t, "trainer's oral page", p, http.StatusOK, "/oral")
		if h := tr.text("h1"); h != "Oral examinations" {
			t.Errorf("trainer's oral page: h1 %q", h)
		}
		if m := tr.text("main"); !strings.Contains(m, "Times are shown in America/New_York.") || !strings.Contains(m, "No slots yet.") {
			t.Errorf("trainer's oral page before publishing: %.400s", m)
		}
		tr.checkA11y("trainer's oral page", "")

		// 2. Publish 09:00-10:30 four days ahead, in 45-minute slots, for one week, online.
		tr.do("fill in the availability form",
			chromedp.SetValue(chromedp.ID("f-date"), first.Format("2006-01-02")),
			chromedp.SetValue(chromedp.ID("f-start"), "09:00"),
			chromedp.SetValue(chromedp.ID("f-end"), "10:30"),
			chromedp.SetValue(chromedp.ID("f-slot_minutes"), "45"),
			chromedp.SetValue(chromedp.ID("f-weeks"), "1"),
			chromedp.Click(chromedp.CSS(`input[name="mode"][value="virtual"]`)),
		)
		tr.typeInto("f-location", link)
		p = tr.load("publish the slots", chromedp.Click(`//main//form[@action="/oral/slots"]//button[@type="submit"]`))
		wantPage(t, "after publishing", p, http.StatusOK, "/oral")
		if f := tr.text(".flash"); f != "2 slots published." {
			t.Errorf("after publishing: flash %q, want \"2 slots published.\"", f)
		}
		rows := run(tr, "read the slot table", chromedp.Evaluate[[][]string](slotRowsJS))
		if len(rows) != 2 {
			t.Fatalf("after publishing: %d rows in the slot table, want 2: %q", len(rows), rows)
		}
		for i, at := range []time.Time{first, second} {
			if len(rows[i]) != 4 || rows[i][0] != when(at) || rows[i][1] != "Virtual" || rows[i][2] != "open" {
				t.Errorf("slot row %d: %q, want [%q Virtual open …]", i+1, rows[i], when(at))
			}
		}
		tr.screenshot("oral-trainer-published-" + string(d) + ".png") // before checkA11y shows the skip link
		tr.checkA11y("trainer's oral page (published)", "")

		slots, err := env.App.Oral.TrainerSlots(ctx, cast.trainer, time.Now(), time.Now().AddDate(0, 0, 30))
		if err != nil || len(slots) != 2 {
			t.Fatalf("the trainer's slots from the service: %d (%v), want 2", len(slots), err)
		}
		if !slots[0].StartsAt.Equal(first) || !slots[1].StartsAt.Equal(second) || slots[0].Location != link || slots[0].Mode != oral.ModeVirtual {
			t.Fatalf("slots stored: %v %s %q, %v; want %v and %v, virtual at %s", slots[0].StartsAt, slots[0].Mode, slots[0].Location, slots[1].StartsAt, first, second, link)
		}

		// 3. The candidate sees both open slots and books the first.
		cb := newBrowser(t, chromium, base)
		cb.setCookie("pa_session", env.Session(cast.candidate, account.KindWeb))
		cbDialogs := cb.acceptDialogs()
		p = cb.open("/oral")
		wantPage(t, "candidate's oral page", p, http.StatusOK, "/oral")
		if h := cb.text("h1"); h != "Oral examination" {
			t.Errorf("candidate's oral page: h1 %q", h)
		}
		if l := cb.text("main fieldset legend"); l != "Open slots (America/New_York)" {
			t.Errorf("candidate's oral page: legend %q", l)
		}
		offered := run(cb, "read the open slots", chromedp.Evaluate[[][]string](`Array.from(document.querySelectorAll('main input[name="slot_id"]')).map(i =>
  [i.value, i.closest("label").innerText.replace(/\s+/g, " ").trim()])`))
		if len(offered) != 2 {
			t.Fatalf("candidate's oral page offers %d slots, want 2: %q", len(offered), offered)
		}
		for i, sl := range slots {
			if want := when(sl.StartsAt) + " · " + cast.trainer.Name + " · virtual"; offered[i][0] != sl.ID || offered[i][1] != want {
				t.Errorf("open slot %d: %q, want %s %q", i+1, offered[i], sl.ID, want)
			}
		}
		cb.checkA11y("candidate's oral page", "")
		cb.do("choose the first slot", chromedp.Click(chromedp.CSS(`main input[name="slot_id"][value="`+slots[0].ID+`"]`)))
		p = cb.load("book the slot", chromedp.Click(`//main//form[@action="/oral/book"]//button[@type="submit"]`))
		wantPage(t, "after booking", p, http.StatusOK, "/oral")
		wantFlash := "Booked for " + oral.When(first, loc) + ". A confirmation with a calendar invitation is on its way."
		if f := cb.text(".flash-success"); f != wantFlash {
			t.Errorf("after booking: flash %q, want %q", f, wantFlash)
		}
		booking := run(cb, "read the booking section", chromedp.Evaluate[[]string](`(() => {
  const h = Array.from(document.querySelectorAll("main section h2")).find(h => h.textContent.trim() === "Your booking");
  if (!h) return [];
  const a = h.parentElement.querySelector("a");
  return [h.parentElement.innerText.replace(/\s+/g, " ").trim(), a ? a.getAttribute("href") : ""];
})()`))
		if len(booking) != 2 || !strings.Contains(booking[0], when(first)+" with "+cast.trainer.Name) || booking[1] != link {
			t.Errorf("after booking: \"Your booking\" section %q, want %s with %s and the link %s", booking, when(first), cast.trainer.Name, link)
		}
		if m := cb.text("main"); strings.Contains(m, "Book a slot") {
			t.Errorf("after booking, the page still offers slots: %.400s", m)
		}
		cb.checkA11y("candidate's oral page (booked)", "")
		p = cb.open("/dashboard")
		wantPage(t, "candidate's dashboard (booked)", p, http.StatusOK, "/dashboard")
		if m := cb.text("main"); !strings.Contains(m, "Booked for "+oral.When(first, loc)+".") {
			t.Errorf("the dashboard does not show the booking: %.600s", m)
		}

		mail := env.LastMail(cast.candidate.Email)
		atts, err := mail.AttachmentsOf()
		if err != nil {
			t.Fatalf("attachments of %q: %v", mail.Subject, err)
		}
		if len(atts) != 1 || !strings.HasSuffix(atts[0].Filename, ".ics") || !strings.HasPrefix(atts[0].ContentType, "text/calendar") ||
			!strings.Contains(string(atts[0].Data), "BEGIN:VCALENDAR") {
			names := []string{}
			for _, a := range atts {
				names = append(names, a.Filename+" ("+a.ContentType+")")
			}
			t.Errorf("confirmation email %q: attachments %q, want one *.ics calendar file", mail.Subject, names)
		}

		bs, err := env.App.Oral.Bookings(ctx, cast.candidate)
		if err != nil || len(bs) != 1 || bs[0].SlotID != slots[0].ID || bs[0].Status != oral.BookingActive {
			t.Fatalf("the candidate's bookings from the service: %+v (%v), want one active booking of the first slot", bs, err)
		}
		bookingID := bs[0].ID
		gradePath := "/oral/bookings/" + bookingID + "/grade"

		// 4. Before the exam the trainer cannot grade it: the form comes back with the reason, and
		// with the scores chosen still chosen.
		p = tr.open("/oral")
		wantPage(t, "trainer's oral page (booked)", p, http.StatusOK, "/oral")
		rows = run(tr, "read the slot table", chromedp.Evaluate[[][]string](slotRowsJS))
		if len(rows) != 2 || rows[0][2] != oralCandidateName+" (booked)" || rows[1][2] != "open" {
			t.Errorf("trainer's slot table after the booking: %q, want the first slot booked by %s", rows, oralCandidateName)
		}
		if msg := run(tr, "No-show confirmation", chromedp.Evaluate[string](`document.querySelector('form[action$="/no-show"]').dataset.confirm`)); msg != "Record "+oralCandidateName+" as a no-show? The booking ends without a grade." {
			t.Errorf("No-show asks %q before recording", msg)
		}
		p = tr.load("follow Grade", chromedp.Click(chromedp.CSS(`main a[href="`+gradePath+`"]`)))
		wantPage(t, "grading page", p, http.StatusOK, gradePath)
		if h := tr.text("h1"); h != "Oral examination: "+oralCandidateName {
			t.Errorf("grading page: h1 %q", h)
		}
		if n := tr.text("#grading-opens"); !strings.HasPrefix(n, "Grading opens when the exam starts: ") {
			t.Errorf("grading page before the exam: notice %q, want when grading opens", n)
		}
		tr.checkA11y("grading page", "")
		tr.do("score every competency 3", scoreAll(rubric, 3)...)
		p = tr.load("submit the grade before the exam", chromedp.Click(`//main//form[@action="`+gradePath+`"]//button[@type="submit"]`))
		trDialogs.want(t, "submit the grade before the exam", "Submit this grade? It cannot be edited afterwards.")
		wantPage(t, "grading before the exam", p, http.StatusConflict, gradePath)
		if e, want := tr.text("[data-error-summary]"), "You can grade the exam once it has started ("+oral.When(first, loc)+")."; !strings.Contains(e, want) {
			t.Errorf("grading before the exam: error summary %q, want %q", e, want)
		}
		if f := tr.focused("grading before the exam: focus"); !f.ErrorSummary {
			t.Errorf("grading before the exam: focus on <%s id=%q>, want the error summary", f.Tag, f.ID)
		}
		if n := run(tr, "count the kept scores", chromedp.Evaluate[int](`document.querySelectorAll('main input[type="radio"][value="3"]:checked').length`)); n != len(rubric.Competencies) {
			t.Errorf("grading before the exam: %d scores still chosen, want %d", n, len(rubric.Competencies))
		}

		// 5. The exam starts: the oral service's clock moves ten minutes into the slot.
		started := first.Add(10 * time.Minute)
		clock.Store(&started)
		g, err := env.App.Oral.Gate(ctx, cast.candidate)
		if err != nil || g.Code != "result_pending" {
			t.Fatalf("the candidate's gate during the exam: %+v (%v), want result_pending", g, err)
		}

		// 6. The trainer grades from the page: the scenario, 3 on every competency with its evidence
		// note (typed into the first), feedback.
		p = tr.open("/oral")
		wantPage(t, "trainer's oral page (exam started)", p, http.StatusOK, "/oral")
		p = tr.load("follow Grade", chromedp.Click(chromedp.CSS(`main a[href="`+gradePath+`"]`)))
		wantPage(t, "grading page (exam started)", p, http.StatusOK, gradePath)
		const (
			note     = "Shared a brief, purposeful part of the story & handed it back."
			feedback = "Warm and clear throughout; you kept the focus on the person's own goals."
		)
		firstComp := rubric.Competencies[0]
		tr.do("score every competency 3", scoreAll(rubric, 3)...)
		tr.do("choose the scenario", chromedp.SetValue(chromedp.ID("f-scenario"), rubric.Scenarios[0].ID))
		tr.typeInto("n-"+firstComp.ID, note)
		tr.do("evidence for the others", evidenceNotes(rubric.Competencies[1:], "Evidence: ")...)
		tr.typeInto("f-feedback", feedback)
		tr.screenshot("oral-grading-" + string(d) + ".png")
		p = tr.load("submit the grade", chromedp.Click(`//main//form[@action="`+gradePath+`"]//button[@type="submit"]`))
		trDialogs.want(t, "submit the grade", "Submit this grade? It cannot be edited afterwards.")
		wantPage(t, "after grading", p, http.StatusOK, "/oral")
		total := 3 * len(rubric.Competencies)
		if f, want := tr.text(".flash"), fmt.Sprintf("Grade recorded: total %d, passed. The candidate can now see the result.", total); f != want {
			t.Errorf("after grading: flash %q, want %q", f, want)
		}
		rows = run(tr, "read the slot table", chromedp.Evaluate[[][]string](slotRowsJS))
		if len(rows) != 2 || rows[0][2] != oralCandidateName+" (completed, graded)" || rows[0][3] != "View grade" {
			t.Errorf("trainer's slot table after grading: %q", rows)
		}
		tr.screenshot("oral-trainer-graded-" + string(d) + ".png")
		tr.checkA11y("trainer's oral page (graded)", "")

		// 7. The candidate reads the result: passed, every competency with its score, the note and
		// the feedback; no booking left and nothing to book.
		p = cb.open("/oral")
		wantPage(t, "candidate's result", p, http.StatusOK, "/oral")
		result := run(cb, "read the result", chromedp.Evaluate[[]string](`(() => {
  const h = Array.from(document.querySelectorAll("main section h2")).find(h => h.textContent.trim() === "Your result");
  return h ? [h.parentElement.querySelector("p.flash").innerText.replace(/\s+/g, " ").trim(),
    (h.parentElement.querySelector("h3 + p") || {innerText: ""}).innerText.trim()] : [];
})()`))
		wantSummary := fmt.Sprintf("You passed the oral examination. Total %d of %d (at least %d, and %d on every competency, needed).", total, rubric.MaxTotal(), rubric.MinTotal, rubric.MinEach)
		if len(result) != 2 || result[0] != wantSummary || result[1] != feedback {
			t.Errorf("candidate's result: %q, want %q and the feedback %q", result, wantSummary, feedback)
		}
		table := run(cb, "read the competency table", chromedp.Evaluate[[][]string](`Array.from(document.querySelectorAll("main table tbody tr")).map(tr =>
  Array.from(tr.cells).map(td => td.innerText.replace(/\s+/g, " ").trim()))`))
		level, _ := rubric.Level(3)
		var want [][]string
		for i, c := range rubric.Competencies {
			n := "Evidence: " + c.Title
			if i == 0 {
				n = note
			}
			want = append(want, []string{c.Title, fmt.Sprintf("3 (%s)", level.Label), n})
		}
		if !slices.EqualFunc(table, want, slices.Equal[[]string]) {
			t.Errorf("candidate's competency table:\n got %q\nwant %q", table, want)
		}
		m := cb.text("main")
		if strings.Contains(m, "Your booking") || strings.Contains(m, "Book a slot") {
			t.Errorf("candidate's result page still shows a booking or slots: %.500s", m)
		}
		if !strings.Contains(m, "You have already passed the oral exam.") {
			t.Errorf("candidate's result page does not say the exam is passed for good: %.500s", m)
		}
		cb.screenshot("oral-result-" + string(d) + ".png")
		cb.checkA11y("candidate's result", "")

		res, err := env.App.Oral.Result(ctx, cast.candidate)
		if err != nil || !res.Passed || res.Total != total || res.Feedback != feedback {
			t.Errorf("the result from the service: %+v (%v)", res, err)
		}
		trDialogs.none(t)
		cbDialogs.none(t)
	})
}

// scoreAll clicks score s for every competency of the rubric on the grading form.
func scoreAll(r *oral.Rubric, s int) []chromedp.Action[chromedp.Void] {
	var steps []chromedp.Action[chromedp.Void]
	for _, c := range r.Competencies {
		steps = append(steps, chromedp.Click(chromedp.CSS(fmt.Sprintf(`main input[name="score_%s"][value="%d"]`, c.ID, s))))
	}
	return steps
}

// evidenceNotes fills the evidence note of each competency with prefix and its title.
func evidenceNotes(comps []oral.Competency, prefix string) []chromedp.Action[chromedp.Void] {
	var steps []chromedp.Action[chromedp.Void]
	for _, c := range comps {
		steps = append(steps, chromedp.SetValue(chromedp.ID("n-"+c.ID), prefix+c.Title))
	}
	return steps
}

// TestCandidateMovesAndCancelsOralBooking: a candidate with a booking moves it to another open time from the
// oral page, confirming first; the old time becomes free again and the new one is booked.
func TestCandidateMovesAndCancelsOralBooking(t *testing.T) {
	chromium := chromiumPath(t)
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env, base := startApp(t, d)
		ctx := context.Background()
		cast := oralFixture(t, env)
		loc, err := time.LoadLocation(oral.DefaultTimezone)
		if err != nil {
			t.Fatal(err)
		}
		day := time.Now().In(loc).AddDate(0, 0, 5)
		ta := audit.Actor{UserID: cast.trainer.ID, Role: cast.trainer.Role, VendorID: cast.vendor.ID}
		slots, err := env.App.Oral.CreateSlots(ctx, ta, cast.trainer, oral.SlotInput{Date: day.Format("2006-01-02"), Start: "09:00", End: "10:30",
			SlotMinutes: 45, Weeks: 1, Mode: oral.ModeVirtual, Location: "https://meet.example.org/move"})
		if err != nil || len(slots) != 2 {
			t.Fatalf("slots: %v %v", slots, err)
		}
		if _, err := env.App.Oral.Book(ctx, audit.Actor{UserID: cast.candidate.ID}, cast.candidate, slots[0].ID); err != nil {
			t.Fatal(err)
		}

		cb := signedIn(t, env, chromium, base, cast.candidate)
		dialogs := cb.acceptDialogs()
		p := cb.open("/oral")
		wantPage(t, "candidate's oral page", p, http.StatusOK, "/oral")
		cb.do("choose the other time", chromedp.Click(chromedp.CSS(`main input[name="slot_id"][value="`+slots[1].ID+`"]`)))
		p = cb.load("move the booking", chromedp.Click(`//main//form[contains(@action,"/reschedule")]//button[@type="submit"]`))
		wantPage(t, "after moving", p, http.StatusOK, "/oral")
		dialogs.want(t, "move", "Move your booking to the time you chose?")
		if f, want := cb.text(".flash-success"), "Moved to "+oral.When(slots[1].StartsAt, loc)+". An updated calendar invitation is on its way."; f != want {
			t.Errorf("after moving: flash %q, want %q", f, want)
		}
		g, err := env.App.Oral.Gate(ctx, cast.candidate)
		if err != nil || g.ActiveBookingID == "" {
			t.Fatalf("gate after moving: %+v %v", g, err)
		}
		b, err := env.App.Oral.GetBooking(ctx, cast.candidate, g.ActiveBookingID)
		if err != nil || b.SlotID != slots[1].ID {
			t.Fatalf("active booking after moving: %+v %v; want the second slot", b, err)
		}
		open, err := env.App.Oral.OpenSlots(ctx, cast.candidate, cast.vendor.ID, time.Now(), time.Now().AddDate(0, 1, 0))
		if err != nil || len(open) != 1 || open[0].ID != slots[0].ID {
			t.Fatalf("open slots after moving: %+v %v; want the first slot free again", open, err)
		}
		cb.checkA11y("candidate's oral page (moved)", "")

		// The candidate cancels from the page (no reason asked of them), and the trainer removes the
		// now unbooked first slot (no reason needed: nobody is booked on it).
		p = cb.load("cancel the booking", chromedp.Click(`//main//form[contains(@action,"/cancel")]//button[@type="submit"]`))
		wantPage(t, "after cancelling", p, http.StatusOK, "/oral")
		dialogs.want(t, "cancel", "Cancel this booking?")
		if f := cb.text(".flash-success"); f != "Your booking was cancelled." {
			t.Errorf("after cancelling: flash %q", f)
		}
		if g, err := env.App.Oral.Gate(ctx, cast.candidate); err != nil || !g.CanBook {
			t.Fatalf("gate after cancelling: %+v %v; want free to book again", g, err)
		}
		tr := signedIn(t, env, chromium, base, cast.trainer)
		p = tr.open("/oral")
		wantPage(t, "trainer's oral page", p, http.StatusOK, "/oral")
		p = tr.load("remove the first slot", chromedp.Click(`//main//form[@action="/oral/slots/`+slots[0].ID+`/cancel"]//button[@type="submit"]`))
		wantPage(t, "after removing the slot", p, http.StatusOK, "/oral")
		open, err = env.App.Oral.OpenSlots(ctx, cast.candidate, cast.vendor.ID, time.Now(), time.Now().AddDate(0, 1, 0))
		if err != nil || len(open) != 1 || open[0].ID != slots[1].ID {
			t.Fatalf("open slots after removing the first: %+v %v; want only the second", open, err)
		}
	})
}

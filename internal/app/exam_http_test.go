package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/api"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// examClient sends JSON API requests with a candidate's bearer token.
type examClient struct {
	t     *testing.T
	env   *apptest.Env
	token string
}

func (c examClient) do(method, path string, body any) (*http.Response, []byte) {
	c.t.Helper()
	req := apptest.Request(method, "/api/v1"+path, body)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	resp := c.env.Do(req)
	return resp, []byte(apptest.Body(resp))
}

// want sends a request, fails unless the status is status, and decodes the body into out (if not nil).
func (c examClient) want(status int, method, path string, body, out any) []byte {
	c.t.Helper()
	resp, b := c.do(method, path, body)
	if resp.StatusCode != status {
		c.t.Fatalf("%s %s: HTTP %d, want %d: %.400s", method, path, resp.StatusCode, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: decode: %v: %.400s", method, path, err, b)
		}
	}
	return b
}

// apiError is the API's error envelope.
type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// keyedChoice returns, for a question as the candidate sees it, the displayed indexes of the keyed
// options (right) and one displayed index that is not keyed (wrong), from the bank the app loaded.
func keyedChoice(t *testing.T, bank *exam.Bank, q exam.Question) (right []int, wrong int) {
	t.Helper()
	it, ok := bank.Item(q.ItemID)
	if !ok {
		t.Fatalf("question %d: item %s is not in the bank", q.Number, q.ItemID)
	}
	keyed := map[string]bool{}
	for _, o := range it.Answer {
		keyed[it.Options[o]] = true
	}
	wrong = -1
	for d, text := range q.Options {
		if keyed[text] {
			right = append(right, d)
		} else if wrong < 0 {
			wrong = d
		}
	}
	if len(right) != len(it.Answer) || wrong < 0 {
		t.Fatalf("question %d (%s): cannot map the key onto the displayed options %q", q.Number, q.ItemID, q.Options)
	}
	return right, wrong
}

// jsonKeys collects every object key in a decoded JSON value.
func jsonKeys(v any, into map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			into[k] = true
			jsonKeys(e, into)
		}
	case []any:
		for _, e := range x {
			jsonKeys(e, into)
		}
	}
}

// examCohortDates are ten session dates starting today in New York.
func examCohortDates() []string {
	ny, _ := time.LoadLocation("America/New_York")
	start := time.Now().In(ny)
	out := make([]string, cohort.Days)
	for i := range out {
		out[i] = start.AddDate(0, 0, i).Format("2006-01-02")
	}
	return out
}

var (
	examCSRFRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	examItemRE = regexp.MustCompile(`name="item_id" value="([^"]+)"`)
	examSeqRE  = regexp.MustCompile(`name="seq" value="([0-9]+)"`)
)

// TestExamOverTheAPI sits the written exam over the JSON API as a candidate admitted by a vendor's
// gate override: start, view (no keys), save, a stale save that changes nothing, a reconnect that
// shows every saved answer, a double submit graded once, a save after submit refused; then a second
// attempt answered once through the page without JavaScript and refused once its time is up.
func TestExamOverTheAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d)
		ctx := context.Background()
		exams := env.App.Exams
		t.Cleanup(func() { exams.Now = nil })

		vendor := env.Vendor("exam-works")
		admin := env.User(account.RoleVendorAdmin, vendor.ID)
		cand := env.User(account.RoleCandidate, "")
		co, err := env.App.Cohorts.Create(ctx, audit.System, admin, cohort.CreateInput{
			Name: "Exam cohort", Timezone: "America/New_York", Delivery: "virtual", Capacity: 10, Dates: examCohortDates(),
		})
		if err != nil {
			t.Fatalf("create cohort: %v", err)
		}
		env.Enroll(admin, co.ID, cand)
		const formLength, duration = 10, 30
		if _, err := exams.UpdateSettings(ctx, audit.System, admin, exam.Settings{
			DurationMinutes: duration, PassPercent: 75, MaxAttempts: 3, WaitDays: 0, FormLength: formLength,
		}); err != nil {
			t.Fatalf("settings: %v", err)
		}
		cl := examClient{t, env, env.Session(cand, account.KindAPI)}

		// Enrolled, coursework not done, no override: the gate is closed.
		var e apiError
		cl.want(http.StatusForbidden, "POST", "/exam/attempts", nil, &e)
		if e.Error.Code != "coursework_incomplete" {
			t.Fatalf("start before the override: code %q, want coursework_incomplete", e.Error.Code)
		}
		if err := exams.OverrideGate(ctx, audit.System, admin, cand.ID, "Completed the course with another cohort; records checked."); err != nil {
			t.Fatalf("override: %v", err)
		}
		var res api.ExamResults
		cl.want(http.StatusOK, "GET", "/exam", nil, &res)
		if !res.Gate.CanStart || !res.Gate.Overridden || res.Gate.FormLength != formLength {
			t.Fatalf("gate after the override: %+v", res.Gate)
		}

		// 1. Start; starting again resumes the same attempt.
		var sum exam.Summary
		cl.want(http.StatusCreated, "POST", "/exam/attempts", nil, &sum)
		if sum.Questions != formLength || sum.Resumed || sum.Status != exam.StatusOpen || sum.VendorID != vendor.ID {
			t.Fatalf("start: %+v", sum)
		}
		var again exam.Summary
		cl.want(http.StatusOK, "POST", "/exam/attempts", nil, &again)
		if again.ID != sum.ID || !again.Resumed {
			t.Fatalf("second start: %+v, want attempt %s resumed", again, sum.ID)
		}
		base := "/exam/attempts/" + sum.ID

		// 2. View: the questions, and never a key or a rationale.
		var view exam.AttemptView
		raw := cl.want(http.StatusOK, "GET", base, nil, &view)
		var generic any
		if err := json.Unmarshal(raw, &generic); err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		jsonKeys(generic, keys)
		for _, k := range []string{"answer", "answers", "rationale", "key", "keys", "correct"} {
			if keys[k] {
				t.Errorf("the attempt view has a %q field", k)
			}
		}
		if len(view.Questions) != formLength || view.Completed != 0 || view.SecondsLeft <= 0 {
			t.Fatalf("view: %d questions, %d completed, %ds left", len(view.Questions), view.Completed, view.SecondsLeft)
		}
		for _, q := range view.Questions {
			if it, _ := exams.Bank.Item(q.ItemID); it != nil && it.Rationale != "" && strings.Contains(string(raw), it.Rationale) {
				t.Errorf("the attempt view shows the rationale of %s", q.ItemID)
			}
			if len(q.Selected) != 0 || q.Seq != 0 {
				t.Errorf("question %d: something saved before any answer: %+v", q.Number, q)
			}
		}

		// 3. Save every answer: the first six right, the last four wrong; flag the last.
		const rightCount = 6
		chosen := map[string][]int{}
		for i, q := range view.Questions {
			right, wrong := keyedChoice(t, exams.Bank, q)
			choice := right
			if i >= rightCount {
				choice = []int{wrong}
			}
			chosen[q.ItemID] = choice
			var s exam.Saved
			cl.want(http.StatusOK, "PUT", base+"/answers/"+q.ItemID,
				answerBody(choice, i == formLength-1, int64(100+i)), &s)
			if !s.Applied || s.Seq != int64(100+i) || s.ItemID != q.ItemID {
				t.Fatalf("save question %d: %+v", q.Number, s)
			}
		}

		// 4. A late retry with a LOWER seq changes nothing (and says so).
		q1 := view.Questions[0]
		_, wrong1 := keyedChoice(t, exams.Bank, q1)
		var stale exam.Saved
		cl.want(http.StatusOK, "PUT", base+"/answers/"+q1.ItemID, answerBody([]int{wrong1}, true, 50), &stale)
		if stale.Applied || stale.Seq != 100 {
			t.Fatalf("stale save: %+v, want applied=false seq=100", stale)
		}

		// 5. Reconnect: a fresh view shows every answer as saved, the stale one ignored.
		var back exam.AttemptView
		cl.want(http.StatusOK, "GET", base, nil, &back)
		if back.Completed != formLength || back.FlaggedCount != 1 {
			t.Fatalf("after reconnect: %d answered, %d flagged; want %d and 1", back.Completed, back.FlaggedCount, formLength)
		}
		for i, q := range back.Questions {
			want := slices.Sorted(slices.Values(chosen[q.ItemID]))
			if !slices.Equal(q.Selected, want) || q.Seq != int64(100+i) || q.Flagged != (i == formLength-1) {
				t.Errorf("after reconnect, question %d: selected %v seq %d flagged %v; want %v seq %d", q.Number, q.Selected, q.Seq, q.Flagged, want, 100+i)
			}
		}

		// 6. Submit twice: the same result, graded once.
		var r1, r2 exam.AttemptResult
		cl.want(http.StatusOK, "POST", base+"/submit", nil, &r1)
		cl.want(http.StatusOK, "POST", base+"/submit", nil, &r2)
		if !r1.Graded || r1.Status != exam.StatusSubmitted || r1.Correct != rightCount || r1.Total != formLength || r1.Passed {
			t.Fatalf("submit: %+v, want graded, %d of %d, not passed", r1, rightCount, formLength)
		}
		if !reflect.DeepEqual(r1, r2) {
			t.Errorf("second submit differs:\n first %+v\nsecond %+v", r1, r2)
		}
		if n := auditEvents(t, env, "exam.submit", sum.ID); n != 1 {
			t.Errorf("%d exam.submit audit events for the attempt, want 1", n)
		}
		domains := 0
		for _, dr := range r1.Domains {
			domains += dr.Total
		}
		if domains != formLength {
			t.Errorf("the topics add up to %d questions, want %d", domains, formLength)
		}

		// 7. An answer after submit is refused.
		e = apiError{}
		cl.want(http.StatusConflict, "PUT", base+"/answers/"+q1.ItemID, answerBody(chosen[q1.ItemID], false, 1000), &e)
		if e.Error.Code != "attempt_finished" {
			t.Errorf("answer after submit: code %q", e.Error.Code)
		}

		// 8. A second attempt. One answer through the page, without JavaScript.
		var sum2 exam.Summary
		cl.want(http.StatusCreated, "POST", "/exam/attempts", nil, &sum2)
		if sum2.ID == sum.ID {
			t.Fatal("the second attempt reuses the first")
		}
		web := &http.Cookie{Name: "pa_session", Value: env.Session(cand, account.KindWeb)}
		page := "/exam/attempts/" + sum2.ID + "/q/1"
		resp := get(env, page, web)
		body := apptest.Body(resp)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: HTTP %d", page, resp.StatusCode)
		}
		var view2 exam.AttemptView
		cl.want(http.StatusOK, "GET", "/exam/attempts/"+sum2.ID, nil, &view2)
		p1 := view2.Questions[0]
		for _, want := range []string{"Question 1 of " + fmt.Sprint(formLength), "Time left:", `aria-live="polite"`} {
			if !strings.Contains(body, want) {
				t.Errorf("question page lacks %q", want)
			}
		}
		csrf, item, seq := examCSRFRE.FindStringSubmatch(body), examItemRE.FindStringSubmatch(body), examSeqRE.FindStringSubmatch(body)
		if csrf == nil || item == nil || seq == nil {
			t.Fatalf("question page lacks the form fields (csrf %v, item %v, seq %v)", csrf != nil, item != nil, seq != nil)
		}
		if item[1] != p1.ItemID {
			t.Fatalf("question page is about %s, the API says question 1 is %s", item[1], p1.ItemID)
		}
		form := url.Values{"_csrf": {csrf[1]}, "item_id": {item[1]}, "seq": {seq[1]}, "choice": {"1"}, "go": {"next"}}
		req := apptest.Request("POST", page, form.Encode())
		req.AddCookie(web)
		resp = env.Do(req)
		apptest.Body(resp)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/exam/attempts/"+sum2.ID+"/q/2" {
			t.Fatalf("POST %s: HTTP %d to %q, want 303 to q/2", page, resp.StatusCode, resp.Header.Get("Location"))
		}
		cl.want(http.StatusOK, "GET", "/exam/attempts/"+sum2.ID, nil, &view2)
		if got := view2.Questions[0].Selected; !slices.Equal(got, []int{1}) || view2.Completed != 1 {
			t.Fatalf("after the page post: question 1 selected %v (%d answered), want [1]", got, view2.Completed)
		}
		if resp := get(env, "/exam/attempts/"+sum2.ID+"/q/2", web); resp.StatusCode != http.StatusOK {
			t.Errorf("GET q/2: HTTP %d", resp.StatusCode)
		}

		// 9. The clock moves past the deadline (and its grace): the answer is refused with 410.
		exams.Now = func() time.Time { return time.Now().Add(duration*time.Minute + exam.AnswerGrace + time.Minute) }
		e = apiError{}
		cl.want(http.StatusGone, "PUT", "/exam/attempts/"+sum2.ID+"/answers/"+p1.ItemID, answerBody([]int{0}, false, seqAfter(seq[1])), &e)
		if e.Error.Code != "deadline_passed" || !strings.HasPrefix(e.Error.Message, "Time is up") {
			t.Errorf("answer after the deadline: %+v", e.Error)
		}
		// It was graded on what was saved, once.
		var late exam.AttemptView
		cl.want(http.StatusOK, "GET", "/exam/attempts/"+sum2.ID, nil, &late)
		if late.Status != exam.StatusExpired || late.Result == nil || !late.Result.Graded || late.Result.Total != formLength || len(late.Questions) != 0 {
			t.Fatalf("after the deadline: %+v", late)
		}
		if n := auditEvents(t, env, "exam.expire", sum2.ID); n != 1 {
			t.Errorf("%d exam.expire audit events for the second attempt, want 1", n)
		}
		exams.Now = nil
	})
}

// api_answer builds an answer body.
//
//nolint:revive // the underscore keeps it clear of the api package name.
func answerBody(choice []int, flagged bool, seq int64) api.AnswerRequest {
	if choice == nil {
		choice = []int{}
	}
	return api.AnswerRequest{Choice: choice, Flagged: flagged, Seq: seq}
}

func seqAfter(s string) int64 {
	var n int64
	fmt.Sscan(s, &n)
	return n + 1
}

// auditEvents counts audit events of an action about one subject.
func auditEvents(t *testing.T, env *apptest.Env, action, subjectID string) int {
	t.Helper()
	evs, _, err := audit.List(context.Background(), env.App.DB, audit.Filter{Action: action, SubjectID: subjectID, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

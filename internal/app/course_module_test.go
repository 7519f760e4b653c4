package app_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/catalog"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestCourseModuleHandoutsAndChecks: a module of a real catalogue course links its handout to a
// printable page the enrolled holder (and the vendor's staff) can open, and shows its knowledge check
// like a module of the ten days (post, redirect, get at #check-result); all correct marks it done.
func TestCourseModuleHandoutsAndChecks(t *testing.T) {
	ctx := context.Background()
	env := apptest.New(t, dbtest.SQLite)
	p, _ := env.Certified("cmod")
	const slug, modSlug = "forensic-peer-support", "forensic-reentry-first-weeks"
	x, ok := env.App.Courses.Catalogue.Course(slug)
	if !ok {
		t.Fatalf("course %s is not in the catalogue", slug)
	}
	m, ok := x.Modules.Module(modSlug)
	if !ok || len(m.Handouts) == 0 || len(m.Check) == 0 {
		t.Fatalf("module %s: want a handout and a knowledge check", modSlug)
	}
	o, err := env.App.Courses.Offer(ctx, p.AdminActor(), p.Admin, catalog.OfferingInput{Course: slug})
	if err != nil {
		t.Fatal(err)
	}
	e, err := env.App.Courses.Enrol(ctx, audit.Actor{UserID: p.Cand.ID, Role: p.Cand.Role}, p.Cand, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	in, staff := cookie(env, p.Cand), cookie(env, p.Admin)
	outsider := cookie(env, env.User(account.RoleCandidate, ""))

	page := apptest.Body(get(env, m.URL(), in))
	handout := m.URL() + "/handouts/" + m.Handouts[0].Path
	if !strings.Contains(page, `href="`+handout+`"`) {
		t.Fatalf("module page does not link the handout %s", handout)
	}
	for name, c := range map[string]*http.Cookie{"holder": in, "staff": staff} {
		resp := get(env, handout, c)
		if b := apptest.Body(resp); resp.StatusCode != 200 || !strings.Contains(b, m.Handouts[0].Title) || !strings.Contains(b, `href="`+m.URL()+`"`) {
			t.Fatalf("handout for %s: %d", name, resp.StatusCode)
		}
	}
	if resp := get(env, handout, outsider); resp.StatusCode != 403 {
		t.Fatalf("handout for a holder not enrolled: %d", resp.StatusCode)
	}
	if resp := get(env, m.URL()+"/handouts/forensic-peer-support/not-there.md", in); resp.StatusCode != 404 {
		t.Fatalf("unknown handout: %d", resp.StatusCode)
	}

	if !strings.Contains(page, `action="`+m.URL()+`/check"`) || !strings.Contains(page, html.EscapeString(m.Check[0].Prompt)) {
		t.Fatal("module page does not show the knowledge check")
	}

	check := func(c *http.Cookie, answers []int) *http.Response {
		t.Helper()
		token, _ := env.CSRF("/courses", c)
		form := url.Values{"_csrf": {token}}
		for i, a := range answers {
			form.Set("q"+strconv.Itoa(i), strconv.Itoa(a))
		}
		req := apptest.Request("POST", m.URL()+"/check", form.Encode())
		req.AddCookie(c)
		return env.Do(req)
	}
	done := func() bool {
		pr, err := env.App.Courses.ProgressOf(ctx, p.Cand, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		return pr.Done[m.Slug]
	}
	right, wrong := make([]int, len(m.Check)), make([]int, len(m.Check))
	for i, q := range m.Check {
		right[i], wrong[i] = q.Answer, (q.Answer+1)%len(q.Options)
	}
	resp := check(in, wrong)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(loc, m.URL()+"?answers=") || !strings.HasSuffix(loc, "#check-result") {
		t.Fatalf("wrong answers: %d to %q", resp.StatusCode, loc)
	}
	b := apptest.Body(get(env, strings.TrimSuffix(loc, "#check-result"), in))
	if !strings.Contains(b, `id="check-result"`) || !strings.Contains(b, "0 of "+strconv.Itoa(len(m.Check))+" correct") || done() {
		t.Fatal("wrong answers: no result at the questions, or the module was marked done")
	}
	resp = check(in, right)
	b = apptest.Body(get(env, strings.TrimSuffix(resp.Header.Get("Location"), "#check-result"), in))
	if !strings.Contains(b, "All correct") || !done() {
		t.Fatal("right answers: the module is not done")
	}
	if resp := check(outsider, right); resp.StatusCode != 403 {
		t.Fatalf("check by a holder not enrolled: %d", resp.StatusCode)
	}

	// The assessment page autosaves with the written exam's script, through its own route.
	at, err := env.App.Courses.Start(ctx, audit.Actor{UserID: p.Cand.ID, Role: p.Cand.Role}, p.Cand, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	b = apptest.Body(get(env, "/courses/attempts/"+at.ID, in))
	if !strings.Contains(b, `data-save-url="/courses/attempts/`+at.ID+`/answers"`) || !strings.Contains(b, "/js/exam.") {
		t.Fatal("assessment page: no autosave form or script")
	}
	v, err := env.App.Courses.View(ctx, audit.Actor{UserID: p.Cand.ID, Role: p.Cand.Role}, p.Cand, at.ID)
	if err != nil {
		t.Fatal(err)
	}
	item := v.Questions[0].ItemID
	token, _ := env.CSRF("/courses/attempts/"+at.ID, in)
	save := func(body string) int {
		req := apptest.Request("POST", "/courses/attempts/"+at.ID+"/answers", []byte(body))
		req.Header.Set("X-CSRF-Token", token)
		req.Header.Set("Accept", "application/json")
		req.AddCookie(in)
		return env.Do(req).StatusCode
	}
	if st := save(`{"item_id":"` + item + `","choice":[1],"flagged":false,"seq":1}`); st != 204 {
		t.Fatalf("autosave: %d", st)
	}
	if v, _ = env.App.Courses.View(ctx, audit.Actor{UserID: p.Cand.ID, Role: p.Cand.Role}, p.Cand, at.ID); len(v.Questions[0].Selected) != 1 || v.Questions[0].Selected[0] != 1 {
		t.Fatalf("autosave: saved %v, want [1]", v.Questions[0].Selected)
	}
	if st := save(`{"item_id":"` + item + `","choice":[99]}`); st != 422 {
		t.Fatalf("autosave of an option that is not there: %d", st)
	}
}

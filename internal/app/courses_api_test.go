package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/content"
	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/app"
	"github.com/peeracademy/peeracademy/internal/catalog/catalogtest"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestCourseAPI: the JSON API over the same calls, every response checked against the OpenAPI
// document (apptest's contract check).
func TestCourseAPI(t *testing.T) {
	saved := app.ContentFS
	app.ContentFS = catalogtest.WithFixtures(content.FS)
	t.Cleanup(func() { app.ContentFS = saved })
	env := apptest.New(t, dbtest.SQLite)
	p, _ := env.Certified("api")
	call := func(u *account.User, method, path string, body any, want int) string {
		t.Helper()
		req := apptest.Request(method, path, body)
		req.Header.Set("Authorization", "Bearer "+env.Session(u, account.KindAPI))
		resp := env.Do(req)
		b := apptest.Body(resp)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
		}
		return b
	}
	if b := call(p.Cand, "GET", "/api/v1/courses", nil, 200); !strings.Contains(b, catalogtest.EthicsCE) {
		t.Fatalf("catalogue: %s", b)
	}
	call(p.Cand, "GET", "/api/v1/courses/"+catalogtest.EthicsCE, nil, 200)
	call(p.Cand, "GET", "/api/v1/courses/cps", nil, 404)
	call(p.Admin, "POST", "/api/v1/course-offerings", map[string]any{"course": catalogtest.EthicsCE, "time_limit_minutes": 30}, 201)
	os, _ := env.App.Courses.Offerings(context.Background(), p.Vendor.ID)
	call(p.Admin, "GET", "/api/v1/course-offerings", nil, 200)
	call(p.Cand, "POST", "/api/v1/course-offerings/"+os[0].ID+"/enrolments", nil, 201)
	call(p.Cand, "POST", "/api/v1/course-offerings/"+os[0].ID+"/enrolments", nil, 409)
	es, _ := env.App.Courses.Enrolments(context.Background(), p.Cand)
	call(p.Cand, "GET", "/api/v1/course-enrolments", nil, 200)
	call(p.Cand, "POST", "/api/v1/course-enrolments/"+es[0].ID+"/modules/fixture-dual-roles/done", nil, 200)
	call(p.Admin, "GET", "/api/v1/course-enrolments/"+es[0].ID, nil, 200)
	call(p.Cand, "POST", "/api/v1/course-enrolments/"+es[0].ID+"/attempts", nil, 201)
	pr, _ := env.App.Courses.ProgressOf(context.Background(), p.Cand, es[0].ID)
	id := pr.Open.ID
	call(p.Cand, "GET", "/api/v1/course-attempts/"+id, nil, 200)
	call(p.Cand, "PUT", "/api/v1/course-attempts/"+id+"/answers/FXE-001", map[string]any{"choice": []int{0}}, 204)
	call(p.Cand, "PUT", "/api/v1/course-attempts/"+id+"/answers/FXE-001", map[string]any{"choice": []int{9}}, 422)
	call(p.Cand, "POST", "/api/v1/course-attempts/"+id+"/submit", nil, 200)
	call(p.Cand, "PUT", "/api/v1/course-attempts/"+id+"/answers/FXE-001", map[string]any{"choice": []int{0}}, 409)
	call(p.Cand, "GET", "/api/v1/course-enrolments/"+es[0].ID, nil, 200)
}

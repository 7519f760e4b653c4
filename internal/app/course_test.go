package app_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
	"github.com/peeracademy/peeracademy/internal/testutil/miniotest"
)

// tenDays returns ten consecutive dates starting daysFromToday days from today (New York time).
func tenDays(daysFromToday int) []string {
	ny, _ := time.LoadLocation("America/New_York")
	start := time.Now().In(ny).AddDate(0, 0, daysFromToday)
	var out []string
	for i := 0; i < 10; i++ {
		out = append(out, start.AddDate(0, 0, i).Format("2006-01-02"))
	}
	return out
}

func cookie(env *apptest.Env, u *account.User) *http.Cookie {
	return &http.Cookie{Name: "pa_session", Value: env.Session(u, account.KindWeb)}
}

func get(env *apptest.Env, path string, c *http.Cookie, hdr ...string) *http.Response {
	req := apptest.Request("GET", path, nil)
	if c != nil {
		req.AddCookie(c)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return env.Do(req)
}

// TestCourseMediaAndHandouts runs on local disk and on a real MinIO server.
func TestCourseMediaAndHandouts(t *testing.T) {
	stores := map[string]func(*config.Config){
		"local": func(*config.Config) {},
		"minio": func(c *config.Config) {
			s3 := miniotest.Start(t)
			c.Media.S3Endpoint, c.Media.S3Bucket, c.Media.S3Region = s3.Endpoint, s3.Bucket, s3.Region
			c.Media.S3AccessKey, c.Media.S3SecretKey, c.Media.S3UseTLS = s3.AccessKey, s3.SecretKey, s3.UseTLS
		},
	}
	for name, opt := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			env := apptest.New(t, dbtest.SQLite, opt)
			vendor := env.Vendor("theta")
			admin := env.User(account.RoleVendorAdmin, vendor.ID)
			co, err := env.App.Cohorts.Create(ctx, audit.System, admin, cohort.CreateInput{Name: "Now", Delivery: "virtual", Capacity: 5, Dates: tenDays(-4)})
			if err != nil {
				t.Fatal(err)
			}
			enrolled, outsider := env.User(account.RoleCandidate, ""), env.User(account.RoleCandidate, "")
			env.Enroll(admin, co.ID, enrolled)
			in, out := cookie(env, enrolled), cookie(env, outsider)

			// Curriculum media, synchronised at start-up, served with ranges to the enrolled only.
			path := "/media/content/day-05/wellness-dimensions.svg"
			resp := get(env, path, in)
			body := apptest.Body(resp)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(body, "<svg") {
				t.Fatalf("enrolled: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if resp := get(env, path, in, "Range", "bytes=0-3"); resp.StatusCode != 206 || apptest.Body(resp) != body[:4] {
				t.Fatalf("range: %d", resp.StatusCode)
			}
			if resp := get(env, path, in, "If-None-Match", resp.Header.Get("ETag")); resp.StatusCode != 304 {
				t.Fatalf("conditional get: %d", resp.StatusCode)
			}
			if resp := get(env, path, out); resp.StatusCode != 404 {
				t.Fatalf("not enrolled: %d", resp.StatusCode)
			}
			if resp := get(env, path, nil); resp.StatusCode != 303 {
				t.Fatalf("visitor: %d", resp.StatusCode)
			}
			if resp := get(env, "/media/content/day-05/not-there.svg", in); resp.StatusCode != 404 {
				t.Fatalf("unknown file: %d", resp.StatusCode)
			}

			// A handout uploaded by the vendor admin reaches its candidates only.
			ac := cookie(env, admin)
			token, _ := env.CSRF("/vendor/media", ac)
			pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
			mb, ct := multipartBody(t, "file", "Day 1 handout.pdf", pdf, map[string]string{"_csrf": token})
			req, _ := http.NewRequest("POST", "/vendor/media", mb)
			req.Header.Set("Content-Type", ct)
			req.AddCookie(ac)
			if resp := env.Do(req); resp.StatusCode != 303 {
				t.Fatalf("upload: %d %s", resp.StatusCode, apptest.Body(resp))
			}
			learn := apptest.Body(get(env, "/learn", in))
			i := strings.Index(learn, "/media/vendor/")
			if i < 0 || !strings.Contains(learn, "Day 1 handout.pdf") {
				t.Fatal("handout not listed on the course page")
			}
			link := learn[i : i+strings.IndexByte(learn[i:], '"')]
			if resp := get(env, link, in); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.Equal([]byte(apptest.Body(resp)), pdf) {
				t.Fatalf("handout for enrolled: %d", resp.StatusCode)
			}
			if resp := get(env, link, out); resp.StatusCode != 404 {
				t.Fatalf("handout for outsider: %d", resp.StatusCode)
			}
			// The renamed executable is refused by its sniffed type.
			mb, ct = multipartBody(t, "file", "notes.pdf", append([]byte("MZ\x90\x00"), make([]byte, 300)...), map[string]string{"_csrf": token})
			req, _ = http.NewRequest("POST", "/vendor/media", mb)
			req.Header.Set("Content-Type", ct)
			req.AddCookie(ac)
			if resp := env.Do(req); resp.StatusCode != 415 {
				t.Fatalf("executable: %d", resp.StatusCode)
			}
		})
	}
}

func TestKnowledgeCheckCompletesModule(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		env := apptest.New(t, d)
		vendor := env.Vendor("iota")
		admin := env.User(account.RoleVendorAdmin, vendor.ID)
		co, err := env.App.Cohorts.Create(ctx, audit.System, admin, cohort.CreateInput{Name: "Now", Delivery: "virtual", Capacity: 5, Dates: tenDays(0)})
		if err != nil {
			t.Fatal(err)
		}
		cand := env.User(account.RoleCandidate, "")
		env.Enroll(admin, co.ID, cand)
		day1 := env.App.Curriculum.Days[0].Modules[0]
		day2 := env.App.Curriculum.Days[1].Modules[0]
		bearer := "Bearer " + env.Session(cand, account.KindAPI)
		call := func(method, path string, body any) (*http.Response, string) {
			req := apptest.Request(method, path, body)
			req.Header.Set("Authorization", bearer)
			resp := env.Do(req)
			return resp, apptest.Body(resp)
		}
		if resp, body := call("GET", "/api/v1/modules/"+day2.Slug, nil); resp.StatusCode != 403 || !strings.Contains(body, "day_locked") {
			t.Fatalf("day 2 before its date: %d %s", resp.StatusCode, body)
		}
		resp, body := call("GET", "/api/v1/modules/"+day1.Slug, nil)
		if resp.StatusCode != 200 || strings.Contains(body, `"answer"`) || strings.Contains(body, "feedback") {
			t.Fatalf("module view: %d (keys or feedback must not be sent before answering)", resp.StatusCode)
		}
		wrong := make([]int, len(day1.Check))
		right := make([]int, len(day1.Check))
		for i, q := range day1.Check {
			right[i] = q.Answer
			wrong[i] = (q.Answer + 1) % len(q.Options)
		}
		if resp, body := call("POST", "/api/v1/modules/"+day1.Slug+"/check", map[string]any{"answers": wrong}); resp.StatusCode != 200 || !strings.Contains(body, `"passed":false`) {
			t.Fatalf("wrong answers: %d %s", resp.StatusCode, body)
		}
		if resp, _ := call("POST", "/api/v1/modules/"+day1.Slug+"/check", map[string]any{"answers": []int{0}}); resp.StatusCode != 422 {
			t.Fatalf("too few answers: %d", resp.StatusCode)
		}
		if resp, body := call("POST", "/api/v1/modules/"+day1.Slug+"/check", map[string]any{"answers": right}); resp.StatusCode != 200 || !strings.Contains(body, `"passed":true`) {
			t.Fatalf("right answers: %d %s", resp.StatusCode, body)
		}
		_, body = call("GET", "/api/v1/curriculum", nil)
		if !strings.Contains(body, `"modules_completed":1`) || !strings.Contains(body, `"curriculum_version":"`+env.App.Curriculum.Version+`"`) {
			t.Fatalf("outline: %.400s", body)
		}
		// The same through the page: the form posts answers q0..qN.
		c := cookie(env, cand)
		token, _ := env.CSRF("/learn/"+day1.Slug, c)
		form := url.Values{"_csrf": {token}}
		for i, a := range right {
			form.Set("q"+string(rune('0'+i)), string(rune('0'+a)))
		}
		req := apptest.Request("POST", "/learn/"+day1.Slug+"/check", form.Encode())
		req.AddCookie(c)
		resp = env.Do(req)
		// Post, redirect, get: the result is shown at the questions, and a reload does not post again.
		loc := resp.Header.Get("Location")
		if resp.StatusCode != 303 || !strings.HasPrefix(loc, "/learn/"+day1.Slug+"?answers=") || !strings.HasSuffix(loc, "#check-result") {
			t.Fatalf("page check: %d to %q, want 303 to the module at #check-result", resp.StatusCode, loc)
		}
		if body := apptest.Body(get(env, strings.TrimSuffix(loc, "#check-result"), c)); !strings.Contains(body, `id="check-result">All correct: this module is complete.`) {
			t.Fatal("page check: the result is not shown after the redirect")
		}
		page := apptest.Body(get(env, "/learn", c))
		if !strings.Contains(page, "<strong>1 of ") || !strings.Contains(page, "Continue: "+day1.Title) {
			t.Fatal("course page does not show progress and the resume link")
		}
	})
}

package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// The module page is the page candidates load most. Its throughput is measured against a bare Fiber
// handler in the same process and run, so the ratio says what the app costs on top of Fiber on this
// machine (client included: both servers are driven by the same keep-alive net/http client).

// loadWorkers is the number of concurrent clients of the load test; benchParallelism multiplies
// GOMAXPROCS for b.RunParallel.
const (
	loadWorkers      = 16
	loadRequests     = 20000
	loadRounds       = 3
	benchParallelism = 8
	minRatio         = 0.5 // the target: the module page serves at least half the bare handler's rate
)

// benchTarget is one server under measurement: a URL and the cookie to send.
type benchTarget struct {
	url    string
	cookie string // "" for none
}

// benchServe serves f on a loopback port until the test ends, and returns its base URL.
func benchServe(tb testing.TB, f *fiber.App) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- f.Listener(ln) }()
	tb.Cleanup(func() {
		if err := f.ShutdownWithTimeout(10 * time.Second); err != nil {
			tb.Errorf("shut the server down: %v", err)
		}
		select {
		case err := <-served:
			if err != nil && !errors.Is(err, net.ErrClosed) {
				tb.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			tb.Error("the server did not stop within 10s")
		}
		ln.Close()
	})
	return "http://" + ln.Addr().String()
}

// bareTarget starts a Fiber app with one handler returning a small string.
func bareTarget(tb testing.TB) benchTarget {
	tb.Helper()
	f := fiber.New(fiber.Config{DisableStartupMessage: true})
	f.Get("/", func(c *fiber.Ctx) error { return c.SendString("Hello, PeerAcademy!") })
	return benchTarget{url: benchServe(tb, f) + "/"}
}

// sameSizeTarget starts a bare Fiber app whose one handler returns a fixed HTML body as long as the
// module page: it separates what the app costs from what moving the page's bytes costs.
func sameSizeTarget(tb testing.TB, size int) benchTarget {
	tb.Helper()
	body := []byte(strings.Repeat("x", size))
	f := fiber.New(fiber.Config{DisableStartupMessage: true})
	f.Get("/", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Send(body)
	})
	return benchTarget{url: benchServe(tb, f) + "/"}
}

// pageSize fetches a target once and returns its body length.
func pageSize(tb testing.TB, t benchTarget) int {
	c := benchClient(1)
	defer c.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, t.url, nil)
	req.Header.Set("Cookie", t.cookie)
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return len(b)
}

// moduleTarget starts the real app on SQLite with a candidate enrolled in a cohort whose days have
// all opened, and returns the first module's page with the candidate's session cookie.
func moduleTarget(tb testing.TB) benchTarget { return moduleTargetOn(tb, dbtest.SQLite) }

// moduleTargetOn is moduleTarget on either database.
func moduleTargetOn(tb testing.TB, d dbtest.Dialect) benchTarget {
	tb.Helper()
	env := apptest.New(tb, d)
	ctx := context.Background()
	vendor := env.Vendor("bench")
	admin := env.User(account.RoleVendorAdmin, vendor.ID)
	cand := env.User(account.RoleCandidate, "")
	start := time.Now().AddDate(0, 0, -30)
	dates := make([]string, cohort.Days)
	for i := range dates {
		dates[i] = start.AddDate(0, 0, i).Format("2006-01-02")
	}
	co, err := env.App.Cohorts.Create(ctx, audit.System, admin, cohort.CreateInput{Name: "Benchmark cohort", Delivery: "virtual", Capacity: 10, Dates: dates})
	if err != nil {
		tb.Fatal(err)
	}
	env.Enroll(admin, co.ID, cand)
	base := benchServe(tb, env.App.Fiber)
	t := benchTarget{url: base + env.App.Curriculum.Modules()[0].URL(), cookie: "pa_session=" + env.Session(cand, account.KindWeb)}

	// One request through the whole stack, to fail early and clearly if the page does not render.
	c := benchClient(1)
	defer c.CloseIdleConnections()
	if err := t.get(c); err != nil {
		tb.Fatalf("module page: %v", err)
	}
	return t
}

// benchClient is a keep-alive client with enough idle connections for conns concurrent callers.
func benchClient(conns int) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// get sends one GET and reads the whole body, so the connection is reused.
func (t benchTarget) get(c *http.Client) error {
	req, err := http.NewRequest(http.MethodGet, t.url, nil)
	if err != nil {
		return err
	}
	if t.cookie != "" {
		req.Header.Set("Cookie", t.cookie)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || n == 0 {
		return fmt.Errorf("GET %s: HTTP %d, %d bytes", t.url, resp.StatusCode, n)
	}
	return nil
}

// BenchmarkModulePage measures requests per second of a bare Fiber handler and of the module page
// (session lookup, enrolment and day checks, "last viewed" write, template rendering), in one run.
//
//	go test -run '^$' -bench BenchmarkModulePage -benchtime 5s ./internal/app/
func BenchmarkModulePage(b *testing.B) {
	targets := []struct {
		name string
		t    benchTarget
	}{
		{"bare_fiber", bareTarget(b)},
		{"module_page", moduleTarget(b)},
	}
	targets = append(targets, struct {
		name string
		t    benchTarget
	}{"bare_fiber_same_size", sameSizeTarget(b, pageSize(b, targets[1].t))})
	if os.Getenv("PEERACADEMY_TEST_POSTGRES_URL") != "" { // the several-instance deployment's database
		targets = append(targets, struct {
			name string
			t    benchTarget
		}{"module_page_postgres", moduleTargetOn(b, dbtest.Postgres)})
	}
	for _, tc := range targets {
		b.Run(tc.name, func(b *testing.B) {
			c := benchClient(benchParallelism * 64)
			defer c.CloseIdleConnections()
			var failed atomic.Int64
			var firstErr atomic.Value
			b.SetParallelism(benchParallelism)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := tc.t.get(c); err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err)
					}
				}
			})
			b.StopTimer()
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d of %d requests failed; first: %v", n, b.N, firstErr.Load())
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// TestModulePageThroughput is a load test, not a unit test: it runs only with PEERACADEMY_LOAD=1.
// It sends the same number of requests from the same number of concurrent workers to a bare Fiber
// handler and to the module page, and fails if the module page serves less than half the rate.
//
//	PEERACADEMY_LOAD=1 go test -run TestModulePageThroughput -v ./internal/app/
func TestModulePageThroughput(t *testing.T) {
	if os.Getenv("PEERACADEMY_LOAD") != "1" {
		t.Skip("load test: set PEERACADEMY_LOAD=1 to run it")
	}
	bare, module := bareTarget(t), moduleTarget(t)
	size := pageSize(t, module)
	same := sameSizeTarget(t, size)
	// Several rounds, each measuring all three in turn, and the median of each: one slow moment of a
	// shared machine then moves one sample, not the verdict.
	var bares, sames, modules []float64
	for round := range loadRounds {
		bares = append(bares, loadRun(t, fmt.Sprintf("round %d bare_fiber", round+1), bare))
		sames = append(sames, loadRun(t, fmt.Sprintf("round %d bare_fiber_same_size", round+1), same))
		modules = append(modules, loadRun(t, fmt.Sprintf("round %d module_page", round+1), module))
		t.Logf("round %d: module page / bare = %.3f", round+1, modules[round]/bares[round])
	}
	bareRPS, sameRPS, moduleRPS := median(bares), median(sames), median(modules)
	ratio := moduleRPS / bareRPS
	t.Logf("medians of %d rounds: bare Fiber %.0f req/s, bare Fiber with a %d-byte body %.0f req/s, module page %.0f req/s; ratio to bare %.3f, to same-size bare %.3f (target >= %.2f; %d requests each, %d workers, GOMAXPROCS %d)",
		loadRounds, bareRPS, size, sameRPS, moduleRPS, ratio, moduleRPS/sameRPS, minRatio, loadRequests, loadWorkers, runtime.GOMAXPROCS(0))
	if ratio < minRatio {
		t.Errorf("the module page serves %.0f req/s, %.1f%% of a bare Fiber handler (%.0f req/s); the target is at least %.0f%%",
			moduleRPS, 100*ratio, bareRPS, 100*minRatio)
	}
}

// median returns the middle value (the mean of the two middle ones for an even count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// loadRun warms the target up, then sends loadRequests requests from loadWorkers workers and
// returns the rate.
func loadRun(t *testing.T, name string, target benchTarget) float64 {
	t.Helper()
	c := benchClient(loadWorkers)
	defer c.CloseIdleConnections()
	fire := func(n int) (time.Duration, error) {
		var next atomic.Int64
		var firstErr error
		var once sync.Once
		var wg sync.WaitGroup
		start := time.Now()
		for range loadWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(n) {
					if err := target.get(c); err != nil {
						once.Do(func() { firstErr = err })
						return
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start), firstErr
	}
	if _, err := fire(loadRequests / 10); err != nil { // warm-up: connections, pools, caches
		t.Fatalf("%s: warm-up: %v", name, err)
	}
	d, err := fire(loadRequests)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	rps := float64(loadRequests) / d.Seconds()
	t.Logf("%s: %d requests in %s = %.0f req/s", name, loadRequests, d.Round(time.Millisecond), rps)
	return rps
}

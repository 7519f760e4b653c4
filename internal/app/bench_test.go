//go:build unix

package app_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/app"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// The module page is the page candidates load most. Its throughput is measured against a bare Fiber
// handler in the same process and run, so the ratio says what the app costs on top of Fiber on this
// machine. The load comes from wrk, an outside C generator that needs far less CPU per request than
// a Go client, so the server and not the client sets the pace; the client's CPU is reported with
// every figure so that can be checked.

const minRatio = 0.5 // the target: the module page serves at least half the bare handler's rate

// TestModulePageThroughput is a load test, not a unit test: it runs only with PEERACADEMY_LOAD=1
// (scripts/loadtest.sh sets it and installs wrk). In each round it drives a bare Fiber handler
// returning a short string, a bare handler returning a body of the module page's size, and the module
// page of the app built as `serve` builds it, one after the other with the same wrk settings; it
// reports the median of the rounds and fails if the module page serves less than half the bare rate.
//
// Settings: PEERACADEMY_LOAD_ROUNDS (3), PEERACADEMY_LOAD_SECONDS (8 per run), PEERACADEMY_LOAD_THREADS
// (2), PEERACADEMY_LOAD_CONNS (16), PEERACADEMY_LOAD_POSTGRES=1 to add the module page on PostgreSQL,
// PEERACADEMY_LOAD_CPUPROFILE=FILE for a CPU profile of the server during the module page's first
// run, PEERACADEMY_LOAD_MEMPROFILE=FILE for an allocation profile of the whole test.
func TestModulePageThroughput(t *testing.T) {
	if os.Getenv("PEERACADEMY_LOAD") != "1" {
		t.Skip("load test: set PEERACADEMY_LOAD=1 to run it (or run scripts/loadtest.sh)")
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Fatal("the load test drives the server with wrk, which is not installed: run scripts/loadtest.sh (installs the Debian package) or apt-get install wrk")
	}
	rounds := envInt(t, "PEERACADEMY_LOAD_ROUNDS", 3)
	w := wrkSettings{
		threads:  envInt(t, "PEERACADEMY_LOAD_THREADS", 2),
		conns:    envInt(t, "PEERACADEMY_LOAD_CONNS", 16),
		duration: time.Duration(envInt(t, "PEERACADEMY_LOAD_SECONDS", 8)) * time.Second,
		script:   filepath.Join(t.TempDir(), "summary.lua"),
	}
	if err := os.WriteFile(w.script, []byte(wrkSummaryScript), 0o644); err != nil {
		t.Fatal(err)
	}

	module := servedModulePage(t, dbtest.SQLite)
	targets := []*loadTarget{
		{name: "bare_fiber", target: bareTarget(t)},
		{name: "bare_fiber_same_size", target: sameSizeTarget(t, module.size)},
		{name: "module_page", target: module},
	}
	if os.Getenv("PEERACADEMY_LOAD_POSTGRES") == "1" {
		targets = append(targets, &loadTarget{name: "module_page_postgres", target: servedModulePage(t, dbtest.Postgres)})
	}
	var profile *os.File
	if p := os.Getenv("PEERACADEMY_LOAD_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		profile = f
	}

	if p := os.Getenv("PEERACADEMY_LOAD_MEMPROFILE"); p != "" {
		runtime.MemProfileRate = 512
		defer func() {
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				t.Fatal(err)
			}
		}()
	}
	// Warm-up: connections, pools, caches, the page renders.
	for _, lt := range targets {
		if _, err := w.run(lt.target, 2*time.Second); err != nil {
			t.Fatalf("%s: warm-up: %v", lt.name, err)
		}
	}
	// Interleaved rounds, and the median of each target's rounds: one slow moment of a shared machine
	// then moves one sample, not the verdict.
	t.Logf("wrk -t%d -c%d -d%s, %d rounds, GOMAXPROCS %d, %d CPUs; module page %d bytes", w.threads, w.conns, w.duration, rounds, runtime.GOMAXPROCS(0), runtime.NumCPU(), module.size)
	for round := range rounds {
		for _, lt := range targets {
			profiled := profile != nil && strings.HasPrefix(lt.name, "module_page")
			if profiled {
				if err := pprof.StartCPUProfile(profile); err != nil {
					t.Fatal(err)
				}
			}
			r, err := w.run(lt.target, w.duration)
			if profiled {
				pprof.StopCPUProfile()
				profile = nil // one profile file holds one run
			}
			if err != nil {
				t.Fatalf("round %d %s: %v", round+1, lt.name, err)
			}
			lt.results = append(lt.results, r)
			t.Logf("round %d %-22s %8.0f req/s  client CPU %.2f cores (%5.1f µs/request)  server CPU %.2f cores (%5.1f µs/request)  %5.1f allocs/request  latency p50 %s p99 %s",
				round+1, lt.name, r.rps, r.clientCores, r.clientMicros, r.serverCores, 1e6*r.serverCores/r.rps, r.allocs, r.p50, r.p99)
		}
		t.Logf("round %d: module page / bare = %.3f, / same-size bare = %.3f", round+1,
			targets[2].results[round].rps/targets[0].results[round].rps, targets[2].results[round].rps/targets[1].results[round].rps)
	}
	med := func(lt *loadTarget, f func(loadResult) float64) float64 {
		xs := make([]float64, len(lt.results))
		for i, r := range lt.results {
			xs[i] = f(r)
		}
		return median(xs)
	}
	rps := func(r loadResult) float64 { return r.rps }
	for _, lt := range targets {
		t.Logf("median %-22s %8.0f req/s  client CPU %.2f cores (%5.1f µs/request)  server CPU %.2f cores (%5.1f µs/request)  %5.1f allocs/request", lt.name, med(lt, rps),
			med(lt, func(r loadResult) float64 { return r.clientCores }), med(lt, func(r loadResult) float64 { return r.clientMicros }),
			med(lt, func(r loadResult) float64 { return r.serverCores }), med(lt, func(r loadResult) float64 { return 1e6 * r.serverCores / r.rps }),
			med(lt, func(r loadResult) float64 { return r.allocs }))
	}
	bare, same, page := med(targets[0], rps), med(targets[1], rps), med(targets[2], rps)
	ratio := page / bare
	t.Logf("RESULT module page / bare Fiber = %.3f, / bare Fiber with a %d-byte body = %.3f (medians of %d interleaved rounds; target >= %.2f)",
		ratio, module.size, page/same, rounds, minRatio)
	cpu := func(r loadResult) float64 { return r.serverCores / r.rps }
	t.Logf("RESULT server CPU per request: module page %.1f µs, bare Fiber %.1f µs, same-size bare %.1f µs; bare / module = %.3f (less sensitive than the rates to the CPU share a busy machine leaves the server)",
		1e6*med(targets[2], cpu), 1e6*med(targets[0], cpu), 1e6*med(targets[1], cpu), med(targets[0], cpu)/med(targets[2], cpu))
	if len(targets) > 3 {
		t.Logf("RESULT module page on PostgreSQL / bare Fiber = %.3f", med(targets[3], rps)/bare)
	}
	if ratio < minRatio {
		t.Errorf("the module page serves %.0f req/s, %.1f%% of a bare Fiber handler (%.0f req/s); the target is at least %.0f%%",
			page, 100*ratio, bare, 100*minRatio)
	}
}

// target is one server under measurement.
type target struct {
	url    string
	cookie string // "" for none
	size   int    // the body's length in bytes
	// served counts the requests the server answered, by "ok" (200 on the measured route) and "other"
	// (any other status on any route); nil when the server keeps no count.
	served func() (ok, other float64, err error)
}

type loadTarget struct {
	name    string
	target  target
	results []loadResult
}

type loadResult struct {
	rps          float64
	clientCores  float64 // wrk's CPU time / wall time
	clientMicros float64 // wrk's CPU time per request
	serverCores  float64 // this process's CPU time / wall time (the server, idle ones included)
	allocs       float64 // heap allocations per request in this process
	p50, p99     time.Duration
}

type wrkSettings struct {
	threads, conns int
	duration       time.Duration
	script         string
}

// wrkSummaryScript prints wrk's own counts as one line. It defines no per-response callback, which
// would make wrk hand every response to Lua and slow it down.
const wrkSummaryScript = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("SUMMARY %d %d %d %d %d %d %d %d %d %d\n", summary.requests, summary.bytes, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
end
`

// run drives t with wrk for d and checks that every response was a 200 of the expected size.
func (w wrkSettings) run(t target, d time.Duration) (loadResult, error) {
	var okBefore, otherBefore float64
	if t.served != nil {
		var err error
		if okBefore, otherBefore, err = t.served(); err != nil {
			return loadResult{}, err
		}
	}
	args := []string{"-t", strconv.Itoa(w.threads), "-c", strconv.Itoa(w.conns), "-d", fmt.Sprintf("%ds", int(d.Seconds())), "-s", w.script}
	if t.cookie != "" {
		args = append(args, "-H", "Cookie: "+t.cookie)
	}
	cmd := exec.Command("wrk", append(args, t.url)...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	var before, after syscall.Rusage
	var memBefore, memAfter runtime.MemStats
	runtime.ReadMemStats(&memBefore)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return loadResult{}, fmt.Errorf("wrk: %v\n%s", err, out.String())
	}
	wall := time.Since(start)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	runtime.ReadMemStats(&memAfter)
	var n, bytes, micros, econn, eread, ewrite, estatus, etimeout, p50, p99 int64
	i := strings.Index(out.String(), "SUMMARY ")
	if i < 0 {
		return loadResult{}, fmt.Errorf("no summary in wrk's output:\n%s", out.String())
	}
	if _, err := fmt.Sscan(out.String()[i+len("SUMMARY "):], &n, &bytes, &micros, &econn, &eread, &ewrite, &estatus, &etimeout, &p50, &p99); err != nil {
		return loadResult{}, fmt.Errorf("wrk's summary: %v\n%s", err, out.String())
	}
	if n == 0 || econn+eread+ewrite+estatus+etimeout > 0 {
		return loadResult{}, fmt.Errorf("%d requests; errors: connect %d, read %d, write %d, non-2xx/3xx %d, timeout %d\n%s", n, econn, eread, ewrite, estatus, etimeout, out.String())
	}
	if bytes/n < int64(t.size) { // a redirect or an error page would be much shorter than the page
		return loadResult{}, fmt.Errorf("%d bytes per response on average, the body alone is %d bytes", bytes/n, t.size)
	}
	if t.served != nil { // the server's own count: only 200s, and at least as many as wrk saw
		ok, other, err := t.served()
		if err != nil {
			return loadResult{}, err
		}
		if other != otherBefore || ok-okBefore < float64(n) {
			return loadResult{}, fmt.Errorf("the server answered %.0f requests with 200 and %.0f otherwise; wrk completed %d", ok-okBefore, other-otherBefore, n)
		}
	}
	secs := float64(micros) / 1e6
	client := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	server := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
	return loadResult{
		rps:          float64(n) / secs,
		clientCores:  client.Seconds() / secs,
		clientMicros: float64(client.Microseconds()) / float64(n),
		serverCores:  server.Seconds() / wall.Seconds(),
		allocs:       float64(memAfter.Mallocs-memBefore.Mallocs) / float64(n),
		p50:          time.Duration(p50) * time.Microsecond,
		p99:          time.Duration(p99) * time.Microsecond,
	}, nil
}

// bareServe serves f on a loopback port until the test ends, and returns its base URL.
func bareServe(tb testing.TB, f *fiber.App) string {
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
		if err := <-served; err != nil && !errors.Is(err, net.ErrClosed) {
			tb.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// bareTarget starts a Fiber app with one handler returning a small string.
func bareTarget(tb testing.TB) target {
	tb.Helper()
	const body = "Hello, PeerAcademy!"
	f := fiber.New(fiber.Config{DisableStartupMessage: true})
	f.Get("/", func(c *fiber.Ctx) error { return c.SendString(body) })
	return target{url: bareServe(tb, f) + "/", size: len(body)}
}

// sameSizeTarget starts a bare Fiber app whose one handler returns a fixed HTML body as long as the
// module page: it separates what the app costs from what moving the page's bytes costs. It has the
// app's write buffer, so that it too sends a response in one write.
func sameSizeTarget(tb testing.TB, size int) target {
	tb.Helper()
	body := []byte(strings.Repeat("x", size))
	f := fiber.New(fiber.Config{DisableStartupMessage: true, WriteBufferSize: app.WriteBufferSize})
	f.Get("/", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Send(body)
	})
	return target{url: bareServe(tb, f) + "/", size: size}
}

// servedModulePage builds and runs the app as `peeracademy serve` does (configuration from the
// environment's defaults, a JSON request log at level info written to a file, background workers,
// App.Serve on a TCP address), with a candidate enrolled in a cohort whose days have all opened, and
// returns the first module's page with the candidate's session cookie.
func servedModulePage(tb testing.TB, d dbtest.Dialect) target {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{
		"PEERACADEMY_DATABASE_URL": dbtest.URL(tb, d),
		"PEERACADEMY_MEDIA_DIR":    tb.TempDir(),
		"PEERACADEMY_LISTEN_ADDR":  addr,
	}
	cfg, err := config.LoadFrom(func(k string) string { return env[k] })
	if err != nil {
		tb.Fatal(err)
	}
	// As cmd/peeracademy's newLogger, into /dev/null: the line is built and written, not kept.
	logFile, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { logFile.Close() })
	log := httpx.NewLogger(logFile, cfg.LogLevel)

	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	a.RunWorkers(ctx)
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			tb.Errorf("serve: %v", err)
		}
		a.Close()
	})

	e := &apptest.Env{T: tb, App: a}
	vendor := e.Vendor("bench")
	admin := e.User(account.RoleVendorAdmin, vendor.ID)
	cand := e.User(account.RoleCandidate, "")
	start := time.Now().AddDate(0, 0, -30)
	dates := make([]string, cohort.Days)
	for i := range dates {
		dates[i] = start.AddDate(0, 0, i).Format("2006-01-02")
	}
	co, err := a.Cohorts.Create(context.Background(), audit.System, admin, cohort.CreateInput{Name: "Benchmark cohort", Delivery: "virtual", Capacity: 10, Dates: dates})
	if err != nil {
		tb.Fatal(err)
	}
	e.Enroll(admin, co.ID, cand)
	base := "http://" + addr
	route := "/learn/:slug"
	t := target{url: base + a.Curriculum.Modules()[0].URL(), cookie: "pa_session=" + e.Session(cand, account.KindWeb)}
	t.served = func() (float64, float64, error) { return servedCounts(base+"/metrics", route) }

	// One request through the whole stack, to fail early and clearly if the page does not render.
	var body []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		body, err = t.get()
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		tb.Fatalf("module page: %v", err)
	}
	t.size = len(body)
	return t
}

// get sends one GET and returns the body of a 200 response.
func (t target) get() ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, t.url, nil)
	if err != nil {
		return nil, err
	}
	if t.cookie != "" {
		req.Header.Set("Cookie", t.cookie)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: HTTP %d", t.url, resp.StatusCode)
	}
	return b, err
}

// servedCounts reads the app's request counter from its metrics endpoint: the 200s on route, and
// every other status on any route (the metrics endpoint's own 200s count for neither).
func servedCounts(metricsURL, route string) (ok, other float64, err error) {
	resp, err := http.Get(metricsURL)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "peeracademy_http_requests_total{") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			return 0, 0, fmt.Errorf("metrics line %q: %v", line, err)
		}
		switch {
		case strings.Contains(line, `route="`+route+`"`) && strings.Contains(line, `status="200"`):
			ok += v
		case !strings.Contains(line, `status="200"`):
			other += v
		}
	}
	return ok, other, sc.Err()
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

func envInt(tb testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		tb.Fatalf("%s=%q: want a positive whole number", name, v)
	}
	return n
}

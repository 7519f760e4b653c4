package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/app"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/exam"
	scenario "github.com/peeracademy/peeracademy/internal/testutil/seed"
)

// run seeds, loads, measures the baseline and checks. It returns the report so far also on error.
func run(ctx context.Context, o options) (*report, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	rep := &report{Candidates: o.Candidates, Concurrency: o.Concurrency, FormLength: o.FormLength, Dialect: "sqlite"}
	if config.IsPostgresURL(o.DB) {
		rep.Dialect = "postgres"
	}

	// The app: in-process on a loopback listener unless -server names one.
	var ln net.Listener
	base := strings.TrimRight(o.Server, "/")
	listen := "127.0.0.1:0"
	if base == "" {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, err
		}
		defer ln.Close()
		listen = ln.Addr().String()
		base = "http://" + listen
	}
	rep.Server = base
	media, err := os.MkdirTemp("", "examload-media-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(media)
	env := map[string]string{
		"PEERACADEMY_DATABASE_URL": o.DB,
		"PEERACADEMY_LISTEN_ADDR":  listen,
		"PEERACADEMY_BASE_URL":     base,
		"PEERACADEMY_MEDIA_DIR":    media,
		"PEERACADEMY_LOG_LEVEL":    "error",
		"PEERACADEMY_ENV":          "development",
		"PEERACADEMY_PPROF_ADDR":   os.Getenv("PEERACADEMY_PPROF_ADDR"), // to profile the app under load
	}
	cfg, err := config.LoadFrom(func(k string) string { return env[k] })
	if err != nil {
		return nil, err
	}
	// Errors only: the app logs one line per request at info, which would be 60,000 lines here.
	log := slog.New(slog.NewTextHandler(o.Progress, &slog.HandlerOptions{Level: slog.LevelError}))
	o.logf("opening %s database and migrating", rep.Dialect)
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	if ln != nil {
		served := make(chan error, 1)
		go func() { served <- a.Fiber.Listener(ln) }()
		defer func() {
			_ = a.Fiber.ShutdownWithTimeout(10 * time.Second)
			<-served
		}()
		rep.Server += " (in-process)"
	}

	// Seed.
	t0 := time.Now()
	s, err := seed(ctx, a, o)
	if err != nil {
		return rep, fmt.Errorf("seed: %w", err)
	}
	rep.Seed = time.Since(t0)
	o.logf("seeded vendor %s, %d candidates in %s", s.vendorID, o.Candidates, rep.Seed.Round(time.Millisecond))
	// A database in service has statistics on its tables (autovacuum gathers them after enough
	// writes) and has long written the pages of rows seeded days before. Right after a bulk seeding it
	// has neither: the planner's guesses cost the first burst a sequential scan per coursework check
	// (22 ms a read instead of under 1 ms), and the checkpoint of the seeding's pages and the kernel's
	// writeback of them fell into the burst (2 s of a core in its first 3 s). Gather the statistics
	// and write the pages now, so that the run measures the exam and not the seeding.
	if database.IsPostgres(a.DB) {
		if _, err := a.DB.ExecContext(ctx, "ANALYZE"); err != nil {
			return rep, fmt.Errorf("analyze: %w", err)
		}
		if _, err := a.DB.ExecContext(ctx, "CHECKPOINT"); err != nil { // needs a superuser (or pg_checkpoint): say so, go on
			o.logf("no CHECKPOINT after seeding (%v): the seeding's writes may fall into the burst", err)
		}
	}

	// Load.
	o.logf("releasing %d candidates (%d at a time) against %s", o.Candidates, o.Concurrency, base)
	expect := &expected{}
	if o.Paced.On {
		if err := loadPaced(ctx, o, base, s.tokens, rep, expect); err != nil {
			return rep, fmt.Errorf("paced load: %w", err)
		}
	} else {
		if err := load(ctx, o, base, s.tokens, rep); err != nil {
			return rep, fmt.Errorf("load: %w", err)
		}
		// Baseline: the raw INSERT rate of the same database, same rows, same concurrency.
		o.logf("measuring the raw INSERT rate (%d rows, concurrency %d)", o.Candidates*o.FormLength, o.Concurrency)
		if err := baseline(ctx, o, s.run, rep); err != nil {
			return rep, fmt.Errorf("baseline: %w", err)
		}
		if rep.RawPerSec > 0 {
			rep.Ratio = rep.AnswersPerSec / rep.RawPerSec
		}
	}

	// Check the database.
	rep.VendorID = s.vendorID
	if err := verify(ctx, a.DB, s.vendorID, o, rep); err != nil {
		return rep, fmt.Errorf("check: %w", err)
	}
	if rep.Paced != nil {
		if err := verifySeqs(ctx, a.DB, s.vendorID, expect, rep.Paced); err != nil {
			return rep, fmt.Errorf("check: %w", err)
		}
	}
	return rep, nil
}

// seeded is what the load needs from the seeding.
type seeded struct {
	run      string // a random tag of this run, in names
	vendorID string
	tokens   []string // bearer tokens, one per candidate
}

// seed creates the vendor (recognised), its administrator, the exam settings (through the services),
// the candidates (bulk inserted with one password hash), their coursework completed in a cohort of
// the vendor (the rows of testutil/seed's stages) and one bearer session each (inserted directly).
func seed(ctx context.Context, a *app.App, o options) (*seeded, error) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	s := &seeded{run: hex.EncodeToString(b)}
	v, err := a.Accounts.CreateVendor(ctx, audit.System, account.VendorInput{Name: "Examload " + s.run, Slug: "examload-" + s.run})
	if err != nil {
		return nil, err
	}
	if _, err := a.Accounts.SetRecognised(ctx, audit.System, v.ID, true); err != nil {
		return nil, err
	}
	s.vendorID = v.ID
	password := "examload " + account.NewSecret()
	admin, err := a.Accounts.CreateUser(ctx, audit.System, account.CreateUserInput{Email: "admin-" + s.run + "@examload.test", Name: "Examload Administrator",
		Role: account.RoleVendorAdmin, VendorID: v.ID, Password: password})
	if err != nil {
		return nil, err
	}
	if _, err := a.Exams.UpdateSettings(ctx, audit.System, admin, exam.Settings{DurationMinutes: exam.DefaultDurationMinutes, PassPercent: exam.DefaultPassPercent,
		MaxAttempts: exam.DefaultMaxAttempts, WaitDays: 0, FormLength: o.FormLength}); err != nil {
		return nil, err
	}

	// Candidates: one argon2 hash for all, inserted in batches.
	hash, err := account.HashPassword(password)
	if err != nil {
		return nil, err
	}
	now := database.Now()
	users := make([]account.User, o.Candidates)
	for i := range users {
		users[i] = account.User{ID: uuid.Must(uuid.NewV7()).String(), Email: fmt.Sprintf("cand-%s-%05d@examload.test", s.run, i+1),
			Name: fmt.Sprintf("Load Candidate %d", i+1), Role: account.RoleCandidate, PasswordHash: hash, EmailVerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	}
	for lo := 0; lo < len(users); lo += 250 {
		chunk := users[lo:min(lo+250, len(users))]
		if _, err := a.DB.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return nil, fmt.Errorf("insert candidates: %w", err)
		}
	}

	// Each candidate has an approved application with the vendor, is enrolled in a cohort of it and
	// has completed the coursework: the rows of those stages, in batches (testutil/seed), so that the
	// exam's own gate admits them.
	co, err := scenario.NewCohort(ctx, a.DB, v.ID, len(users), a.Curriculum.Version)
	if err != nil {
		return nil, fmt.Errorf("cohort: %w", err)
	}
	var modules []string
	for _, m := range a.Curriculum.Modules() {
		modules = append(modules, m.Slug)
	}
	cands := make([]*account.User, len(users))
	for i := range users {
		cands[i] = &users[i]
	}
	if err := scenario.CourseworkComplete(ctx, a.DB, now, co, modules, a.Curriculum.Version, cands...); err != nil {
		return nil, fmt.Errorf("coursework of the candidates: %w", err)
	}

	// Bearer sessions, as if each candidate had called POST /api/v1/auth/token.
	s.tokens = make([]string, len(users))
	sessions := make([]account.Session, len(users))
	for i := range users {
		s.tokens[i] = account.NewSecret()
		sessions[i] = account.Session{ID: account.HashSecret(s.tokens[i]), UserID: users[i].ID, Kind: account.KindAPI, Stage: account.StageFull,
			CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(24 * time.Hour), UserAgent: "examload"}
	}
	for lo := 0; lo < len(sessions); lo += 250 {
		chunk := sessions[lo:min(lo+250, len(sessions))]
		if _, err := a.DB.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return nil, fmt.Errorf("insert sessions: %w", err)
		}
	}
	return s, nil
}

// baseline inserts candidates x formLength rows into a scratch table shaped like exam_answers, with
// the same concurrency (all released at once), one plain autocommitted INSERT per row through
// database/sql on a pool opened exactly as the app opens its own.
func baseline(ctx context.Context, o options, run string, rep *report) error {
	db, err := database.Open(ctx, o.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	pg := config.IsPostgresURL(o.DB)
	table := "examload_raw_" + run
	ts, ins := "TIMESTAMP", "INSERT INTO "+table+" (attempt_id, item_id, choice, seq, flagged, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
	if pg {
		ts, ins = "TIMESTAMPTZ", "INSERT INTO "+table+" (attempt_id, item_id, choice, seq, flagged, updated_at) VALUES ($1, $2, $3, $4, $5, $6)"
	}
	sqldb := db.DB
	if _, err := sqldb.ExecContext(ctx, `CREATE TABLE `+table+` (attempt_id TEXT NOT NULL, item_id TEXT NOT NULL, choice TEXT NOT NULL,
  seq BIGINT NOT NULL, flagged BOOLEAN NOT NULL, updated_at `+ts+` NOT NULL, PRIMARY KEY (attempt_id, item_id))`); err != nil {
		return err
	}
	defer func() { _, _ = sqldb.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+table) }()

	jobs := make(chan int, o.Candidates)
	for i := range o.Candidates {
		jobs <- i
	}
	close(jobs)
	var (
		ready, wg sync.WaitGroup
		mu        sync.Mutex
		firstErr  error
	)
	start := make(chan struct{})
	for range o.Concurrency {
		ready.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ready.Done()
			<-start
			for i := range jobs {
				attempt := fmt.Sprintf("raw-%06d", i)
				for k := range o.FormLength {
					_, err := sqldb.ExecContext(ctx, ins, attempt, fmt.Sprintf("item-%03d", k), "[0]", int64(1), false, time.Now().UTC())
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						return
					}
				}
			}
		}()
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	wg.Wait()
	rep.RawWindow = time.Since(t0)
	if firstErr != nil {
		return firstErr
	}
	var n int
	if err := sqldb.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		return err
	}
	rep.RawRows = n
	rep.RawPerSec = float64(n) / rep.RawWindow.Seconds()
	return nil
}

// verify checks the database after the load, for this run's vendor only.
func verify(ctx context.Context, db bun.IDB, vendorID string, o options, rep *report) error {
	c := &rep.Check
	*c = check{Expected: o.Candidates * o.FormLength}
	q := func(dst any, query string, args ...any) error {
		return db.NewRaw(query, args...).Scan(ctx, dst)
	}
	if err := q(&c.Rows, `SELECT COUNT(*) FROM exam_answers AS a JOIN exam_attempts AS t ON t.id = a.attempt_id WHERE t.vendor_id = ?`, vendorID); err != nil {
		return err
	}
	if err := q(&c.Attempts, `SELECT COUNT(*) FROM exam_attempts WHERE vendor_id = ?`, vendorID); err != nil {
		return err
	}
	if err := q(&c.CandidatesWithAttempt, `SELECT COUNT(DISTINCT candidate_id) FROM exam_attempts WHERE vendor_id = ?`, vendorID); err != nil {
		return err
	}
	if err := q(&c.Submitted, `SELECT COUNT(*) FROM exam_attempts WHERE vendor_id = ? AND status = ? AND finished_at IS NOT NULL`, vendorID, exam.StatusSubmitted); err != nil {
		return err
	}
	if err := q(&c.Graded, `SELECT COUNT(*) FROM exam_attempts WHERE vendor_id = ? AND correct IS NOT NULL AND total = ? AND by_domain IS NOT NULL`, vendorID, o.FormLength); err != nil {
		return err
	}
	if err := q(&c.IncompleteAttempts, `SELECT COUNT(*) FROM (SELECT t.id FROM exam_attempts AS t LEFT JOIN exam_answers AS a ON a.attempt_id = t.id
WHERE t.vendor_id = ? GROUP BY t.id HAVING COUNT(a.item_id) <> ?) AS x`, vendorID, o.FormLength); err != nil {
		return err
	}
	if err := q(&c.StartEvents, `SELECT COUNT(*) FROM audit_events WHERE vendor_id = ? AND action = 'exam.start'`, vendorID); err != nil {
		return err
	}
	if err := q(&c.SubmitEvents, `SELECT COUNT(*) FROM audit_events WHERE vendor_id = ? AND action = 'exam.submit'`, vendorID); err != nil {
		return err
	}
	if err := q(&c.ExpireEvents, `SELECT COUNT(*) FROM audit_events WHERE vendor_id = ? AND action = 'exam.expire'`, vendorID); err != nil {
		return err
	}
	// exam_answers' primary key (attempt_id, item_id) rules out a duplicated answer row; what can go
	// wrong is a missing row (lost), an attempt too many, and an answer overwritten by an older
	// save (checked by sequence number while the load runs).
	c.Lost = max(0, c.Expected-c.Rows)
	c.Duplicated = max(0, c.Attempts-o.Candidates)
	return nil
}

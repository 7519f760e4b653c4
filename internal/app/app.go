// Package app is the composition root: it opens the database and media store, runs migrations,
// builds the services and handlers, assembles the Fiber app and runs the background workers.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/api"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/catalog"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/library"
	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/privacy"
	"github.com/peeracademy/peeracademy/internal/report"
	"github.com/peeracademy/peeracademy/internal/standing"
	"github.com/peeracademy/peeracademy/internal/web"
	"github.com/peeracademy/peeracademy/migrations"
	"github.com/peeracademy/peeracademy/static"
)

// Version is set at build time with -ldflags "-X .../internal/app.Version=...".
var Version = "dev"

// App is a running PeerAcademy instance.
type App struct {
	Cfg          config.Config
	Log          *slog.Logger
	DB           *bun.DB
	Media        media.Store
	Accounts     *account.Service
	Fiber        *fiber.App
	Outbox       notify.Outbox
	API          *api.Handlers
	Sender       notify.Sender // nil in log mode
	Curriculum   *curriculum.Curriculum
	Catalogue    *catalog.Catalogue // the courses beyond the ten days (and the ten-day course's front matter)
	Courses      *catalog.Service   // offerings, enrolments, progress, assessment and completion
	Cohorts      *cohort.Service
	Eligibility  *eligibility.Service
	Exams        *exam.Service
	Oral         *oral.Service
	Certificates *certificate.Service
	Standing     *standing.Service // the candidate's standing across coursework, exams and certificate
	CE           *ce.Service
	Privacy      *privacy.Service // a person's own data: download and deletion
	Changes      *database.Feed   // committed writes to the tables behind the caches

	workers   sync.WaitGroup
	stopPprof func() // the profiler's listener (PEERACADEMY_PPROF_ADDR), nil when off
}

// OpenStore opens the configured media store.
func OpenStore(ctx context.Context, cfg config.MediaConfig) (media.Store, error) {
	if cfg.S3Endpoint != "" {
		return media.NewS3(ctx, media.S3Config{Endpoint: cfg.S3Endpoint, Bucket: cfg.S3Bucket, Region: cfg.S3Region,
			AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey, UseTLS: cfg.S3UseTLS})
	}
	return media.NewFS(cfg.Dir)
}

// Migrate applies pending migrations.
func Migrate(ctx context.Context, db *bun.DB) ([]string, error) {
	m, err := database.NewMigrator(db, migrations.FS)
	if err != nil {
		return nil, err
	}
	return m.Up(ctx)
}

// WriteBufferSize is the per-connection response buffer. Fiber's 4 KiB default splits a page of
// 4 to 16 KiB (the module page is about 7) into two writes, and a write on a socket costs more than
// the page's whole handling; 16 KiB per keep-alive connection sends it in one.
const WriteBufferSize = 16 << 10

// New builds the app: database (migrated), media store, services and routes.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	db, err := database.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if _, err := Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	store, err := OpenStore(ctx, cfg.Media)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("media store: %w", err)
	}
	if len(cfg.SecretKey) == 0 {
		if cfg.SecretKey, err = sharedSecret(ctx, db); err != nil {
			db.Close()
			return nil, err
		}
	}
	cur, err := loadCurriculum()
	if err != nil {
		db.Close()
		return nil, err
	}
	a := &App{Cfg: cfg, Log: log, DB: db, Media: store, Outbox: notify.Outbox{Mode: cfg.Mail.Mode}, Curriculum: cur}
	if err := a.syncMedia(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a.Accounts = &account.Service{
		DB: db, Outbox: a.Outbox, BaseURL: cfg.BaseURL,
		SessionIdle: cfg.SessionIdle, SessionAbsolute: cfg.SessionAbsolute, APITokenTTL: 30 * 24 * time.Hour,
		MaxFailuresPerAccount: cfg.LoginMaxPerAccount, MaxFailuresPerIP: cfg.LoginMaxPerIP,
		Throttle: account.Throttle{DB: db, Window: cfg.LoginWindow},
		Hasher:   account.NewHasher(cfg.HashConcurrency, cfg.HashWait),
		Limits:   account.Limits{RegisterPerHour: cfg.RegisterPerHour, ResetPerHour: cfg.ResetPerHour, ConfirmMailPerHour: cfg.ConfirmMailPerHour},
	}
	keys, err := keyring(ctx, db, cfg, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	a.Accounts.Keys = keys // authenticator secrets are sealed at rest
	a.Eligibility = &eligibility.Service{DB: db, Media: store, Keys: keys, Outbox: a.Outbox, BaseURL: cfg.BaseURL, Retention: cfg.DocumentRetention, DraftRetention: cfg.DraftRetention}
	// Only candidates with an approved application can be enrolled with a vendor.
	a.Cohorts = &cohort.Service{DB: db, Course: course{cur}, Eligibility: a.Eligibility, Outbox: a.Outbox, BaseURL: cfg.BaseURL}
	// The signed-in user behind a session and the days a candidate may open are read on nearly every
	// request; both are cached for as long as the change feed vouches for them (and so is the
	// coursework answer of the written exam's gate, below).
	if a.Changes, err = database.Changes(ctx, db, log); err != nil {
		db.Close()
		return nil, err
	}
	a.Accounts.CacheSessions(a.Changes)
	a.Cohorts.CacheOpenings(a.Changes)
	bank, err := loadBank()
	if err != nil {
		a.Close()
		return nil, err
	}
	// The candidate's standing answers the gates of the exams and the certificate's evidence.
	a.Standing = &standing.Service{Cohorts: a.Cohorts, Eligibility: a.Eligibility}
	a.Standing.CacheCoursework(a.Changes)
	a.Exams = &exam.Service{DB: db, Bank: bank, Coursework: a.Standing}
	a.Standing.Exams = a.Exams
	if a.Catalogue, err = loadCatalogue(cur, bank); err != nil {
		a.Close()
		return nil, err
	}
	rubric, err := loadRubric()
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Oral = &oral.Service{DB: db, Rubric: rubric, Written: a.Standing, Outbox: a.Outbox, BaseURL: cfg.BaseURL}
	a.Standing.Oral = a.Oral
	rule, _ := ce.RuleByID(cfg.CERule)
	a.Certificates = &certificate.Service{DB: db, Media: store, Keys: keys, Outbox: a.Outbox, Evidence: a.Standing, BaseURL: cfg.BaseURL,
		ValidityMonths: cfg.CertificateMonths, Rule: rule,
		LookupLimit: account.Throttle{DB: db, Window: time.Minute}, LookupsPerMinute: cfg.VerifyPerMinute,
		EndorsementTitles: endorsementTitles(a.Catalogue)}
	a.Standing.Certificates = a.Certificates
	a.CE = &ce.Service{DB: db, Certs: a.Certificates, Media: store, Outbox: a.Outbox, BaseURL: cfg.BaseURL}
	a.Courses = &catalog.Service{DB: db, Catalogue: a.Catalogue, Vendors: a.Accounts.VendorByID, Cohorts: cohortCandidates{a.Cohorts},
		Endorser: endorser{a.Certificates}, CECerts: a.Certificates}
	a.Privacy = &privacy.Service{DB: db, Media: store, Accounts: a.Accounts, Eligibility: a.Eligibility, Outbox: a.Outbox, BaseURL: cfg.BaseURL}
	if cfg.Mail.Mode == "smtp" {
		a.Sender = notify.SMTPSender{Cfg: cfg.Mail, BaseURL: cfg.BaseURL}
	}
	if err := a.buildHTTP(); err != nil {
		a.Close()
		return nil, err
	}
	if cfg.PprofAddr != "" {
		if a.stopPprof, err = startPprof(cfg.PprofAddr); err != nil {
			a.Close()
			return nil, err
		}
	}
	// Start-up (migrations, curriculum and bank, pre-rendered pages) peaks at about 100 MB of heap of
	// which about 8 MB stays live; give the rest back to the system now rather than over minutes.
	debug.FreeOSMemory()
	return a, nil
}

// sharedSecret returns the secret kept in the database, creating it once. Every instance sharing the
// database shares it, so CSRF tokens and flash cookies verify on any instance.
func sharedSecret(ctx context.Context, db *bun.DB) ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if _, err := db.NewRaw(`INSERT INTO settings (key, value) VALUES ('secret_key', ?) ON CONFLICT (key) DO NOTHING`, hex.EncodeToString(b)).Exec(ctx); err != nil {
		return nil, err
	}
	var v string
	if err := db.NewRaw(`SELECT value FROM settings WHERE key = 'secret_key'`).Scan(ctx, &v); err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}

func (a *App) buildHTTP() error {
	renderer, err := web.NewRenderer()
	if err != nil {
		return err
	}
	// Handlers hold services, never the database: the reads they need go through these.
	reports, trail, mailbox := report.Service{DB: a.DB}, audit.Trail{DB: a.DB}, notify.Mailbox{DB: a.DB}
	wh := &web.Handlers{Accounts: a.Accounts, Media: a.Media, Render: renderer, Log: a.Log, Secret: a.Cfg.SecretKey,
		CookieSecure: a.Cfg.CookieSecure, DevMail: a.Cfg.Mail.Mode == "log", MaxUpload: a.Cfg.MaxUploadBytes,
		Cohorts: a.Cohorts, Curriculum: a.Curriculum, Eligibility: a.Eligibility, Exams: a.Exams,
		Oral: a.Oral, BaseURL: a.Cfg.BaseURL, Certificates: a.Certificates, CE: a.CE, Privacy: a.Privacy, Courses: a.Courses, Standing: a.Standing,
		Reports: reports, Audit: trail, Mailbox: mailbox, Library: library.Service{DB: a.DB, Media: a.Media}, PingDB: a.DB.PingContext}
	if err := wh.Prerender(); err != nil {
		return err
	}
	a.API = &api.Handlers{Accounts: a.Accounts, Version: Version, DevMail: a.Cfg.Mail.Mode == "log", Cohorts: a.Cohorts, Curriculum: a.Curriculum, Eligibility: a.Eligibility, Media: a.Media, Exams: a.Exams, Oral: a.Oral,
		Certificates: a.Certificates, CE: a.CE, Privacy: a.Privacy, Courses: a.Courses, Reports: reports, Audit: trail, Mailbox: mailbox}

	fc := fiber.Config{
		AppName:               "PeerAcademy",
		Immutable:             true, // handler strings stay valid after the handler returns
		BodyLimit:             int(a.Cfg.MaxUploadBytes) + 1<<20,
		ReadTimeout:           60 * time.Second,
		WriteTimeout:          120 * time.Second,
		IdleTimeout:           120 * time.Second,
		DisableStartupMessage: true,
		WriteBufferSize:       WriteBufferSize,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			e, status := httpx.Safe(a.Log, c, err)
			if httpx.WantsJSON(c) {
				return httpx.WriteJSONError(c, status, e)
			}
			return wh.ErrorPage(c, status, e)
		},
	}
	f := fiber.New(fc)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := httpx.NewMetrics(reg)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "peeracademy_change_feed_healthy",
		Help: "1 while the change feed vouches for the in-process caches; 0 while they are bypassed."}, func() float64 {
		if a.Changes.Healthy() {
			return 1
		}
		return 0
	}))

	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "peeracademy_media_store_up",
		Help: "1 while the media store answers (checked at each scrape); 0 while uploads and downloads answer 503."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if a.mediaUp(ctx) {
			return 1
		}
		return 0
	}))

	f.Use("/api", httpx.MarkAPI) // the API's requests, marked before anything may answer them
	f.Use(httpx.ClientAddress(a.Cfg.TrustedProxies))
	f.Use(httpx.RequestContext(a.Log, metrics))
	f.Use(recover.New())
	f.Use(httpx.SecurityHeaders)
	f.Use(httpx.SaneInput)

	// Operations endpoints, before sessions.
	f.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	f.Get("/readyz", a.readyz)
	f.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	f.Get("/static/:hash/*", serveStatic)

	f.Use(wh.LoadSession)
	f.Use(httpx.NoStore)
	a.API.Register(f)
	wh.Register(f)
	f.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	a.Fiber = f
	return nil
}

func serveStatic(c *fiber.Ctx) error {
	asset, ok := static.Assets()[c.Params("*")]
	if !ok {
		return fiber.ErrNotFound
	}
	if c.Params("hash") == asset.Hash {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	c.Set(fiber.HeaderContentType, asset.ContentType)
	return c.Send(asset.Data)
}

// ReadyStatus is the /readyz body. Media is filled in only for /readyz?verbose.
type ReadyStatus struct {
	Database string `json:"database"`
	Media    string `json:"media,omitempty"`
}

// readyz answers the load balancer: ready means the database answers. The media store is not part of
// it: exams, courses and verification never touch it, and an outage there must not take every
// instance out of rotation. /readyz?verbose also reports the store (without changing the status).
func (a *App) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	st := ReadyStatus{Database: "ok"}
	code := fiber.StatusOK
	if err := a.DB.PingContext(ctx); err != nil {
		st.Database, code = "unreachable", fiber.StatusServiceUnavailable
		a.Log.Warn("readyz: database", "err", err)
	}
	if c.Request().URI().QueryArgs().Has("verbose") {
		st.Media = "ok"
		if !a.mediaUp(ctx) {
			st.Media = "unreachable"
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(code).JSON(st)
}

// mediaUp pings the media store.
func (a *App) mediaUp(ctx context.Context) bool {
	if err := a.Media.Ping(ctx); err != nil {
		a.Log.Warn("media store unreachable", "err", err)
		return false
	}
	return true
}

// RunWorkers runs the background jobs until ctx ends: the outbox sender (SMTP mode) and housekeeping.
// Close waits for them to stop.
func (a *App) RunWorkers(ctx context.Context) {
	if a.Sender != nil {
		w := &notify.Worker{DB: a.DB, Sender: a.Sender, Log: a.Log}
		a.workers.Go(func() { w.Run(ctx) })
	}
	a.workers.Go(func() {
		// Attempts past their deadline are graded on what was saved, within half a minute.
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			if _, err := a.Exams.FinalizeExpired(ctx, time.Now()); err != nil && ctx.Err() == nil {
				a.Log.Warn("finalise expired exam attempts", "err", err)
			}
			// "Download my data" archives are built within half a minute of the request.
			if _, err := a.Privacy.BuildPending(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn("build data exports", "err", err)
			}
			// Oral-exam reminders go out 24 hours ahead, once each, whatever the number of instances.
			if _, err := a.Oral.SendReminders(ctx, time.Now()); err != nil && ctx.Err() == nil {
				a.Log.Warn("send oral-exam reminders", "err", err)
			}
			// "Your course has opened" goes to each enrolled candidate once, when day 1 opens.
			if _, err := a.Cohorts.SendCourseOpened(ctx, time.Now()); err != nil && ctx.Err() == nil {
				a.Log.Warn("send course-opened emails", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	a.workers.Go(func() {
		t := time.NewTicker(10 * time.Minute)
		defer t.Stop()
		for {
			if err := a.Accounts.PruneSessions(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn("prune sessions", "err", err)
			}
			if err := a.Accounts.Throttle.Prune(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn("prune rate limits", "err", err)
			}
			// Continuing education: reminders 60 and 30 days before a cycle ends (each once), and lapses.
			if err := a.Certificates.SendCEReminders(ctx, time.Now()); err != nil && ctx.Err() == nil {
				a.Log.Warn("send CE reminders", "err", err)
			}
			if l, c, err := a.Certificates.UpdateLapses(ctx, time.Now(), a.Cfg.CEGrace); err != nil && ctx.Err() == nil {
				a.Log.Warn("update certificate lapses", "err", err)
			} else if l+c > 0 {
				a.Log.Info("certificate lapses updated", "lapsed", l, "reactivated", c)
			}
			if n, err := a.Eligibility.PurgeExpired(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn("purge application documents", "err", err)
			} else if n > 0 {
				a.Log.Info("purged application documents past retention", "documents", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}

// Serve listens until ctx ends, then shuts down gracefully: in-flight requests finish (up to the grace period).
func (a *App) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- a.Fiber.Listen(a.Cfg.ListenAddr) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down", "grace", a.Cfg.ShutdownGrace.String())
	if err := a.Fiber.ShutdownWithTimeout(a.Cfg.ShutdownGrace); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// Close waits for the background workers (stopped by cancelling RunWorkers' context) and releases
// the database.
func (a *App) Close() error {
	a.workers.Wait()
	if a.stopPprof != nil {
		a.stopPprof()
		a.stopPprof = nil
	}
	if a.Changes != nil {
		a.Changes.Close()
	}
	return a.DB.Close()
}

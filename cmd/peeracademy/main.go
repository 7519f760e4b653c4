// Command peeracademy runs the PeerAcademy platform: serve, migrate, vendor and user administration.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // time zones work on hosts without zoneinfo

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/app"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/migrations"
)

const usage = `PeerAcademy: training and certification of Pennsylvania Certified Peer Specialists.

Usage:
  peeracademy serve                         start the web server (applies migrations)
  peeracademy migrate up|down|status        manage the database schema
  peeracademy vendor create -name N -slug S [-timezone TZ] [-recognised]
  peeracademy vendor rotate-key -slug S     give a vendor a new certificate-signing key
  peeracademy user create -email E -name N -role R [-vendor SLUG]   (password read from stdin)
  peeracademy backup -out FILE              archive the database and media store while the server runs
  peeracademy backup verify -in FILE        check an archive's checksums
  peeracademy restore -in FILE              restore an archive into an empty database and media store
  peeracademy keys reseal                   re-seal private data under the current encryption key
  peeracademy content check [-dir DIR]      validate the curriculum, exam item bank and oral rubric
  peeracademy certificate verify FILE [-keys JWKS_FILE]   check a signed credential offline
  peeracademy version

Configuration comes from PEERACADEMY_* environment variables; see README.md.
`

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "error:", message(err))
		os.Exit(1)
	}
}

func message(err error) string {
	if e, ok := apperr.As(err); ok {
		var parts []string
		for k, v := range e.Fields {
			parts = append(parts, k+": "+v)
		}
		if len(parts) > 0 {
			return strings.Join(parts, "; ")
		}
		return e.Message
	}
	return err.Error()
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, "peeracademy", app.Version)
		return nil
	case "content":
		return contentCmd(args[1:], stdout, stderr)
	case "certificate":
		return certificateCmd(args[1:], stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := newLogger(cfg.LogLevel, stderr)
	switch args[0] {
	case "serve":
		return serve(ctx, cfg, log, stdout)
	case "migrate":
		return migrate(ctx, cfg, args[1:], stdout)
	case "vendor":
		return vendorCmd(ctx, cfg, log, args[1:], stdout)
	case "user":
		return userCmd(ctx, cfg, log, args[1:], stdin, stdout)
	case "keys":
		return keysCmd(ctx, cfg, log, args[1:], stdout)
	case "backup":
		return backupCmd(ctx, cfg, args[1:], stdout, stderr)
	case "restore":
		return restoreCmd(ctx, cfg, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func newLogger(level string, w io.Writer) *slog.Logger { return httpx.NewLogger(w, level) }

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if link, err := a.Accounts.SetupLink(ctx); err != nil {
		return err
	} else if link != "" {
		fmt.Fprintf(stdout, "\nNo platform administrator exists yet. Open this one-time link to create one (valid 24 hours):\n\n  %s\n\n", link)
	}
	wctx, stopWorkers := context.WithCancel(ctx)
	defer stopWorkers() // before a.Close (defers run last first), which waits for the workers
	a.RunWorkers(wctx)
	log.Info("listening", "addr", cfg.ListenAddr, "base_url", cfg.BaseURL, "database", dbKind(cfg), "media", mediaKind(cfg), "mail", cfg.Mail.Mode, "version", app.Version)
	fmt.Fprintf(stdout, "PeerAcademy is running at %s (Ctrl+C to stop)\n", cfg.BaseURL)
	return a.Serve(ctx)
}

func dbKind(cfg config.Config) string {
	if cfg.UsesPostgres() {
		return "postgresql"
	}
	return "sqlite:" + cfg.DatabaseURL
}

func mediaKind(cfg config.Config) string {
	if cfg.Media.S3Endpoint != "" {
		return "s3:" + cfg.Media.S3Endpoint + "/" + cfg.Media.S3Bucket
	}
	return "dir:" + cfg.Media.Dir
}

func migrate(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: peeracademy migrate up|down|status")
	}
	db, err := database.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := database.NewMigrator(db, migrations.FS)
	if err != nil {
		return err
	}
	switch args[0] {
	case "up":
		names, err := m.Up(ctx)
		if err != nil {
			return err
		}
		if len(names) == 0 {
			fmt.Fprintln(stdout, "The database is up to date.")
		}
		for _, n := range names {
			fmt.Fprintln(stdout, "applied", n)
		}
	case "down":
		names, err := m.Down(ctx)
		if err != nil {
			return err
		}
		if len(names) == 0 {
			fmt.Fprintln(stdout, "Nothing to roll back.")
		}
		for _, n := range names {
			fmt.Fprintln(stdout, "rolled back", n)
		}
	case "status":
		s, err := m.Status(ctx)
		if err != nil {
			return err
		}
		fmt.Fprint(stdout, s)
	default:
		return fmt.Errorf("unknown migrate command %q: use up, down or status", args[0])
	}
	return nil
}

func openApp(ctx context.Context, cfg config.Config, log *slog.Logger) (*app.App, error) {
	return app.New(ctx, cfg, log)
}

// keysCmd re-seals everything sealed under an older encryption key (or, for authenticator secrets,
// not sealed yet) with the current one, so the old key can be removed from the configuration.
func keysCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) != 1 || args[0] != "reseal" {
		return errors.New("usage: peeracademy keys reseal")
	}
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	apps, err := a.Eligibility.Reseal(ctx)
	if err != nil {
		return err
	}
	secrets, err := a.Accounts.ResealTOTP(ctx)
	if err != nil {
		return err
	}
	vkeys, err := a.Certificates.Reseal(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "resealed under key %q: %d applications, %d authenticator secrets, %d vendor signing keys\n",
		a.Eligibility.Keys.Current(), apps, secrets, vkeys)
	return nil
}

// rotateKey retires a vendor's certificate-signing key and makes a new one current.
func rotateKey(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("vendor rotate-key", flag.ContinueOnError)
	slug := fs.String("slug", "", "the vendor's short name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *slug == "" {
		return errors.New("usage: peeracademy vendor rotate-key -slug S")
	}
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.Accounts.VendorBySlug(ctx, *slug)
	if err != nil {
		return err
	}
	kid, err := a.Certificates.RotateKey(ctx, audit.System, v.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s now signs with %s; earlier keys stay published as retired, so issued credentials still verify\n", v.Name, kid)
	return nil
}

func vendorCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "rotate-key" {
		return rotateKey(ctx, cfg, log, args[1:], stdout)
	}
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: peeracademy vendor create -name N -slug S [-timezone TZ] [-recognised]\n       peeracademy vendor rotate-key -slug S")
	}
	fs := flag.NewFlagSet("vendor create", flag.ContinueOnError)
	name := fs.String("name", "", "organisation name")
	slug := fs.String("slug", "", "short name used in certificate numbers")
	tz := fs.String("timezone", "America/New_York", "IANA time zone")
	email := fs.String("contact-email", "", "contact email")
	recognised := fs.Bool("recognised", false, "recognise the vendor at once")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.Accounts.CreateVendor(ctx, audit.System, account.VendorInput{Name: *name, Slug: *slug, Timezone: *tz, ContactEmail: *email})
	if err != nil {
		return err
	}
	if *recognised {
		if v, err = a.Accounts.SetRecognised(ctx, audit.System, v.ID, true); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "created vendor %s (%s) id=%s recognised=%v\n", v.Name, v.Slug, v.ID, v.Recognised())
	return nil
}

func userCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: peeracademy user create -email E -name N -role R [-vendor SLUG] (password on stdin)")
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	email := fs.String("email", "", "email address")
	name := fs.String("name", "", "full name")
	role := fs.String("role", "", "candidate, trainer, vendor_admin or platform_admin")
	vendor := fs.String("vendor", "", "vendor short name (trainers and vendor admins)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	pw, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	pw = strings.TrimRight(pw, "\r\n")
	if pw == "" {
		return errors.New("give the password on standard input, e.g. printf '%s\\n' \"$PASSWORD\" | peeracademy user create ...")
	}
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	vendorID := ""
	if *vendor != "" {
		v, err := a.Accounts.VendorBySlug(ctx, *vendor)
		if err != nil {
			return err
		}
		vendorID = v.ID
	}
	u, err := a.Accounts.CreateUser(ctx, audit.System, account.CreateUserInput{Email: *email, Name: *name, Role: *role, VendorID: vendorID, Password: pw})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s %s id=%s\n", account.RoleLabel(u.Role), u.Email, u.ID)
	if u.MFARequired() {
		fmt.Fprintln(stdout, "They will be asked to set up two-factor sign-in at first sign-in.")
	}
	return nil
}

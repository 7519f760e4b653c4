package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/peeracademy/peeracademy/content"
	"github.com/peeracademy/peeracademy/internal/app"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/backup"
	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/migrations"
)

const (
	backupUsage  = "usage: peeracademy backup -out FILE   |   peeracademy backup verify -in FILE"
	restoreUsage = "usage: peeracademy restore -in FILE"
)

// backupCmd writes one archive of the running installation's database and media store, or with
// "verify" checks an archive's checksums without restoring it.
func backupCmd(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "verify" {
		in, err := fileFlag("backup verify", "in", args[1:], stderr, backupUsage)
		if err != nil {
			return err
		}
		m, err := backup.Verify(in)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "archive ok:", m.Summary())
		return nil
	}
	out, err := fileFlag("backup", "out", args, stderr, backupUsage)
	if err != nil {
		return err
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s exists already: choose a new file name", out)
	}
	db, err := database.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	store, err := app.OpenStore(ctx, cfg.Media)
	if err != nil {
		return err
	}
	course, _ := curriculum.Load(content.FS)
	version := ""
	if course != nil {
		version = course.Version
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".peeracademy-backup-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	m, err := backup.Create(ctx, backup.Source{DB: db, DSN: cfg.DatabaseURL, Store: store, Keys: cfg.EncryptionKeys,
		CurriculumVersion: version, AppVersion: app.Version}, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	if err := audit.Record(ctx, db, audit.System, audit.Entry{Action: "backup.create", SubjectType: "backup",
		Details: map[string]any{"file": filepath.Base(out), "rows": m.Rows(), "objects": len(m.Objects)}}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s\n", out, m.Summary())
	if m.Dialect == backup.DialectPG {
		fmt.Fprintln(stdout, "The PostgreSQL data is a pg_dump custom-format dump inside the archive.")
	}
	fmt.Fprintln(stdout, "Sealed data stays sealed: keep the encryption keys (PEERACADEMY_ENCRYPTION_KEYS) backed up apart from this file.")
	return nil
}

// restoreCmd restores an archive into the configured (empty) database and media store.
func restoreCmd(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	in, err := fileFlag("restore", "in", args, stderr, restoreUsage)
	if err != nil {
		return err
	}
	store, err := app.OpenStore(ctx, cfg.Media)
	if err != nil {
		return err
	}
	res, err := backup.Restore(ctx, in, backup.Target{DSN: cfg.DatabaseURL, Store: store, Keys: cfg.EncryptionKeys, Migrations: migrations.FS})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s\nevery table matches the backup's digests and every media object its checksum\n", res.Manifest.Summary())
	for _, n := range res.Applied {
		fmt.Fprintln(stdout, "applied", n)
	}
	return nil
}

func fileFlag(name, flagName string, args []string, stderr io.Writer, usage string) (string, error) {
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	flags.SetOutput(stderr)
	path := flags.String(flagName, "", "archive file")
	if err := flags.Parse(args); err != nil {
		return "", err
	}
	if *path == "" || flags.NArg() > 0 {
		return "", errors.New(usage)
	}
	return *path, nil
}

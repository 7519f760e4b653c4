package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestBackupRestoreCommands runs what the README's scheduled-backup examples run: backup, backup
// verify, and a restore into a new, empty installation, through the command line.
func TestBackupRestoreCommands(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		t.Setenv("PEERACADEMY_DATABASE_URL", dbtest.URL(t, d))
		t.Setenv("PEERACADEMY_MEDIA_DIR", filepath.Join(t.TempDir(), "media"))
		t.Setenv("PEERACADEMY_LOG_LEVEL", "error")
		if out, err := runCmd(t, "", "vendor", "create", "-name", "Recovery Works", "-slug", "recovery-works", "-recognised"); err != nil {
			t.Fatalf("vendor create: %q %v", out, err)
		}
		archive := filepath.Join(t.TempDir(), "pa-backup.tar.gz")
		out, err := runCmd(t, "", "backup", "-out", archive)
		if err != nil || !strings.Contains(out, "wrote "+archive) || !strings.Contains(out, "keep the encryption keys") {
			t.Fatalf("backup: %q %v", out, err)
		}
		if _, err := runCmd(t, "", "backup", "-out", archive); err == nil || !strings.Contains(err.Error(), "exists already") {
			t.Fatalf("backup over an existing file: %v", err)
		}
		if out, err := runCmd(t, "", "backup", "verify", "-in", archive); err != nil || !strings.Contains(out, "archive ok:") {
			t.Fatalf("verify: %q %v", out, err)
		}
		if _, err := runCmd(t, "", "restore", "-in", archive); err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Fatalf("restore over the live installation: %v", err)
		}
		t.Setenv("PEERACADEMY_DATABASE_URL", dbtest.URL(t, d))
		t.Setenv("PEERACADEMY_MEDIA_DIR", filepath.Join(t.TempDir(), "restored-media"))
		out, err = runCmd(t, "", "restore", "-in", archive)
		if err != nil || !strings.Contains(out, "every table matches") {
			t.Fatalf("restore: %q %v", out, err)
		}
		if out, err := runCmd(t, "", "vendor", "create", "-name", "Again", "-slug", "recovery-works"); err == nil {
			t.Fatalf("the restored installation lacks the vendor: %q", out)
		}
		bad := filepath.Join(t.TempDir(), "bad.tar.gz")
		if err := os.WriteFile(bad, []byte("not an archive"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := runCmd(t, "", "backup", "verify", "-in", bad); err == nil || !strings.Contains(err.Error(), "damaged") {
			t.Fatalf("verify a bad file: %v", err)
		}
		if _, err := runCmd(t, "", "backup"); err == nil || !strings.Contains(err.Error(), "usage") {
			t.Fatalf("backup without -out: %v", err)
		}
	})
}

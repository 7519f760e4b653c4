package main

import (
	"bytes"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

func runCmd(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(args, strings.NewReader(stdin), &out, &errb)
	return out.String() + errb.String(), err
}

func TestCommandLine(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		t.Setenv("PEERACADEMY_DATABASE_URL", dbtest.URL(t, d))
		t.Setenv("PEERACADEMY_MEDIA_DIR", filepath.Join(t.TempDir(), "media"))
		t.Setenv("PEERACADEMY_LOG_LEVEL", "error")

		if out, err := runCmd(t, "", "version"); err != nil || !strings.HasPrefix(out, "peeracademy ") {
			t.Fatalf("version: %q %v", out, err)
		}
		out, err := runCmd(t, "", "migrate", "status")
		if err != nil || !strings.Contains(out, "pending") {
			t.Fatalf("status before: %q %v", out, err)
		}
		if out, err = runCmd(t, "", "migrate", "up"); err != nil || !strings.Contains(out, "applied") {
			t.Fatalf("up: %q %v", out, err)
		}
		if out, err = runCmd(t, "", "migrate", "up"); err != nil || !strings.Contains(out, "up to date") {
			t.Fatalf("up again: %q %v", out, err)
		}
		if out, err = runCmd(t, "", "vendor", "create", "-name", "Recovery Works", "-slug", "recovery-works", "-recognised"); err != nil || !strings.Contains(out, "recognised=true") {
			t.Fatalf("vendor create: %q %v", out, err)
		}
		if _, err = runCmd(t, "", "vendor", "create", "-name", "Again", "-slug", "recovery-works"); err == nil || !strings.Contains(message(err), "already exists") {
			t.Fatalf("duplicate vendor: %v", err)
		}
		out, err = runCmd(t, "a long enough passphrase here\n", "user", "create", "-email", "ana@example.org", "-name", "Ana", "-role", "vendor_admin", "-vendor", "recovery-works")
		if err != nil || !strings.Contains(out, "created Vendor administrator ana@example.org") || !strings.Contains(out, "two-factor") {
			t.Fatalf("user create: %q %v", out, err)
		}
		if _, err = runCmd(t, "short\n", "user", "create", "-email", "bo@example.org", "-name", "Bo", "-role", "candidate"); err == nil || !strings.Contains(message(err), "12 characters") {
			t.Fatalf("weak password: %v", err)
		}
		if _, err = runCmd(t, "", "user", "create", "-email", "bo@example.org", "-name", "Bo", "-role", "candidate"); err == nil || !strings.Contains(err.Error(), "standard input") {
			t.Fatalf("no password: %v", err)
		}
		if _, err = runCmd(t, "a long enough passphrase here\n", "user", "create", "-email", "cy@example.org", "-name", "Cy", "-role", "trainer"); err == nil || !strings.Contains(message(err), "belong to a vendor") {
			t.Fatalf("trainer without vendor: %v", err)
		}
		if out, err = runCmd(t, "", "vendor", "rotate-key", "-slug", "recovery-works"); err != nil || !strings.Contains(out, "Recovery Works now signs with did:key:") {
			t.Fatalf("rotate-key: %q %v", out, err)
		}
		if _, err = runCmd(t, "", "vendor", "rotate-key", "-slug", "nobody"); err == nil {
			t.Fatal("rotate-key for an unknown vendor succeeded")
		}
		if out, err = runCmd(t, "", "keys", "reseal"); err != nil || !strings.Contains(out, "resealed under key") {
			t.Fatalf("keys reseal: %q %v", out, err)
		}
		if _, err = runCmd(t, "", "keys", "rotate"); err == nil || !strings.Contains(err.Error(), "usage") {
			t.Fatalf("keys with a wrong subcommand: %v", err)
		}
		if out, err = runCmd(t, "", "migrate", "down"); err != nil || !strings.Contains(out, "rolled back") {
			t.Fatalf("down: %q %v", out, err)
		}
	})
}

func TestBadConfigurationNamesTheVariable(t *testing.T) {
	t.Setenv("PEERACADEMY_SESSION_IDLE_TIMEOUT", "soon")
	_, err := runCmd(t, "", "migrate", "status")
	if err == nil || !strings.Contains(err.Error(), "PEERACADEMY_SESSION_IDLE_TIMEOUT") {
		t.Fatalf("got %v", err)
	}
	if _, err := runCmd(t, "", "frobnicate"); err == nil {
		t.Fatal("unknown command accepted")
	}
}

// serve with its address already taken fails with the reason, and returns (the workers it started
// are stopped before the app closes, so nothing waits forever).
func TestServeFailsCleanlyWhenTheAddressIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("PEERACADEMY_DATABASE_URL", filepath.Join(t.TempDir(), "serve.db"))
	t.Setenv("PEERACADEMY_MEDIA_DIR", filepath.Join(t.TempDir(), "media"))
	t.Setenv("PEERACADEMY_LOG_LEVEL", "error")
	t.Setenv("PEERACADEMY_LISTEN_ADDR", ln.Addr().String())
	done := make(chan error, 1)
	go func() {
		_, err := runCmd(t, "", "serve")
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "address already in use") {
			t.Fatalf("serve on a taken address: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve on a taken address did not return within 30s")
	}
}

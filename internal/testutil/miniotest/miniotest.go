// Package miniotest starts throw-away MinIO servers for tests.
//
// The server binary is taken from $PEERACADEMY_MINIO_BIN, defaulting to
// $HOME/.cache/peeracademy/bin/minio, which scripts/test.sh builds.
package miniotest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/media"
)

// EnvBin names the environment variable that overrides the binary path.
const EnvBin = "PEERACADEMY_MINIO_BIN"

// startTimeout bounds how long Start waits for the server to become live.
const startTimeout = 30 * time.Second

// Bin returns the path of the MinIO server binary.
func Bin() string {
	if p := os.Getenv(EnvBin); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.Getenv("HOME")
	}
	return filepath.Join(home, ".cache", "peeracademy", "bin", "minio")
}

// Start launches a MinIO server on free 127.0.0.1 ports with a fresh data
// directory and random root credentials, waits until it is live, and
// returns a configuration for it with a random (not yet created) bucket
// name. The server's process group is killed when t's test ends.
//
// If the binary is missing, the test is skipped, or failed when the
// environment variable CI is "true".
func Start(t testing.TB) media.S3Config {
	t.Helper()
	bin := Bin()
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() {
		msg := fmt.Sprintf("miniotest: MinIO server binary not found at %s (set %s or run scripts/test.sh, which builds it)", bin, EnvBin)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}

	cfg := media.S3Config{
		Bucket:    "peeracademy-test-" + randHex(t, 8),
		Region:    "us-east-1",
		AccessKey: "test-" + randHex(t, 8),
		SecretKey: randHex(t, 20),
	}
	dataDir := t.TempDir()

	// A port picked by a closed listener can be taken by someone else
	// before MinIO binds it, so retry a few times if the server dies early.
	var lastErr error
	for range 3 {
		addr, err := run(t, bin, dataDir, cfg)
		if err == nil {
			cfg.Endpoint = addr
			return cfg
		}
		lastErr = err
	}
	t.Fatalf("miniotest: %v", lastErr)
	return media.S3Config{}
}

// run starts one server; on success its shutdown is registered with t.
func run(t testing.TB, bin, dataDir string, cfg media.S3Config) (string, error) {
	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	consoleAddr, err := freeAddr()
	if err != nil {
		return "", err
	}

	cmd := exec.Command(bin, "server", dataDir, "--address", addr, "--console-address", consoleAddr)
	cmd.Env = append(filteredEnv(),
		"MINIO_ROOT_USER="+cfg.AccessKey,
		"MINIO_ROOT_PASSWORD="+cfg.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	stop := func() {
		killProcessGroup(cmd)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
		}
	}

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-exited:
			return "", fmt.Errorf("server exited early (%v); output:\n%s", waitErr, out)
		default:
		}
		resp, err := client.Get("http://" + addr + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", fmt.Errorf("server at %s not live after %v; output:\n%s", addr, startTimeout, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("miniotest: server output:\n%s", out)
		}
	})
	return addr, nil
}

// freeAddr returns a 127.0.0.1 address with a currently unused port.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// filteredEnv returns the environment without MINIO_* variables, which could
// change the server's configuration.
func filteredEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MINIO_") {
			env = append(env, kv)
		}
	}
	return env
}

func randHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("miniotest: random: %v", err)
	}
	return hex.EncodeToString(b)
}

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

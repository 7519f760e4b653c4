package app_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestPprofOnItsOwnListener: with PEERACADEMY_PPROF_ADDR the profiler answers on that listener only;
// the public app never serves /debug/pprof; Close stops the listener.
func TestPprofOnItsOwnListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := apptest.New(t, dbtest.SQLite, func(c *config.Config) { c.PprofAddr = addr })
	resp, err := http.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Fatalf("profiler index: %d %.200s", resp.StatusCode, body)
	}
	if res := e.Do(apptest.Request("GET", "/debug/pprof/", nil)); res.StatusCode == http.StatusOK {
		t.Fatalf("the public app serves /debug/pprof: %d", res.StatusCode)
	}
	e.App.Close()
	if resp, err := http.Get("http://" + addr + "/debug/pprof/"); err == nil {
		resp.Body.Close()
		t.Fatal("the profiler still answers after Close")
	}
}

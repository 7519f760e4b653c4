package app_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// tcpProxy forwards connections to target until Stop, which closes the listener and every open
// connection: to the app it looks like a database server that went away.
type tcpProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); s.Close() }()
			go func() { _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
	t.Cleanup(p.Stop)
	return p
}

func (p *tcpProxy) Addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) Stop() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestDatabaseDownAnswers503 stops the database under a running app (SQLite: the pool is closed;
// PostgreSQL: the server's connections drop and new ones are refused) and expects 503 with
// Retry-After from pages and the API, never 500.
func TestDatabaseDownAnswers503(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		var stop func()
		var env *apptest.Env
		if d == dbtest.Postgres {
			dsn := dbtest.URL(t, d)
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			proxy := newTCPProxy(t, u.Host)
			u.Host = proxy.Addr()
			env = apptest.New(t, d, func(c *config.Config) { c.DatabaseURL = u.String() })
			stop = proxy.Stop
		} else {
			env = apptest.New(t, d)
			stop = func() { env.App.DB.Close() }
		}
		cand := env.User(account.RoleCandidate, "")
		csrf, cookies := env.CSRF("/password/forgot")
		stop()

		check := func(name string, req *http.Request) {
			t.Helper()
			resp := env.Do(req)
			body := apptest.Body(resp)
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("%s with the database down: %d (Retry-After %q): %.300s", name, resp.StatusCode, resp.Header.Get("Retry-After"), body)
			}
			if !strings.Contains(body, "briefly unavailable") {
				t.Fatalf("%s: body does not say the service is briefly unavailable: %.300s", name, body)
			}
		}
		check("API sign-in", apptest.Request("POST", "/api/v1/auth/token", map[string]string{"email": cand.Email, "password": apptest.Password}))
		req := apptest.Request("POST", "/password/forgot", "_csrf="+url.QueryEscape(csrf)+"&email="+url.QueryEscape(cand.Email))
		for _, c := range cookies {
			req.AddCookie(c)
		}
		check("reset page", req)
		resp := env.Do(apptest.Request("GET", "/readyz", nil))
		apptest.Body(resp)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("/readyz with the database down: %d", resp.StatusCode)
		}
	})
}

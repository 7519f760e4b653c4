package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// On SIGTERM (the context ending) the server stops accepting connections, lets a request already in
// flight finish, then Serve returns and Close waits for the background workers.
func TestShutdownFinishesInFlightRequests(t *testing.T) {
	addr := freeAddr(t)
	env := apptest.New(t, dbtest.SQLite, func(c *config.Config) { c.ListenAddr, c.ShutdownGrace = addr, 10*time.Second })
	base := "http://" + addr
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env.App.RunWorkers(ctx)
	served := make(chan error, 1)
	go func() { served <- env.App.Serve(ctx) }()
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not come up: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Hold SQLite's one connection, so /readyz (which pings the database) waits in flight.
	tx, err := env.App.DB.BeginTx(context.Background(), nil) // not ctx: cancelling ctx would roll it back
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		status int
		body   string
		err    error
	}
	inflight := make(chan result, 1)
	go func() {
		resp, err := client.Get(base + "/readyz")
		if err != nil {
			inflight <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		inflight <- result{status: resp.StatusCode, body: string(b)}
	}()
	time.Sleep(200 * time.Millisecond)
	select {
	case r := <-inflight:
		t.Fatalf("/readyz answered while the database was held: %+v", r)
	default:
	}

	cancel() // SIGTERM
	deadline = time.Now().Add(5 * time.Second)
	for { // new connections are refused once shutdown starts
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections 5s after shutdown began")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) before the request in flight finished", err)
	default:
	}

	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	r := <-inflight
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("the request in flight did not finish: %+v", r)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return within 10s of the last request finishing")
	}
	closed := make(chan error, 1)
	go func() { closed <- env.App.Close() }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return: the background workers did not stop")
	}
}

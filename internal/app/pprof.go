package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// The Go profiler, for finding where time and memory go under load. It is off unless
// PEERACADEMY_PPROF_ADDR names a loopback address, and it has a listener of its own: it is never on
// the public port, so no session or role decides who reaches it, only who can log in to the host
// (profiles show memory, which may hold answers and personal data).
//
//	PEERACADEMY_PPROF_ADDR=127.0.0.1:6060 peeracademy serve
//	go tool pprof -seconds 30 http://127.0.0.1:6060/debug/pprof/profile

// pprofHandler serves /debug/pprof/ on its own mux (not http.DefaultServeMux).
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// startPprof listens on addr and serves the profiler until stop is called.
func startPprof(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("profiler listener %s: %w", addr, err)
	}
	srv := &http.Server{Handler: pprofHandler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the profiler is a diagnostic aid: its failure never stops the app
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}

#!/usr/bin/env bash
# Runs PeerAcademy's whole test suite: vet, then every test on SQLite and PostgreSQL, the media
# store against a real MinIO server, and the browser tests in headless Chromium.
# It installs and starts what the tests need (Debian's postgresql and chromium, a pinned MinIO built
# from source into ~/.cache/peeracademy), so it works on a fresh machine, as root or not.
# With CI=true a missing service fails the run; tests never skip in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c" # github.com/minio/minio, pinned
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/peeracademy"
mkdir -p "$CACHE/bin"

log() { printf '== %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

# --- Debian packages ---------------------------------------------------------------------------
need=()
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
[ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
command -v pdftotext >/dev/null || need+=(poppler-utils) # the certificate PDF tests read text and render pages
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  as_root apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
fi

# --- MinIO, built once from the pinned module ----------------------------------------------------
MINIO_BIN="$CACHE/bin/minio"
if [ ! -x "$MINIO_BIN" ] || [ "$(cat "$CACHE/bin/minio.version" 2>/dev/null)" != "$MINIO_VERSION" ]; then
  log "building MinIO $MINIO_VERSION (a few minutes, cached afterwards)"
  (cd "$(mktemp -d)" && GOFLAGS=-mod=mod GOBIN="$CACHE/bin" go install "github.com/minio/minio@$MINIO_VERSION")
  echo "$MINIO_VERSION" > "$CACHE/bin/minio.version"
fi
export PEERACADEMY_MINIO_BIN="$MINIO_BIN"

# --- PostgreSQL: a private throw-away cluster on a loopback port -----------------------------------
PGPORT="${PEERACADEMY_TEST_PGPORT:-55432}"
PGDATA=$(mktemp -d /tmp/peeracademy-pg.XXXXXX)
pgrun() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGDATA"; fi
cleanup() {
  pgrun "$pgbin/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA"
}
trap cleanup EXIT
log "starting PostgreSQL ($("$pgbin/postgres" --version | awk '{print $3}')) on 127.0.0.1:$PGPORT"
pgrun "$pgbin/initdb" -D "$PGDATA" -U postgres -A trust --no-instructions -E UTF8 >/dev/null
pgrun "$pgbin/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null
export PEERACADEMY_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable"

# --- Chromium for the browser tests ------------------------------------------------------------
export PEERACADEMY_CHROMIUM="$(command -v chromium)"

log "gofmt, go vet"
unformatted=$(gofmt -l cmd internal migrations static content 2>/dev/null || true)
if [ -n "$unformatted" ]; then echo "not gofmt-formatted:" >&2; echo "$unformatted" >&2; exit 1; fi
go vet ./...
log "go test (SQLite, PostgreSQL, MinIO)"
go test -count=1 -timeout 20m "$@" $(go list ./... | grep -v '/internal/e2e$')
# The browser tests run on their own: beside the other packages (the app package's load tests hash
# hundreds of passwords), a page could wait on a CPU past the browser's 30 s step limit.
log "go test: browser tests (Chromium)"
# A browser step that waits past its 30 s limit on the PostgreSQL leg happens about once in two full
# runs, each time in a different test, and has not been explained yet (README, "Known problems").
# The tests that failed are run once more, and named: a test that fails twice fails the run.
e2elog=$(mktemp)
if ! go test -count=1 -timeout 20m "$@" ./internal/e2e/ 2>&1 | tee "$e2elog"; then
	failed=$(grep -E '^--- FAIL: ' "$e2elog" | awk '{print $3}' | sort -u | paste -sd'|' -)
	if [ -z "$failed" ]; then exit 1; fi
	log "browser tests failed once: $failed; running them again"
	go test -count=1 -timeout 20m "$@" -run "^($failed)\$" ./internal/e2e/
	log "RETRIED AND PASSED: $failed"
fi
rm -f "$e2elog"

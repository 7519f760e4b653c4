CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
--bun:split
CREATE TABLE vendors (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    slug          TEXT NOT NULL UNIQUE,
    timezone      TEXT NOT NULL DEFAULT 'America/New_York',
    contact_email TEXT NOT NULL DEFAULT '',
    recognised_at {{.TS}},
    recognised_by TEXT,
    created_at    {{.TS}} NOT NULL
);
--bun:split
CREATE TABLE users (
    id                TEXT PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    role              TEXT NOT NULL CHECK (role IN ('candidate', 'trainer', 'vendor_admin', 'platform_admin')),
    vendor_id         TEXT REFERENCES vendors (id),
    password_hash     TEXT NOT NULL,
    email_verified_at {{.TS}},
    disabled_at       {{.TS}},
    totp_secret       TEXT NOT NULL DEFAULT '',
    totp_enabled_at   {{.TS}},
    totp_last_step    BIGINT NOT NULL DEFAULT 0,
    created_at        {{.TS}} NOT NULL,
    updated_at        {{.TS}} NOT NULL,
    CHECK ((role IN ('trainer', 'vendor_admin') AND vendor_id IS NOT NULL)
        OR (role IN ('candidate', 'platform_admin') AND vendor_id IS NULL))
);
--bun:split
CREATE INDEX users_vendor_idx ON users (vendor_id, role);
--bun:split
CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   {{.TS}},
    PRIMARY KEY (user_id, code_hash)
);
--bun:split
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('web', 'api')),
    stage        TEXT NOT NULL CHECK (stage IN ('full', 'mfa', 'mfa_setup')),
    created_at   {{.TS}} NOT NULL,
    last_seen_at {{.TS}} NOT NULL,
    expires_at   {{.TS}} NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
--bun:split
CREATE INDEX sessions_user_idx ON sessions (user_id);
--bun:split
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
--bun:split
CREATE TABLE user_tokens (
    id         TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'invite', 'setup')),
    user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT NOT NULL DEFAULT '',
    vendor_id  TEXT REFERENCES vendors (id),
    role       TEXT NOT NULL DEFAULT '',
    created_by TEXT,
    created_at {{.TS}} NOT NULL,
    expires_at {{.TS}} NOT NULL,
    used_at    {{.TS}}
);
--bun:split
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id, purpose);
--bun:split
CREATE TABLE rate_limits (
    key          TEXT NOT NULL,
    window_start {{.TS}} NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);
--bun:split
CREATE TABLE outbox_emails (
    id              TEXT PRIMARY KEY,
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    attachments     TEXT NOT NULL DEFAULT '[]',
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'captured')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{.TS}} NOT NULL,
    lease_until     {{.TS}},
    last_error      TEXT NOT NULL DEFAULT '',
    dedupe_key      TEXT UNIQUE,
    created_at      {{.TS}} NOT NULL,
    sent_at         {{.TS}}
);
--bun:split
CREATE INDEX outbox_due_idx ON outbox_emails (status, next_attempt_at);
--bun:split
CREATE TABLE audit_events (
    id           TEXT PRIMARY KEY,
    at           {{.TS}} NOT NULL,
    actor_id     TEXT,
    actor_role   TEXT NOT NULL DEFAULT '',
    vendor_id    TEXT,
    action       TEXT NOT NULL,
    subject_type TEXT NOT NULL DEFAULT '',
    subject_id   TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT '',
    request_id   TEXT NOT NULL DEFAULT '',
    details      TEXT NOT NULL DEFAULT '{}'
);
--bun:split
CREATE INDEX audit_vendor_idx ON audit_events (vendor_id, at);
--bun:split
CREATE INDEX audit_subject_idx ON audit_events (subject_type, subject_id);
--bun:split
CREATE INDEX audit_actor_idx ON audit_events (actor_id, at);
--bun:split
{{if .Postgres}}
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
--bun:split
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
{{else}}
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
--bun:split
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
{{end}}

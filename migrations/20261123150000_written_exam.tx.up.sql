-- The written exam: per-vendor settings, accommodations and coursework-gate overrides, attempts
-- (each with its fixed form: item ids and option permutations, never keys), autosaved answers and
-- items a vendor has retired from new forms.
CREATE TABLE exam_settings (
    vendor_id        TEXT PRIMARY KEY REFERENCES vendors (id),
    duration_minutes INTEGER NOT NULL DEFAULT 90 CHECK (duration_minutes > 0),
    pass_percent     INTEGER NOT NULL DEFAULT 75 CHECK (pass_percent BETWEEN 1 AND 100),
    max_attempts     INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
    wait_days        INTEGER NOT NULL DEFAULT 7 CHECK (wait_days >= 0),
    form_length      INTEGER NOT NULL DEFAULT 60 CHECK (form_length > 0),
    updated_by       TEXT,
    updated_at       {{.TS}} NOT NULL
);
--bun:split
-- The reason may describe a disability: it is shown to the vendor's administrators only and never
-- copied into the audit trail.
CREATE TABLE exam_accommodations (
    candidate_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    vendor_id     TEXT NOT NULL REFERENCES vendors (id),
    extra_minutes INTEGER NOT NULL CHECK (extra_minutes > 0),
    reason        TEXT NOT NULL,
    granted_by    TEXT NOT NULL,
    granted_at    {{.TS}} NOT NULL,
    PRIMARY KEY (candidate_id, vendor_id)
);
--bun:split
CREATE TABLE exam_gate_overrides (
    candidate_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    vendor_id    TEXT NOT NULL REFERENCES vendors (id),
    reason       TEXT NOT NULL,
    granted_by   TEXT NOT NULL,
    granted_at   {{.TS}} NOT NULL,
    PRIMARY KEY (candidate_id, vendor_id)
);
--bun:split
CREATE TABLE exam_attempts (
    id           TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    vendor_id    TEXT NOT NULL REFERENCES vendors (id),
    cohort_id    TEXT REFERENCES cohorts (id),
    seed         BIGINT NOT NULL,
    form         TEXT NOT NULL,
    bank_version TEXT NOT NULL,
    pass_percent INTEGER NOT NULL CHECK (pass_percent BETWEEN 1 AND 100),
    started_at   {{.TS}} NOT NULL,
    deadline_at  {{.TS}} NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'submitted', 'expired')),
    finished_at  {{.TS}},
    correct      INTEGER,
    total        INTEGER,
    percent      {{if .Postgres}}DOUBLE PRECISION{{else}}REAL{{end}},
    passed       BOOLEAN,
    by_domain    TEXT
);
--bun:split
-- One open attempt per candidate, enforced by the database itself (Start resumes it on conflict).
CREATE UNIQUE INDEX exam_attempts_one_open_idx ON exam_attempts (candidate_id) WHERE status = 'open';
--bun:split
CREATE INDEX exam_attempts_candidate_idx ON exam_attempts (candidate_id, vendor_id, started_at);
--bun:split
CREATE INDEX exam_attempts_vendor_idx ON exam_attempts (vendor_id, status);
--bun:split
CREATE INDEX exam_attempts_cohort_idx ON exam_attempts (cohort_id, status);
--bun:split
CREATE INDEX exam_attempts_deadline_idx ON exam_attempts (status, deadline_at);
--bun:split
-- choice is a JSON list of ORIGINAL option indexes (as in the bank), whatever order they were shown in.
CREATE TABLE exam_answers (
    attempt_id TEXT NOT NULL REFERENCES exam_attempts (id) ON DELETE CASCADE,
    item_id    TEXT NOT NULL,
    choice     TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    flagged    BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at {{.TS}} NOT NULL,
    PRIMARY KEY (attempt_id, item_id)
);
--bun:split
CREATE TABLE exam_retired_items (
    vendor_id  TEXT NOT NULL REFERENCES vendors (id),
    item_id    TEXT NOT NULL,
    retired_by TEXT NOT NULL,
    retired_at {{.TS}} NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (vendor_id, item_id)
);

CREATE TABLE applications (
    id                    TEXT PRIMARY KEY,
    candidate_id          TEXT NOT NULL REFERENCES users (id),
    vendor_id             TEXT NOT NULL REFERENCES vendors (id),
    status                TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'needs_info', 'approved', 'rejected', 'withdrawn')),
    legal_name            TEXT NOT NULL DEFAULT '',
    preferred_name        TEXT NOT NULL DEFAULT '',
    email_contact         TEXT NOT NULL DEFAULT '',
    phone                 TEXT NOT NULL DEFAULT '',
    education             TEXT NOT NULL DEFAULT '' CHECK (education IN ('diploma', 'ged', '')),
    education_year        INTEGER NOT NULL DEFAULT 0,
    dob_sealed            TEXT NOT NULL DEFAULT '',
    attestation_sealed    TEXT NOT NULL DEFAULT '',
    self_identifies       BOOLEAN NOT NULL DEFAULT FALSE,
    consent               BOOLEAN NOT NULL DEFAULT FALSE,
    submitted_at          {{.TS}},
    decided_at            {{.TS}},
    decided_by            TEXT,
    decision_reason       TEXT NOT NULL DEFAULT '',
    deletion_requested_at {{.TS}},
    created_at            {{.TS}} NOT NULL,
    updated_at            {{.TS}} NOT NULL
);
--bun:split
CREATE INDEX applications_queue_idx ON applications (vendor_id, status, submitted_at);
--bun:split
CREATE INDEX applications_candidate_idx ON applications (candidate_id, vendor_id);
--bun:split
-- At most one open application per candidate and vendor. The service checks this in its transaction
-- (for a clear message); the partial index is the backstop against a race.
CREATE UNIQUE INDEX applications_one_open_idx ON applications (candidate_id, vendor_id)
    WHERE status NOT IN ('withdrawn', 'rejected');
--bun:split
-- Hours per week are stored in tenths of an hour (37.5 -> 375), exactly, in a portable integer.
CREATE TABLE application_positions (
    id                    TEXT PRIMARY KEY,
    application_id        TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    seq                   INTEGER NOT NULL,
    title                 TEXT NOT NULL,
    organisation          TEXT NOT NULL,
    paid                  BOOLEAN NOT NULL DEFAULT FALSE,
    start_date            TEXT NOT NULL,
    end_date              TEXT,
    hours_per_week_tenths INTEGER NOT NULL CHECK (hours_per_week_tenths > 0 AND hours_per_week_tenths <= 800)
);
--bun:split
CREATE INDEX application_positions_app_idx ON application_positions (application_id, seq);
--bun:split
-- Credits are stored in hundredths of a credit hour (23.5 -> 2350), exactly, in a portable integer.
CREATE TABLE application_courses (
    id                 TEXT PRIMARY KEY,
    application_id     TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    seq                INTEGER NOT NULL,
    institution        TEXT NOT NULL,
    course             TEXT NOT NULL,
    completed_date     TEXT NOT NULL,
    credits_hundredths INTEGER NOT NULL CHECK (credits_hundredths >= 0 AND credits_hundredths <= 20000)
);
--bun:split
CREATE INDEX application_courses_app_idx ON application_courses (application_id, seq);
--bun:split
-- deleted_at: no longer shown or served; purged_at: the media object is gone (set once the store
-- confirmed the delete); purge_lease_until: a purge job has claimed the row (several instances).
CREATE TABLE application_documents (
    id                TEXT PRIMARY KEY,
    application_id    TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL CHECK (kind IN ('diploma', 'work', 'education', 'identity', 'other')),
    filename          TEXT NOT NULL,
    content_type      TEXT NOT NULL,
    size              BIGINT NOT NULL,
    media_key         TEXT NOT NULL UNIQUE,
    uploaded_at       {{.TS}} NOT NULL,
    deleted_at        {{.TS}},
    purged_at         {{.TS}},
    purge_lease_until {{.TS}}
);
--bun:split
CREATE INDEX application_documents_app_idx ON application_documents (application_id, uploaded_at);
--bun:split
CREATE INDEX application_documents_purge_idx ON application_documents (purged_at, deleted_at);

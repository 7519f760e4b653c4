CREATE TABLE cohorts (
    id                 TEXT PRIMARY KEY,
    vendor_id          TEXT NOT NULL REFERENCES vendors (id),
    name               TEXT NOT NULL,
    timezone           TEXT NOT NULL,
    delivery           TEXT NOT NULL CHECK (delivery IN ('in_person', 'virtual')),
    location           TEXT NOT NULL DEFAULT '',
    capacity           INTEGER NOT NULL CHECK (capacity > 0),
    required_minutes   INTEGER NOT NULL DEFAULT 4500 CHECK (required_minutes > 0),
    curriculum_version TEXT NOT NULL,
    created_by         TEXT,
    created_at         {{.TS}} NOT NULL
);
--bun:split
CREATE INDEX cohorts_vendor_idx ON cohorts (vendor_id, created_at);
--bun:split
CREATE TABLE cohort_sessions (
    cohort_id TEXT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    day       INTEGER NOT NULL CHECK (day BETWEEN 1 AND 10),
    date      TEXT NOT NULL,
    opens_at  {{.TS}} NOT NULL,
    minutes   INTEGER NOT NULL CHECK (minutes > 0),
    PRIMARY KEY (cohort_id, day)
);
--bun:split
CREATE TABLE cohort_trainers (
    cohort_id TEXT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (cohort_id, user_id)
);
--bun:split
CREATE INDEX cohort_trainers_user_idx ON cohort_trainers (user_id);
--bun:split
CREATE TABLE enrollments (
    id           TEXT PRIMARY KEY,
    cohort_id    TEXT NOT NULL REFERENCES cohorts (id),
    candidate_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status       TEXT NOT NULL CHECK (status IN ('active', 'withdrawn')),
    enrolled_by  TEXT,
    enrolled_at  {{.TS}} NOT NULL,
    UNIQUE (cohort_id, candidate_id)
);
--bun:split
CREATE INDEX enrollments_candidate_idx ON enrollments (candidate_id, status);
--bun:split
CREATE TABLE module_progress (
    candidate_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    module_slug        TEXT NOT NULL,
    started_at         {{.TS}} NOT NULL,
    last_viewed_at     {{.TS}} NOT NULL,
    completed_at       {{.TS}},
    check_attempts     INTEGER NOT NULL DEFAULT 0,
    curriculum_version TEXT NOT NULL,
    PRIMARY KEY (candidate_id, module_slug)
);
--bun:split
CREATE INDEX module_progress_recent_idx ON module_progress (candidate_id, last_viewed_at);
--bun:split
CREATE TABLE attendance (
    cohort_id        TEXT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    day              INTEGER NOT NULL CHECK (day BETWEEN 1 AND 10),
    candidate_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status           TEXT NOT NULL CHECK (status IN ('present', 'late', 'absent', 'excused')),
    minutes_attended INTEGER NOT NULL CHECK (minutes_attended >= 0),
    note             TEXT NOT NULL DEFAULT '',
    recorded_by      TEXT NOT NULL,
    recorded_at      {{.TS}} NOT NULL,
    PRIMARY KEY (cohort_id, day, candidate_id)
);
--bun:split
CREATE TABLE makeup_work (
    id           TEXT PRIMARY KEY,
    cohort_id    TEXT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    candidate_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day          INTEGER CHECK (day BETWEEN 1 AND 10),
    description  TEXT NOT NULL,
    minutes      INTEGER NOT NULL CHECK (minutes > 0),
    recorded_by  TEXT NOT NULL,
    recorded_at  {{.TS}} NOT NULL
);
--bun:split
CREATE INDEX makeup_candidate_idx ON makeup_work (cohort_id, candidate_id);
--bun:split
CREATE TABLE media_files (
    key          TEXT PRIMARY KEY,
    vendor_id    TEXT REFERENCES vendors (id),
    name         TEXT NOT NULL,
    checksum     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('content', 'upload')),
    uploaded_by  TEXT,
    created_at   {{.TS}} NOT NULL
);
--bun:split
CREATE INDEX media_files_vendor_idx ON media_files (vendor_id, created_at);

-- Certificates, the vendor signing keys that sign their credentials, per-vendor yearly numbering and
-- continuing-education (CE) activities. A certificate's history (issue, revoke, reinstate, renew,
-- lapse) is in audit_events.
--
-- vendor_keys: one Ed25519 key pair per vendor, created on first use. The private key is sealed with
-- the application's sealbox keyring (AES-256-GCM, PEERACADEMY_ENCRYPTION_KEYS), bound to the vendor
-- id; public_key is the raw 32-byte key in standard base64 and kid names it in JWS headers and the
-- published JWKS.
CREATE TABLE vendor_keys (
    vendor_id          TEXT PRIMARY KEY REFERENCES vendors (id),
    kid                TEXT NOT NULL UNIQUE,
    public_key         TEXT NOT NULL,
    private_key_sealed TEXT NOT NULL,
    created_at         {{.TS}} NOT NULL
);
--bun:split
-- Numbering: one row per vendor and year, advanced with one INSERT ... ON CONFLICT DO UPDATE ...
-- RETURNING in the issuing transaction (atomic on both databases; a rolled-back issue leaves no gap).
CREATE TABLE certificate_sequences (
    vendor_id TEXT NOT NULL REFERENCES vendors (id),
    year      INTEGER NOT NULL,
    last      INTEGER NOT NULL CHECK (last > 0),
    PRIMARY KEY (vendor_id, year)
);
--bun:split
-- The exam evidence is a snapshot taken at issue (for the completion record). valid_from is the start
-- of the current validity (issued_at, then the previous expiry after each renewal); CE cycles are
-- counted from the Pennsylvania calendar date of issued_at. status is stored as active or revoked;
-- expired and lapsed are derived (expires_at passed; lapsed_at set).
CREATE TABLE certificates (
    id                    TEXT PRIMARY KEY,
    number                TEXT NOT NULL UNIQUE,
    verify_code           TEXT NOT NULL UNIQUE,
    candidate_id          TEXT NOT NULL REFERENCES users (id),
    vendor_id             TEXT NOT NULL REFERENCES vendors (id),
    holder_name           TEXT NOT NULL,
    holder_last_name_norm TEXT NOT NULL,
    credential            TEXT NOT NULL,
    track                 TEXT NOT NULL DEFAULT '',
    issued_at             {{.TS}} NOT NULL,
    valid_from            {{.TS}} NOT NULL,
    expires_at            {{.TS}} NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    revoked_at            {{.TS}},
    revoked_reason        TEXT NOT NULL DEFAULT '',
    curriculum_version    TEXT NOT NULL DEFAULT '',
    written_attempt_id    TEXT NOT NULL DEFAULT '',
    written_percent       {{if .Postgres}}DOUBLE PRECISION{{else}}REAL{{end}} NOT NULL DEFAULT 0,
    written_passed_at     {{.TS}},
    oral_grade_id         TEXT NOT NULL DEFAULT '',
    oral_total            INTEGER NOT NULL DEFAULT 0,
    oral_max              INTEGER NOT NULL DEFAULT 0,
    oral_passed_at        {{.TS}},
    training_minutes      INTEGER NOT NULL DEFAULT 0,
    course_start          TEXT NOT NULL DEFAULT '',
    course_end            TEXT NOT NULL DEFAULT '',
    pdf_key               TEXT NOT NULL,
    credential_json       TEXT NOT NULL,
    ce_rule               TEXT NOT NULL,
    lapsed_at             {{.TS}},
    issued_by             TEXT,
    created_at            {{.TS}} NOT NULL,
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
--bun:split
-- One active certificate per candidate and vendor: the service checks first (for a clear message),
-- this index decides when two administrators issue at the same moment.
CREATE UNIQUE INDEX certificates_one_active_idx ON certificates (candidate_id, vendor_id) WHERE status = 'active';
--bun:split
CREATE INDEX certificates_vendor_idx ON certificates (vendor_id, status, expires_at);
--bun:split
CREATE INDEX certificates_candidate_idx ON certificates (candidate_id, issued_at);
--bun:split
-- Hours are stored in hundredths (1.25 -> 125), exactly, in a portable integer. date is the
-- YYYY-MM-DD on which the activity took place.
CREATE TABLE ce_activities (
    id               TEXT PRIMARY KEY,
    certificate_id   TEXT NOT NULL REFERENCES certificates (id),
    holder_id        TEXT NOT NULL REFERENCES users (id),
    vendor_id        TEXT NOT NULL REFERENCES vendors (id),
    title            TEXT NOT NULL,
    provider         TEXT NOT NULL,
    date             TEXT NOT NULL,
    hours_hundredths INTEGER NOT NULL CHECK (hours_hundredths > 0 AND hours_hundredths <= 4000),
    category         TEXT NOT NULL CHECK (category IN ('peer_support_recovery', 'ethics', 'general')),
    proof_key        TEXT UNIQUE,
    status           TEXT NOT NULL CHECK (status IN ('submitted', 'verified', 'rejected')),
    reviewed_by      TEXT,
    reviewed_at      {{.TS}},
    review_reason    TEXT NOT NULL DEFAULT '',
    created_at       {{.TS}} NOT NULL
);
--bun:split
CREATE INDEX ce_activities_certificate_idx ON ce_activities (certificate_id, date);
--bun:split
CREATE INDEX ce_activities_queue_idx ON ce_activities (vendor_id, status, created_at);

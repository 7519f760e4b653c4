-- The oral exam: per-vendor settings, trainers' slots, candidates' bookings (one active booking per
-- slot and per candidate, decided by partial unique indexes), trainers' calendar feeds and grades.
-- Grades are never updated: a correction is a new row that amends the one it corrects.
CREATE TABLE oral_settings (
    vendor_id        TEXT PRIMARY KEY REFERENCES vendors (id),
    cutoff_hours     INTEGER NOT NULL DEFAULT 24 CHECK (cutoff_hours BETWEEN 0 AND 720),
    retake_wait_days INTEGER NOT NULL DEFAULT 14 CHECK (retake_wait_days BETWEEN 0 AND 365),
    updated_by       TEXT,
    updated_at       {{.TS}} NOT NULL
);
--bun:split
CREATE TABLE oral_slots (
    id            TEXT PRIMARY KEY,
    vendor_id     TEXT NOT NULL REFERENCES vendors (id),
    trainer_id    TEXT NOT NULL REFERENCES users (id),
    starts_at     {{.TS}} NOT NULL,
    ends_at       {{.TS}} NOT NULL,
    mode          TEXT NOT NULL CHECK (mode IN ('in_person', 'virtual')),
    location      TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'cancelled')),
    cancel_reason TEXT NOT NULL DEFAULT '',
    cancelled_at  {{.TS}},
    cancelled_by  TEXT,
    created_by    TEXT,
    created_at    {{.TS}} NOT NULL,
    CHECK (ends_at > starts_at)
);
--bun:split
CREATE INDEX oral_slots_trainer_idx ON oral_slots (trainer_id, status, starts_at);
--bun:split
CREATE INDEX oral_slots_vendor_idx ON oral_slots (vendor_id, status, starts_at);
--bun:split
CREATE TABLE oral_bookings (
    id            TEXT PRIMARY KEY,
    slot_id       TEXT NOT NULL REFERENCES oral_slots (id),
    candidate_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status        TEXT NOT NULL CHECK (status IN ('active', 'cancelled', 'no_show', 'completed')),
    booked_at     {{.TS}} NOT NULL,
    cancelled_at  {{.TS}},
    cancelled_by  TEXT,
    cancel_reason TEXT NOT NULL DEFAULT '',
    reminded_at   {{.TS}}
);
--bun:split
-- The database decides races: one active booking per slot, one per candidate.
CREATE UNIQUE INDEX oral_bookings_slot_active_idx ON oral_bookings (slot_id) WHERE status = 'active';
--bun:split
CREATE UNIQUE INDEX oral_bookings_candidate_active_idx ON oral_bookings (candidate_id) WHERE status = 'active';
--bun:split
CREATE INDEX oral_bookings_slot_idx ON oral_bookings (slot_id, status);
--bun:split
CREATE INDEX oral_bookings_candidate_idx ON oral_bookings (candidate_id, booked_at);
--bun:split
CREATE INDEX oral_bookings_reminder_idx ON oral_bookings (status, reminded_at);
--bun:split
-- Only the SHA-256 of a feed token is stored. One live feed per trainer.
CREATE TABLE oral_feeds (
    id         TEXT PRIMARY KEY,
    trainer_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at {{.TS}} NOT NULL,
    revoked_at {{.TS}}
);
--bun:split
CREATE UNIQUE INDEX oral_feeds_live_idx ON oral_feeds (trainer_id) WHERE revoked_at IS NULL;
--bun:split
-- scores and notes are JSON objects keyed by competency id. trainer_id is the examiner (the slot's
-- trainer); graded_by is who submitted the row (the examiner or a vendor administrator).
CREATE TABLE oral_grades (
    id               TEXT PRIMARY KEY,
    booking_id       TEXT NOT NULL REFERENCES oral_bookings (id) ON DELETE CASCADE,
    candidate_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    vendor_id        TEXT NOT NULL REFERENCES vendors (id),
    trainer_id       TEXT NOT NULL REFERENCES users (id),
    graded_by        TEXT NOT NULL REFERENCES users (id),
    scores           TEXT NOT NULL,
    notes            TEXT NOT NULL DEFAULT '{}',
    feedback         TEXT NOT NULL DEFAULT '',
    total            INTEGER NOT NULL,
    passed           BOOLEAN NOT NULL,
    rubric_version   TEXT NOT NULL,
    submitted_at     {{.TS}} NOT NULL,
    amends_id        TEXT REFERENCES oral_grades (id),
    amendment_reason TEXT NOT NULL DEFAULT '',
    CHECK ((amends_id IS NULL AND amendment_reason = '') OR (amends_id IS NOT NULL AND amendment_reason <> ''))
);
--bun:split
-- A booking is graded once; each grade is amended at most once, so the amendments of a booking form
-- one chain whose last row is the effective grade.
CREATE UNIQUE INDEX oral_grades_first_idx ON oral_grades (booking_id) WHERE amends_id IS NULL;
--bun:split
CREATE UNIQUE INDEX oral_grades_amends_idx ON oral_grades (amends_id) WHERE amends_id IS NOT NULL;
--bun:split
CREATE INDEX oral_grades_candidate_idx ON oral_grades (candidate_id, submitted_at);
--bun:split
CREATE INDEX oral_grades_booking_idx ON oral_grades (booking_id, submitted_at);
--bun:split
{{if .Postgres}}
CREATE FUNCTION oral_grades_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'oral_grades cannot be updated: submit an amendment';
END;
$$;
--bun:split
CREATE TRIGGER oral_grades_no_update BEFORE UPDATE ON oral_grades
    FOR EACH ROW EXECUTE FUNCTION oral_grades_no_update();
{{else}}
CREATE TRIGGER oral_grades_no_update BEFORE UPDATE ON oral_grades
BEGIN
    SELECT RAISE(ABORT, 'oral_grades cannot be updated: submit an amendment');
END;
{{end}}

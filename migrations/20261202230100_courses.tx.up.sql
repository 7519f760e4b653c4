-- The course catalogue beyond the ten days (issue #17; package catalog owns these tables).
--
-- course_offerings: a vendor offers a catalogue course (content/courses/<slug>) with its settings:
-- the pass mark (default: the course's), attempts allowed (0: no limit) and a time limit per attempt
-- in minutes (0: none).
CREATE TABLE course_offerings (
    id                 TEXT PRIMARY KEY,
    vendor_id          TEXT NOT NULL REFERENCES vendors (id),
    course_slug        TEXT NOT NULL,
    pass_percent       INTEGER NOT NULL CHECK (pass_percent BETWEEN 1 AND 100),
    attempts_allowed   INTEGER NOT NULL DEFAULT 0 CHECK (attempts_allowed >= 0),
    time_limit_minutes INTEGER NOT NULL DEFAULT 0 CHECK (time_limit_minutes >= 0),
    created_at         {{.TS}} NOT NULL,
    updated_at         {{.TS}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX course_offerings_vendor_course_idx ON course_offerings (vendor_id, course_slug);
--bun:split
-- course_enrolments: a certified holder in an offered course, self-paced. One enrolment per holder
-- and course. completed_at is set once every module is done and an attempt passed; the completion
-- then credits CE hours (ce_activity_id) or adds an endorsement to certificate_id.
CREATE TABLE course_enrolments (
    id             TEXT PRIMARY KEY,
    offering_id    TEXT NOT NULL REFERENCES course_offerings (id),
    vendor_id      TEXT NOT NULL REFERENCES vendors (id),
    course_slug    TEXT NOT NULL,
    holder_id      TEXT NOT NULL REFERENCES users (id),
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    enrolled_by    TEXT NOT NULL REFERENCES users (id),
    created_at     {{.TS}} NOT NULL,
    completed_at   {{.TS}},
    attempt_id     TEXT,
    ce_activity_id TEXT
);
--bun:split
CREATE UNIQUE INDEX course_enrolments_holder_course_idx ON course_enrolments (holder_id, course_slug);
--bun:split
CREATE INDEX course_enrolments_vendor_idx ON course_enrolments (vendor_id, course_slug);
--bun:split
-- course_module_progress: a module marked done.
CREATE TABLE course_module_progress (
    enrolment_id TEXT NOT NULL REFERENCES course_enrolments (id),
    module_slug  TEXT NOT NULL,
    done_at      {{.TS}} NOT NULL,
    PRIMARY KEY (enrolment_id, module_slug)
);
--bun:split
-- course_attempts: one sitting of the final assessment. form is exam.Form as JSON (items and option
-- order, no keys); deadline is fixed when the attempt starts (NULL: no time limit); the result
-- columns are filled when it is graded (finished_at not NULL).
CREATE TABLE course_attempts (
    id           TEXT PRIMARY KEY,
    enrolment_id TEXT NOT NULL REFERENCES course_enrolments (id),
    holder_id    TEXT NOT NULL REFERENCES users (id),
    number       INTEGER NOT NULL,
    form         TEXT NOT NULL,
    pass_percent INTEGER NOT NULL,
    started_at   {{.TS}} NOT NULL,
    deadline     {{.TS}},
    finished_at  {{.TS}},
    correct      INTEGER NOT NULL DEFAULT 0,
    total        INTEGER NOT NULL DEFAULT 0,
    passed       BOOLEAN NOT NULL DEFAULT FALSE
);
--bun:split
CREATE UNIQUE INDEX course_attempts_number_idx ON course_attempts (enrolment_id, number);
--bun:split
-- course_answers: autosaved choices (ORIGINAL option indexes as a JSON array), one row per item,
-- written with INSERT ... ON CONFLICT.
CREATE TABLE course_answers (
    attempt_id TEXT NOT NULL REFERENCES course_attempts (id),
    item_id    TEXT NOT NULL,
    choice     TEXT NOT NULL,
    saved_at   {{.TS}} NOT NULL,
    PRIMARY KEY (attempt_id, item_id)
);
--bun:split
-- CE activities credited by a course completion: not the holder's to edit, not the vendor's to
-- review (the completion verifies them).
ALTER TABLE ce_activities ADD COLUMN course_slug TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE ce_activities ADD COLUMN enrolment_id TEXT;

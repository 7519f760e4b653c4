-- Oral exams graded consistently (issue 11, point 5).
-- A vendor may require two examiners; each grade records the rubric scenario it was given with and
-- its seat on the booking's panel: 1 (the first or only examiner), 2 (the second examiner) or 3 (the
-- deciding examiner when the first two disagree on pass or fail). panel is how many examiners the
-- booking needed when its first grade was recorded (1 or 2), copied to every later grade of it.
-- Grades older than this migration were given before scenarios were recorded: scenario_id ''.
ALTER TABLE oral_settings ADD COLUMN two_examiners BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
ALTER TABLE oral_grades ADD COLUMN scenario_id TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE oral_grades ADD COLUMN seat INTEGER NOT NULL DEFAULT 1 CHECK (seat BETWEEN 1 AND 3);
--bun:split
ALTER TABLE oral_grades ADD COLUMN panel INTEGER NOT NULL DEFAULT 1 CHECK (panel IN (1, 2));
--bun:split
-- One first grade per seat (each amended into one chain as before), and never two seats for one
-- examiner: the examiners of a booking are different people.
DROP INDEX oral_grades_first_idx;
--bun:split
CREATE UNIQUE INDEX oral_grades_seat_idx ON oral_grades (booking_id, seat) WHERE amends_id IS NULL;
--bun:split
CREATE UNIQUE INDEX oral_grades_examiner_idx ON oral_grades (booking_id, trainer_id) WHERE amends_id IS NULL;
--bun:split
-- An examiner may not grade a candidate from a cohort they taught unless a vendor administrator
-- records an exception, for every exam of the candidate (booking_id NULL) or for one booking.
CREATE TABLE oral_examiner_exceptions (
    id           TEXT PRIMARY KEY,
    vendor_id    TEXT NOT NULL REFERENCES vendors (id),
    examiner_id  TEXT NOT NULL REFERENCES users (id),
    candidate_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    booking_id   TEXT REFERENCES oral_bookings (id) ON DELETE CASCADE,
    reason       TEXT NOT NULL CHECK (reason <> ''),
    created_by   TEXT NOT NULL REFERENCES users (id),
    created_at   {{.TS}} NOT NULL
);
--bun:split
CREATE INDEX oral_examiner_exceptions_pair_idx ON oral_examiner_exceptions (examiner_id, candidate_id);
--bun:split
CREATE INDEX oral_examiner_exceptions_vendor_idx ON oral_examiner_exceptions (vendor_id, created_at);

-- Back to one examiner per booking: the second and deciding grades (and their amendments) are lost.
DROP TABLE IF EXISTS oral_examiner_exceptions;
--bun:split
DROP INDEX IF EXISTS oral_grades_examiner_idx;
--bun:split
DROP INDEX IF EXISTS oral_grades_seat_idx;
--bun:split
DELETE FROM oral_grades WHERE seat > 1;
--bun:split
CREATE UNIQUE INDEX oral_grades_first_idx ON oral_grades (booking_id) WHERE amends_id IS NULL;
--bun:split
ALTER TABLE oral_grades DROP COLUMN panel;
--bun:split
ALTER TABLE oral_grades DROP COLUMN seat;
--bun:split
ALTER TABLE oral_grades DROP COLUMN scenario_id;
--bun:split
ALTER TABLE oral_settings DROP COLUMN two_examiners;

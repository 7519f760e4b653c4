DROP TABLE IF EXISTS oral_grades;
--bun:split
{{if .Postgres}}
DROP FUNCTION IF EXISTS oral_grades_no_update();
--bun:split
{{end}}
DROP TABLE IF EXISTS oral_feeds;
--bun:split
DROP TABLE IF EXISTS oral_bookings;
--bun:split
DROP TABLE IF EXISTS oral_slots;
--bun:split
DROP TABLE IF EXISTS oral_settings;

{{if .Postgres}}
DROP TRIGGER IF EXISTS cohort_sessions_changes ON cohort_sessions;
--bun:split
DROP TRIGGER IF EXISTS enrollments_changes ON enrollments;
--bun:split
DROP TRIGGER IF EXISTS sessions_changes ON sessions;
--bun:split
DROP TRIGGER IF EXISTS users_changes ON users;
--bun:split
DROP FUNCTION IF EXISTS peeracademy_notify_change();
{{else}}
SELECT 1;
{{end}}

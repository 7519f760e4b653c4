{{if .Postgres}}
DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events;
--bun:split
DROP FUNCTION IF EXISTS audit_events_append_only();
--bun:split
{{end}}
DROP TABLE IF EXISTS audit_events;
--bun:split
DROP TABLE IF EXISTS outbox_emails;
--bun:split
DROP TABLE IF EXISTS rate_limits;
--bun:split
DROP TABLE IF EXISTS user_tokens;
--bun:split
DROP TABLE IF EXISTS sessions;
--bun:split
DROP TABLE IF EXISTS recovery_codes;
--bun:split
DROP TABLE IF EXISTS users;
--bun:split
DROP TABLE IF EXISTS vendors;
--bun:split
DROP TABLE IF EXISTS settings;

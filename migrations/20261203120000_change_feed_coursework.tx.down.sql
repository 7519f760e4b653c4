{{if .Postgres}}
DROP TRIGGER IF EXISTS module_progress_changes ON module_progress;
--bun:split
DROP TRIGGER IF EXISTS makeup_work_changes ON makeup_work;
--bun:split
DROP TRIGGER IF EXISTS attendance_changes ON attendance;
--bun:split
DROP TRIGGER IF EXISTS cohorts_changes ON cohorts;
{{else}}
SELECT 1;
{{end}}

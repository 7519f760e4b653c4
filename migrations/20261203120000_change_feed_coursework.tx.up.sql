-- The written exam's gate caches each candidate's coursework answer (internal/standing,
-- CacheCoursework); on PostgreSQL these triggers tell every instance when what it was computed from
-- changes. SQLite's hooks see these tables once they are in database.Watched.
{{if .Postgres}}
CREATE TRIGGER cohorts_changes AFTER UPDATE OR DELETE ON cohorts
    FOR EACH ROW EXECUTE FUNCTION peeracademy_notify_change('id');
--bun:split
CREATE TRIGGER attendance_changes AFTER INSERT OR UPDATE OR DELETE ON attendance
    FOR EACH ROW EXECUTE FUNCTION peeracademy_notify_change('candidate_id');
--bun:split
CREATE TRIGGER makeup_work_changes AFTER INSERT OR UPDATE OR DELETE ON makeup_work
    FOR EACH ROW EXECUTE FUNCTION peeracademy_notify_change('candidate_id');
--bun:split
CREATE TRIGGER module_progress_changes AFTER INSERT OR UPDATE OR DELETE ON module_progress
    FOR EACH ROW EXECUTE FUNCTION peeracademy_notify_change('candidate_id');
{{else}}
SELECT 1;
{{end}}

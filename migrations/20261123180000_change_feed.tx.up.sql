-- Change feed for in-process caches (see internal/database/changes.go). On PostgreSQL, writes to the
-- watched tables notify every instance when they commit; on SQLite the connection's own hooks see
-- every write, so there is nothing to create.
{{if .Postgres}}
CREATE FUNCTION peeracademy_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    col  text := TG_ARGV[0];
    oldk text;
    newk text;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        oldk := to_jsonb(OLD) ->> col;
        PERFORM pg_notify('peeracademy_changes', TG_TABLE_NAME || ':' || coalesce(oldk, ''));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        newk := to_jsonb(NEW) ->> col;
        IF TG_OP = 'INSERT' OR newk IS DISTINCT FROM oldk THEN
            PERFORM pg_notify('peeracademy_changes', TG_TABLE_NAME || ':' || coalesce(newk, ''));
        END IF;
    END IF;
    RETURN NULL;
END;
$$;
--bun:split
CREATE TRIGGER users_changes AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION peeracademy_notify_change('id');
--bun:split
CREATE TRIGGER sessions_changes AFTER UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION peeracademy_notify_change('id');
--bun:split
CREATE TRIGGER enrollments_changes AFTER INSERT OR UPDATE OR DELETE ON enrollments
    FOR EACH ROW EXECUTE FUNCTION peeracademy_notify_change('candidate_id');
--bun:split
CREATE TRIGGER cohort_sessions_changes AFTER INSERT OR UPDATE OR DELETE ON cohort_sessions
    FOR EACH ROW EXECUTE FUNCTION peeracademy_notify_change('cohort_id');
{{else}}
SELECT 1;
{{end}}

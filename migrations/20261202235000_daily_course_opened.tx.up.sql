-- When the "course opens" email went to an enrolled candidate (once per enrolment; issue #14).
ALTER TABLE enrollments ADD COLUMN opened_mail_at {{.TS}};

ALTER TABLE enrollments DROP COLUMN opened_mail_at;

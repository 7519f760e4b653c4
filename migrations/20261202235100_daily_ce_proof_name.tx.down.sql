ALTER TABLE ce_activities DROP COLUMN proof_filename;

-- The file name a holder gave a CE proof, so its download keeps it (issue #14).
ALTER TABLE ce_activities ADD COLUMN proof_filename TEXT NOT NULL DEFAULT '';

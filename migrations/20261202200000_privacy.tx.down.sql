ALTER TABLE users DROP COLUMN deleted_at;
--bun:split
DROP TABLE IF EXISTS data_exports;

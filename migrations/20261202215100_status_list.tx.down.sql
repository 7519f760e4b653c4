DROP INDEX certificates_status_index_idx;
--bun:split
ALTER TABLE certificates DROP COLUMN status_index;
--bun:split
DROP TABLE status_lists;

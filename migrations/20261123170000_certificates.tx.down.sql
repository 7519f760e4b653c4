DROP TABLE IF EXISTS ce_activities;
--bun:split
DROP TABLE IF EXISTS certificates;
--bun:split
DROP TABLE IF EXISTS certificate_sequences;
--bun:split
DROP TABLE IF EXISTS vendor_keys;

DROP TABLE IF EXISTS exam_retired_items;
--bun:split
DROP TABLE IF EXISTS exam_answers;
--bun:split
DROP TABLE IF EXISTS exam_attempts;
--bun:split
DROP TABLE IF EXISTS exam_gate_overrides;
--bun:split
DROP TABLE IF EXISTS exam_accommodations;
--bun:split
DROP TABLE IF EXISTS exam_settings;

DROP TABLE IF EXISTS media_files;
--bun:split
DROP TABLE IF EXISTS makeup_work;
--bun:split
DROP TABLE IF EXISTS attendance;
--bun:split
DROP TABLE IF EXISTS module_progress;
--bun:split
DROP TABLE IF EXISTS enrollments;
--bun:split
DROP TABLE IF EXISTS cohort_trainers;
--bun:split
DROP TABLE IF EXISTS cohort_sessions;
--bun:split
DROP TABLE IF EXISTS cohorts;

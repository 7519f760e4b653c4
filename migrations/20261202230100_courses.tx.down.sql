ALTER TABLE ce_activities DROP COLUMN enrolment_id;
--bun:split
ALTER TABLE ce_activities DROP COLUMN course_slug;
--bun:split
DROP TABLE course_answers;
--bun:split
DROP TABLE course_attempts;
--bun:split
DROP TABLE course_module_progress;
--bun:split
DROP TABLE course_enrolments;
--bun:split
DROP TABLE course_offerings;

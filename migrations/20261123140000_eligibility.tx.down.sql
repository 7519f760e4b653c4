DROP TABLE IF EXISTS application_documents;
--bun:split
DROP TABLE IF EXISTS application_courses;
--bun:split
DROP TABLE IF EXISTS application_positions;
--bun:split
DROP TABLE IF EXISTS applications;

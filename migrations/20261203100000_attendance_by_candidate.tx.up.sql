-- A candidate's attendance is read by candidate (the coursework check of the written exam's gate, the
-- candidate's standing); the primary key (cohort_id, day, candidate_id) made that read walk every row
-- of the cohort: 29 ms a call with 2,000 candidates in one cohort, the costliest statement of an exam
-- start burst (README, "Load test"). Deleting a user (ON DELETE CASCADE) uses it too.
CREATE INDEX attendance_candidate_idx ON attendance (candidate_id, cohort_id);

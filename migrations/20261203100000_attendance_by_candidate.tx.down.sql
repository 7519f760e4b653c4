DROP INDEX attendance_candidate_idx;

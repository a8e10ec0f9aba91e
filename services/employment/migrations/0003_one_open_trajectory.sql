-- A person has at most one open development trajectory: a PW contract
-- starts one "unless one is still open". The push checks that in its
-- transaction; on PostgreSQL two pushes at once (READ COMMITTED) could
-- each see none and each open one. This key refuses the second, and the
-- push that loses is answered ABORTED and sent again.
CREATE UNIQUE INDEX trajectories_one_open_per_candidate ON trajectories (candidate_id) WHERE completion_date IS NULL;

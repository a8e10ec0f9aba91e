-- Indexes for the figures at national scale (issue 8): trajectories
-- completed in a period are found by date, not by a scan; the nieuw
-- beschut contracts (a fifth of all) by their doelgroep and start.
CREATE INDEX trajectories_by_completion ON trajectories (completion_date);
CREATE INDEX contracts_by_doelgroep ON contracts (doelgroep, start_date);

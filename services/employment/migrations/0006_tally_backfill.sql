-- The figures kept on write (src/tallies.rs) for the contracts,
-- trajectories and activities stored before they were kept: the same rows,
-- computed from the stored facts. `tally_months` follows from these days
-- in the next migration.

-- STARTED: a trajectory once, on the start date of the PW contract that
-- started it, in its paying municipality, keyed by the contract's
-- classification (store::classification_key joins the same five columns).
INSERT INTO tally_days (figure, part, municipality_code, day, key, n)
SELECT 'started', '', COALESCE(c.municipality_code, ''), c.start_date,
       c.soort_plaatsing || '|' || c.doelgroep || '|' || c.uitstroomprofiel || '|' || c.loonwaarde || '|' || c.werkladder_step,
       COUNT(*)
FROM contracts c JOIN trajectories t ON t.hr_contract_id = c.hr_contract_id
WHERE c.kind = 'PW' AND c.soort_plaatsing IS NOT NULL
GROUP BY COALESCE(c.municipality_code, ''), c.start_date,
         c.soort_plaatsing, c.doelgroep, c.uitstroomprofiel, c.loonwaarde, c.werkladder_step;

-- COMPLETED: a completed trajectory once, on its completion date, keyed
-- "result|uitstroomprofiel" of the contract that started it.
INSERT INTO tally_days (figure, part, municipality_code, day, key, n)
SELECT 'completed', '', COALESCE(c.municipality_code, ''), t.completion_date,
       t.result || '|' || COALESCE(c.uitstroomprofiel, ''),
       COUNT(*)
FROM trajectories t JOIN contracts c ON c.hr_contract_id = t.hr_contract_id
WHERE t.completion_date IS NOT NULL AND t.result IS NOT NULL
GROUP BY COALESCE(c.municipality_code, ''), t.completion_date, t.result, COALESCE(c.uitstroomprofiel, '');

-- ACTIVITIES: an activity once, on its date, keyed by its kind.
INSERT INTO tally_days (figure, part, municipality_code, day, key, n)
SELECT 'activities', '', municipality_code, activity_date, kind, COUNT(*)
FROM activities
GROUP BY municipality_code, activity_date, kind;

-- Covering indexes for the report's aggregates, so they read no table
-- rows at national scale (a million registrations, five million status
-- entries):
-- * registrations per municipality and year (area counts): municipality
--   and date as before, with youth, so the count reads the index alone
--   (not with the id too: ids are random, and a random key under one
--   municipality and date made bulk imports three times slower);
-- * the latest unsuperseded status on a date per registration (cohort
--   figures): the MAX(ordinal) subquery and the join read only this index.
-- The old municipality index is a prefix of the new one.
CREATE INDEX registrations_by_municipality_youth ON registrations (municipality_code, registration_date, youth);
DROP INDEX registrations_by_municipality;
CREATE INDEX status_entries_current ON status_entries (registration_id, superseded_by_seq, ordinal, effective_date, status, terugmelding_reason);

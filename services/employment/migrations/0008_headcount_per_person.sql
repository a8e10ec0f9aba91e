-- The headcount kept on write (src/headcount.rs). A person's contracts are
-- counted as one: what they add to the figures is kept with the person, to
-- be taken back when any of them changes.
--
-- `counted`: the JSON of tallies::PersonCounts. `apart`: the categories
-- (contract kinds, BESCHUT) the person is counted in from the contracts
-- when asked instead (contracts of one category in more than one
-- municipality: a distinct count over a scope is no sum over its
-- municipalities), joined by '|'; '' for none.
CREATE TABLE headcount_persons (
    candidate_id TEXT PRIMARY KEY,
    counted TEXT NOT NULL,
    apart TEXT NOT NULL
);
CREATE INDEX headcount_persons_apart ON headcount_persons (candidate_id) WHERE apart <> '';

-- Persons whose contracts changed since they were counted. A push adds
-- them with its contracts; a task beside the server counts them again, and
-- every headcount figure first counts those still here.
CREATE TABLE headcount_due (candidate_id TEXT PRIMARY KEY);

-- A store written before: everybody is due.
INSERT INTO headcount_due (candidate_id) SELECT DISTINCT candidate_id FROM contracts;

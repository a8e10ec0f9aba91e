-- The headcount kept on write (src/headcount.rs). A person's contracts are
-- counted together: a push takes back what the person's contracts added
-- before it and adds what they add after it.
--
-- The persons counted from their contracts when asked, per category
-- (contract kinds, BESCHUT: `categories`, joined by '|'): those with
-- contracts of one category in more than one municipality, whom a distinct
-- count over a scope cannot take as a sum over its municipalities.
CREATE TABLE headcount_apart (
    candidate_id TEXT PRIMARY KEY,
    categories TEXT NOT NULL
);

-- Persons not counted yet: a store written before is counted once, by a
-- task beside the server, and by every headcount figure before it sums.
CREATE TABLE headcount_due (candidate_id TEXT PRIMARY KEY);
INSERT INTO headcount_due (candidate_id) SELECT DISTINCT candidate_id FROM contracts;

-- A municipality's figures (its quarterly report) read its contracts by
-- date. With the dates, the kind and the person in the index, the
-- headcount per kind reads no table rows (one b-tree instead of a lookup
-- per contract), and neither does the search for persons whose PW spells
-- start or end in a period. It replaces the index on the
-- municipality alone (a prefix of this one), so a push still writes the
-- same number of indexes.
CREATE INDEX contracts_by_municipality_dates ON contracts (municipality_code, start_date, end_date, kind, candidate_id);
DROP INDEX contracts_by_municipality;

-- The beschut figures read every running nieuw beschut PW contract (at
-- national volume 110,000-140,000 a date, for every date a report asks):
-- person, contract, dates, hours, paying municipality and instroom trede.
-- This index holds exactly those contracts and those columns, so the read
-- is one walk of a small b-tree in date order instead of a lookup of each
-- contract's whole row. It replaces the index on (doelgroep, start_date),
-- which only that read used; other contracts are not in it, so a push of
-- them writes one index fewer. Queries must name the kind and doelgroep as
-- literals for the planner to know they imply the index's condition.
CREATE INDEX contracts_beschut ON contracts
    (start_date, end_date, candidate_id, hr_contract_id, hours_per_week, municipality_code, werkladder_step)
    WHERE kind = 'PW' AND doelgroep = 'NIEUW_BESCHUT';
DROP INDEX contracts_by_doelgroep;

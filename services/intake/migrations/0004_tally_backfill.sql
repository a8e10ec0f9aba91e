-- The figures kept on write (src/tallies.rs) for the registrations stored
-- before they were kept: the same rows, computed from the stored
-- histories. `tally_months` follows from these days in the next migration.

-- REGISTERED: one per registration on its registration date, keyed by youth.
INSERT INTO tally_days (figure, part, municipality_code, day, key, n)
SELECT 'registered', '', municipality_code, registration_date, CAST(youth AS TEXT), COUNT(*)
FROM registrations
GROUP BY municipality_code, registration_date, youth;

-- STATUS, per cohort (the registration year): each entry of the effective
-- history counts from its effective date (+1) up to the next entry's (-1).
INSERT INTO tally_days (figure, part, municipality_code, day, key, n)
SELECT 'status', substr(r.registration_date, 1, 4), r.municipality_code, s.day,
       CAST(r.youth AS TEXT) || '|' || s.status || '|' || COALESCE(s.reason, ''),
       CAST(SUM(s.n) AS BIGINT)
FROM (
    SELECT registration_id, effective_date AS day, status, terugmelding_reason AS reason, 1 AS n
    FROM status_entries WHERE superseded_by_seq IS NULL
    UNION ALL
    SELECT registration_id, next_date, status, reason, -1
    FROM (
        SELECT registration_id, status, terugmelding_reason AS reason,
               LEAD(effective_date) OVER (PARTITION BY registration_id ORDER BY ordinal) AS next_date
        FROM status_entries WHERE superseded_by_seq IS NULL
    ) spans
    WHERE next_date IS NOT NULL
) s
JOIN registrations r ON r.id = s.registration_id
GROUP BY substr(r.registration_date, 1, 4), r.municipality_code, s.day,
         CAST(r.youth AS TEXT) || '|' || s.status || '|' || COALESCE(s.reason, '')
HAVING SUM(s.n) <> 0;

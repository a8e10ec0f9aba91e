-- Intake's store. Portable SQL: it runs on SQLite and PostgreSQL alike.
-- Dates are TEXT 'YYYY-MM-DD' (they sort as dates do), flags BIGINT 0/1,
-- timestamps TEXT RFC 3339.

-- Candidates: the only place a BSN is stored.
CREATE TABLE candidates (
    id TEXT PRIMARY KEY,
    bsn TEXT NOT NULL UNIQUE,
    birth_date TEXT NOT NULL,
    municipality_code TEXT NOT NULL,
    request_id TEXT UNIQUE,
    created_at TEXT NOT NULL
);

-- Basispakket registrations. Pluspakket registrations have their own table,
-- so no query over this one can count them.
CREATE TABLE registrations (
    id TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL REFERENCES candidates (id),
    municipality_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    voortraject_kind TEXT,
    registration_date TEXT NOT NULL,
    youth BIGINT NOT NULL,
    -- Bumped by every status change: two concurrent changes cannot both
    -- pass the state machine against the same history.
    version BIGINT NOT NULL,
    request_id TEXT UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX registrations_by_date ON registrations (registration_date, id);
CREATE INDEX registrations_by_municipality ON registrations (municipality_code, registration_date);
CREATE INDEX registrations_by_candidate ON registrations (candidate_id);

-- The status history, append-only. `seq` numbers entries in the order they
-- were recorded; `ordinal` is the entry's place in the history. A correction
-- takes the ordinal of the entry it corrects, which gets `superseded_by_seq`;
-- the effective history is the entries not superseded, by ordinal.
CREATE TABLE status_entries (
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    seq BIGINT NOT NULL,
    ordinal BIGINT NOT NULL,
    status TEXT NOT NULL,
    terugmelding_reason TEXT,
    effective_date TEXT NOT NULL,
    note TEXT NOT NULL,
    request_id TEXT UNIQUE,
    recorded_at TEXT NOT NULL,
    corrects_seq BIGINT,
    correction_reason TEXT,
    superseded_by_seq BIGINT,
    PRIMARY KEY (registration_id, seq)
);
CREATE INDEX status_entries_effective ON status_entries (registration_id, ordinal, effective_date);

CREATE TABLE pluspakket_registrations (
    id TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL REFERENCES candidates (id),
    municipality_code TEXT NOT NULL,
    service_code TEXT NOT NULL,
    registration_date TEXT NOT NULL,
    request_id TEXT UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX pluspakket_by_date ON pluspakket_registrations (registration_date, id);

-- Import batches already taken, so a batch sent twice is imported once.
CREATE TABLE import_batches (
    request_id TEXT PRIMARY KEY,
    registration_ids TEXT NOT NULL,
    imported_at TEXT NOT NULL
);

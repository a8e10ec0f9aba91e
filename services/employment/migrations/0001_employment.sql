-- Employment's store. Portable SQL for SQLite and PostgreSQL. Dates are
-- TEXT 'YYYY-MM-DD'; decimals (hours, percentages) TEXT in plain notation,
-- exact; no BSN anywhere: people are intake's candidate ids.

-- Contracts as HR pushed them last. `fingerprint` is a canonical text of
-- every fact, so an identical push is recognised without a field compare.
CREATE TABLE contracts (
    hr_contract_id TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    hours_per_week TEXT NOT NULL,
    municipality_code TEXT,
    soort_plaatsing TEXT,
    doelgroep TEXT,
    uitstroomprofiel TEXT,
    -- 'FORFAITAIR' or the measured percentage at the start.
    loonwaarde TEXT,
    werkladder_step TEXT,
    fingerprint TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX contracts_by_candidate ON contracts (candidate_id);
CREATE INDEX contracts_by_municipality ON contracts (municipality_code);

-- Every version a push replaced, so a change is never lost.
CREATE TABLE contract_versions (
    hr_contract_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    candidate_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    hours_per_week TEXT NOT NULL,
    municipality_code TEXT,
    soort_plaatsing TEXT,
    doelgroep TEXT,
    uitstroomprofiel TEXT,
    loonwaarde TEXT,
    werkladder_step TEXT,
    replaced_at TEXT NOT NULL,
    PRIMARY KEY (hr_contract_id, version)
);

-- Development trajectories. The start date, municipality and the
-- uitstroomprofiel at the start are those of the contract that started it.
CREATE TABLE trajectories (
    id TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL,
    hr_contract_id TEXT NOT NULL UNIQUE REFERENCES contracts (hr_contract_id),
    completion_date TEXT,
    result TEXT
);
CREATE INDEX trajectories_by_candidate ON trajectories (candidate_id);

-- Werkladder steps, loonwaarde measurements and uitstroomprofiel changes.
CREATE TABLE development_events (
    id TEXT PRIMARY KEY,
    hr_contract_id TEXT NOT NULL REFERENCES contracts (hr_contract_id),
    effective_date TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    request_id TEXT UNIQUE,
    recorded_at TEXT NOT NULL
);
CREATE INDEX development_by_contract ON development_events (hr_contract_id, kind, effective_date);

-- Expertise and development activities.
CREATE TABLE activities (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    candidate_id TEXT,
    municipality_code TEXT NOT NULL,
    activity_date TEXT NOT NULL,
    request_id TEXT UNIQUE,
    recorded_at TEXT NOT NULL
);
CREATE INDEX activities_by_date ON activities (activity_date);

-- The outbox: "this candidate got a PW dienstverband at IBN" for intake,
-- written in the same transaction as the contract and delivered until
-- intake acknowledges. Intake applies it once per id.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    hr_contract_id TEXT NOT NULL,
    candidate_id TEXT NOT NULL,
    effective_date TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    last_error TEXT,
    delivered_at TEXT,
    result TEXT
);
CREATE INDEX outbox_pending ON outbox (delivered_at, effective_date);

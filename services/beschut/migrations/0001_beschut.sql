-- Beschut's store. Portable SQL for SQLite and PostgreSQL; dates TEXT
-- 'YYYY-MM-DD', hours TEXT exact decimals; people are candidate ids.

CREATE TABLE indications (
    id TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL,
    municipality_code TEXT NOT NULL,
    uwv_reference TEXT NOT NULL,
    granted_date TEXT NOT NULL,
    valid_until TEXT,
    end_kind TEXT,
    end_date TEXT,
    request_id TEXT UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX indications_by_candidate ON indications (candidate_id);
CREATE INDEX indications_by_municipality ON indications (municipality_code, granted_date);

-- What happened to each indication, append-only.
CREATE TABLE indication_events (
    indication_id TEXT NOT NULL REFERENCES indications (id),
    event TEXT NOT NULL,
    event_date TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX indication_events_by_indication ON indication_events (indication_id);

-- Placements at regular employers (regulier werken met vangnet).
CREATE TABLE placements (
    id TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL,
    municipality_code TEXT NOT NULL,
    employer TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    hours_per_week TEXT NOT NULL,
    request_id TEXT UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX placements_by_municipality ON placements (municipality_code, start_date);

CREATE TABLE schakeltrajecten (
    id TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL,
    municipality_code TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    request_id TEXT UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX schakeltrajecten_by_start ON schakeltrajecten (start_date);

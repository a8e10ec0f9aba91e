-- Finance's store. Portable SQL: it runs on SQLite and PostgreSQL alike.
-- Dates are TEXT 'YYYY-MM-DD' (they sort as dates do), money BIGINT whole
-- cents (never a float), other exact decimals TEXT ("3", "0.5"), flags
-- BIGINT 0/1, timestamps TEXT RFC 3339.
--
-- Allocation keys, LKS parameters and prices are reference data (a data
-- file), not tables: what is stored here are the decisions (periods,
-- lumpsums) and what was issued (invoices).

-- Budget periods (begrotingsperiodes). They never overlap; the service
-- checks that under the guard below.
CREATE TABLE budget_periods (
    id TEXT PRIMARY KEY,
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL,
    description TEXT NOT NULL,
    request_id TEXT UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX budget_periods_by_day ON budget_periods (first_day, id);

-- One row every creation of a budget period updates first: on PostgreSQL
-- the row lock makes concurrent creations check for overlaps one after the
-- other (SQLite has one writer at a time anyway).
CREATE TABLE budget_period_guard (
    id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO budget_period_guard (id, version) VALUES (1, 0);

-- The yearly lumpsum of a period: base and surcharge apart.
CREATE TABLE lumpsums (
    id TEXT PRIMARY KEY,
    budget_period_id TEXT NOT NULL REFERENCES budget_periods (id),
    year BIGINT NOT NULL,
    base_cents BIGINT NOT NULL,
    surcharge_percent TEXT NOT NULL,
    surcharge_cents BIGINT NOT NULL,
    key_year BIGINT NOT NULL,
    key_kind TEXT NOT NULL,
    request_id TEXT UNIQUE,
    created_at TEXT NOT NULL,
    UNIQUE (budget_period_id, year)
);
CREATE INDEX lumpsums_by_year ON lumpsums (year, id);

-- Issued invoices. Append-only: nothing updates or deletes a row here; a
-- correction is a new invoice (the next seq) with correction lines.
CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    municipality_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    quarter BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    total_cents BIGINT NOT NULL,
    request_id TEXT UNIQUE,
    issued_at TEXT NOT NULL,
    -- Two invoices issued at once for one quarter cannot both be number n.
    UNIQUE (municipality_code, year, quarter, seq)
);
CREATE INDEX invoices_by_year ON invoices (year, municipality_code);

CREATE TABLE invoice_lines (
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    line_number BIGINT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    description TEXT NOT NULL,
    quantity TEXT NOT NULL,
    unit_amount_cents BIGINT,
    amount_cents BIGINT NOT NULL,
    trace TEXT NOT NULL,
    correction BIGINT NOT NULL,
    PRIMARY KEY (invoice_id, line_number)
);

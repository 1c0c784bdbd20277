-- The request ledger: one row per request, and its append-only trail of events.
-- Portable SQL (TEXT/INTEGER, ISO dates as TEXT, explicit ids); the triggers are SQLite's
-- syntax (PostgreSQL: a plpgsql function raising an exception, attached BEFORE UPDATE/DELETE).

CREATE TABLE requests (
    id TEXT PRIMARY KEY,                 -- SQ-2022-000001: year of the visit, ledger-wide number
    number INTEGER NOT NULL UNIQUE,      -- the number, 1, 2, ... (allocated inside the write transaction)
    natural_key TEXT NOT NULL UNIQUE,    -- sha256 of enterprise, visit date, category, normalised text
    enterprise_id TEXT NOT NULL,         -- unified social credit code
    enterprise_name TEXT NOT NULL,
    district TEXT NOT NULL DEFAULT '',
    cadre TEXT NOT NULL,
    visit_date TEXT NOT NULL,            -- YYYY-MM-DD
    visit_ref TEXT NOT NULL DEFAULT '',  -- the brief's visit reference
    category TEXT NOT NULL,
    urgency TEXT NOT NULL,
    text TEXT NOT NULL,                  -- as written
    due_date TEXT NOT NULL,              -- YYYY-MM-DD
    created_at TEXT NOT NULL,            -- ISO timestamp of the 登记 event
    created_by TEXT NOT NULL,
    -- Kept in step with the events, in the same transaction as each:
    state TEXT NOT NULL,
    departments TEXT NOT NULL,           -- JSON list of department names
    closed_at TEXT,                      -- YYYY-MM-DD of the 办结 that stands (cleared on a reopening 回访)
    satisfied INTEGER,                   -- the last 回访: 1 satisfied, 0 not, NULL none yet
    updated_at TEXT NOT NULL,
    events INTEGER NOT NULL              -- number of events so far
);

CREATE INDEX requests_state ON requests (state);
CREATE INDEX requests_enterprise ON requests (enterprise_id);
CREATE INDEX requests_due ON requests (due_date);

CREATE TABLE request_events (
    id INTEGER PRIMARY KEY,              -- ledger-wide order, allocated inside the write transaction
    request_id TEXT NOT NULL REFERENCES requests (id),
    seq INTEGER NOT NULL,                -- 1, 2, ... within the request
    step TEXT NOT NULL,                  -- 登记, 交办, 办理中, 办结, 回访, 销号, 退回, 撤回
    from_state TEXT,                     -- NULL for 登记
    to_state TEXT NOT NULL,
    at TEXT NOT NULL,                    -- when it happened, as told (YYYY-MM-DD or ISO timestamp, local time)
    actor TEXT NOT NULL,                 -- who ("by")
    note TEXT NOT NULL DEFAULT '',
    departments TEXT,                    -- JSON list when the step (re)sets them, else NULL
    satisfied INTEGER,                   -- 回访 only
    recorded_at TEXT NOT NULL,           -- when the ledger wrote it (ISO timestamp)
    UNIQUE (request_id, seq)
);

CREATE INDEX request_events_request ON request_events (request_id);

CREATE TRIGGER request_events_no_update BEFORE UPDATE ON request_events
BEGIN
    SELECT RAISE(ABORT, 'request_events is append-only: an event is never changed');
END;

CREATE TRIGGER request_events_no_delete BEFORE DELETE ON request_events
BEGIN
    SELECT RAISE(ABORT, 'request_events is append-only: an event is never deleted');
END;

CREATE TRIGGER requests_no_delete BEFORE DELETE ON requests
BEGIN
    SELECT RAISE(ABORT, 'requests are never deleted: withdraw one (撤回) instead');
END;

CREATE TRIGGER requests_registration_fixed BEFORE UPDATE OF id, number, natural_key, enterprise_id,
    enterprise_name, district, cadre, visit_date, visit_ref, category, urgency, text, due_date,
    created_at, created_by ON requests
BEGIN
    SELECT RAISE(ABORT, 'a request''s registration is never changed');
END;

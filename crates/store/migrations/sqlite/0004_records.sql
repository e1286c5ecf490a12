-- Client records: corrections, erasure and retention.

-- A treatment corrected after its check-ins is triaged again, and that
-- decision answers the latest check-in beside the one made when it came:
-- a check-in may now have several decisions, each naming the guideline
-- that made it. SQLite cannot drop a constraint, so the table is rebuilt
-- under its own name (the alerts refer to it by name); the alerts' foreign
-- keys are checked when the migration commits, once every decision is back.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE decisions_before_records AS SELECT * FROM decisions;
DROP TABLE decisions;
CREATE TABLE decisions (
    id                 TEXT PRIMARY KEY,
    clinic_id          TEXT NOT NULL REFERENCES clinics(id),
    treatment_id       TEXT NOT NULL REFERENCES treatments(id),
    checkin_id         TEXT NOT NULL REFERENCES checkins(id),
    level              TEXT NOT NULL,
    body               TEXT NOT NULL,
    guideline_id       TEXT NOT NULL,
    guideline_version  TEXT NOT NULL,
    created_at         INTEGER NOT NULL
);
INSERT INTO decisions (id, clinic_id, treatment_id, checkin_id, level, body, guideline_id, guideline_version, created_at)
    SELECT id, clinic_id, treatment_id, checkin_id, level, body, guideline_id, guideline_version, created_at
    FROM decisions_before_records;
DROP TABLE decisions_before_records;
CREATE INDEX decisions_by_treatment ON decisions (treatment_id, id);
CREATE INDEX decisions_by_checkin ON decisions (checkin_id, id);

-- Which fields a change touched: their names, never their values.
ALTER TABLE audit_events ADD COLUMN fields TEXT;
-- An erasure finds the events that name what it erases.
CREATE INDEX audit_by_subject ON audit_events (clinic_id, subject);
CREATE INDEX audit_by_actor ON audit_events (clinic_id, actor);

-- How long a clinic keeps a closed course; a clinic without a row keeps
-- them for the default period.
CREATE TABLE retention_settings (
    clinic_id   TEXT PRIMARY KEY REFERENCES clinics(id),
    keep_days   INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Client records: corrections, erasure and retention.

-- A treatment corrected after its check-ins is triaged again, and that
-- decision answers the latest check-in beside the one made when it came:
-- a check-in may now have several decisions, each naming the guideline
-- that made it.
ALTER TABLE decisions DROP CONSTRAINT decisions_checkin_id_key;
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
    keep_days   BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

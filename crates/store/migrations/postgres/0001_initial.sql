-- Aftercare schema, PostgreSQL. Ids are UUIDv7 text (time-ordered, unguessable
-- enough not to leak counts); times are Unix milliseconds (UTC).
CREATE TABLE clinics (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE practitioners (
    id             TEXT PRIMARY KEY,
    clinic_id      TEXT NOT NULL REFERENCES clinics(id),
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'therapist')),
    password_hash  TEXT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX practitioners_by_clinic ON practitioners (clinic_id, id);

CREATE TABLE api_tokens (
    id               TEXT PRIMARY KEY,
    clinic_id        TEXT NOT NULL REFERENCES clinics(id),
    practitioner_id  TEXT NOT NULL REFERENCES practitioners(id),
    token_hash       TEXT NOT NULL UNIQUE,
    label            TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    revoked_at       BIGINT
);
CREATE INDEX api_tokens_by_practitioner ON api_tokens (clinic_id, practitioner_id, id);

CREATE TABLE clients (
    id          TEXT PRIMARY KEY,
    clinic_id   TEXT NOT NULL REFERENCES clinics(id),
    name        TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    consent_at  BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX clients_by_clinic ON clients (clinic_id, id);

CREATE TABLE treatments (
    id               TEXT PRIMARY KEY,
    clinic_id        TEXT NOT NULL REFERENCES clinics(id),
    client_id        TEXT NOT NULL REFERENCES clients(id),
    practitioner_id  TEXT NOT NULL REFERENCES practitioners(id),
    at               BIGINT NOT NULL,
    details          TEXT NOT NULL,
    notes            TEXT,
    link_hash        TEXT NOT NULL UNIQUE,
    link_expires_at  BIGINT NOT NULL,
    checkin_count    BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL
);
CREATE INDEX treatments_by_clinic ON treatments (clinic_id, id);
CREATE INDEX treatments_by_client ON treatments (clinic_id, client_id, id);

CREATE TABLE checkins (
    id               TEXT PRIMARY KEY,
    clinic_id        TEXT NOT NULL REFERENCES clinics(id),
    treatment_id     TEXT NOT NULL REFERENCES treatments(id),
    seq              BIGINT NOT NULL,
    at               BIGINT NOT NULL,
    body             TEXT NOT NULL,
    idempotency_key  TEXT,
    received_at      BIGINT NOT NULL,
    UNIQUE (treatment_id, seq),
    UNIQUE (treatment_id, idempotency_key)
);

CREATE TABLE decisions (
    id                 TEXT PRIMARY KEY,
    clinic_id          TEXT NOT NULL REFERENCES clinics(id),
    treatment_id       TEXT NOT NULL REFERENCES treatments(id),
    checkin_id         TEXT NOT NULL UNIQUE REFERENCES checkins(id),
    level              TEXT NOT NULL,
    body               TEXT NOT NULL,
    guideline_id       TEXT NOT NULL,
    guideline_version  TEXT NOT NULL,
    created_at         BIGINT NOT NULL
);
CREATE INDEX decisions_by_treatment ON decisions (treatment_id, id);

CREATE TABLE alerts (
    id               TEXT PRIMARY KEY,
    clinic_id        TEXT NOT NULL REFERENCES clinics(id),
    treatment_id     TEXT NOT NULL REFERENCES treatments(id),
    decision_id      TEXT NOT NULL UNIQUE REFERENCES decisions(id),
    practitioner_id  TEXT NOT NULL REFERENCES practitioners(id),
    level            TEXT NOT NULL,
    level_rank       BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    acknowledged_at  BIGINT,
    acknowledged_by  TEXT REFERENCES practitioners(id)
);
CREATE INDEX alerts_open_by_urgency ON alerts (clinic_id, acknowledged_at, level_rank, created_at);

CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    clinic_id   TEXT REFERENCES clinics(id),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX audit_by_clinic ON audit_events (clinic_id, id);

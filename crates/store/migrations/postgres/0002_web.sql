-- The web app: therapist sessions, the first-run setup link, login
-- failures (for slowing password guessing) and self-check diaries.
-- Secrets are kept only as SHA-256 hashes.
CREATE TABLE web_sessions (
    id               TEXT PRIMARY KEY,
    token_hash       TEXT NOT NULL UNIQUE,
    clinic_id        TEXT NOT NULL REFERENCES clinics(id),
    practitioner_id  TEXT NOT NULL REFERENCES practitioners(id),
    csrf_token       TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL
);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);

CREATE TABLE setup_links (
    token_hash  TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

CREATE TABLE login_failures (
    id            TEXT PRIMARY KEY,
    subject_hash  TEXT NOT NULL,
    at            BIGINT NOT NULL
);
CREATE INDEX login_failures_by_subject ON login_failures (subject_hash, at);

-- A self-check diary belongs to nobody: no clinic can reach it, only the
-- person holding its link.
CREATE TABLE selfcheck_diaries (
    id          TEXT PRIMARY KEY,
    link_hash   TEXT NOT NULL UNIQUE,
    course      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

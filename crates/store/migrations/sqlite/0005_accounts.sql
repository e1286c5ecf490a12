-- Accounts people can manage: a practitioner can be deactivated (every
-- session and token ends with it; sign-in is refused until reactivated),
-- a first password chosen by the owner must be changed at first sign-in,
-- and a forgotten password is reset through a one-time link.

-- When the owner deactivated the account; NULL while it is active.
ALTER TABLE practitioners ADD COLUMN deactivated_at INTEGER;
-- 1 while the password is one the owner chose: pages lead only to the
-- change of password until the practitioner picks their own.
ALTER TABLE practitioners ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
    CHECK (must_change_password IN (0, 1));

-- One-time password reset links, kept only as SHA-256 hashes. A link
-- works once, until it expires, and only while it is its practitioner's
-- latest: a newer link or a change of password ends it.
CREATE TABLE password_resets (
    token_hash       TEXT PRIMARY KEY,
    clinic_id        TEXT NOT NULL REFERENCES clinics(id),
    practitioner_id  TEXT NOT NULL REFERENCES practitioners(id),
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    used_at          INTEGER
);
CREATE INDEX password_resets_by_practitioner ON password_resets (practitioner_id, used_at);

-- The answers of a check-in a person is still entering, kept between the
-- pages of the form ("one thing per page"): a form-encoded body under the
-- hash of what opens it (a client link, a diary link, or the random id in
-- a self-check's cookie). Health data: deleted when the check-in is sent,
-- when it expires (with the link, or within hours), and with an erasure.
CREATE TABLE checkin_drafts (
    key_hash    TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    answers     TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX checkin_drafts_by_expiry ON checkin_drafts (expires_at);

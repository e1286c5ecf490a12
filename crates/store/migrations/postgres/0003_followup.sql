-- Follow-up: each treatment's plan, the invitations it sends, the outbox of
-- messages (invitations, reminders, alerts) with their claims, and the
-- delivery log. Ids are UUIDv7 text; times are Unix milliseconds (UTC).

-- A clinic's follow-up settings; a clinic without a row uses the defaults.
CREATE TABLE followup_settings (
    clinic_id                TEXT PRIMARY KEY REFERENCES clinics(id),
    plan_hours               TEXT NOT NULL,
    reminder_count           BIGINT NOT NULL,
    reminder_delay_minutes   BIGINT NOT NULL,
    invitation_expiry_hours  BIGINT NOT NULL,
    quiet_start_minute       BIGINT NOT NULL,
    quiet_end_minute         BIGINT NOT NULL,
    time_zone                TEXT NOT NULL,
    escalation_minutes       BIGINT,
    client_channel           TEXT NOT NULL,
    webhook_url              TEXT,
    webhook_secret           TEXT,
    updated_at               BIGINT NOT NULL
);

-- One row per treatment the scheduler has taken up.
CREATE TABLE followup_plans (
    treatment_id     TEXT PRIMARY KEY REFERENCES treatments(id),
    clinic_id        TEXT NOT NULL REFERENCES clinics(id),
    plan_hours       TEXT NOT NULL,
    overridden       BIGINT NOT NULL DEFAULT 0,
    checkins_seen    BIGINT NOT NULL DEFAULT 0,
    last_level       TEXT,
    open_invitation  TEXT,
    closed_at        BIGINT,
    closed_reason    TEXT,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX followup_plans_by_clinic ON followup_plans (clinic_id, treatment_id);

CREATE TABLE invitations (
    id            TEXT PRIMARY KEY,
    clinic_id     TEXT NOT NULL REFERENCES clinics(id),
    treatment_id  TEXT NOT NULL REFERENCES treatments(id),
    due_at        BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('open', 'answered', 'expired', 'cancelled')),
    created_at    BIGINT NOT NULL
);
CREATE INDEX invitations_open_by_expiry ON invitations (state, expires_at);
CREATE INDEX invitations_by_treatment ON invitations (clinic_id, treatment_id, id);

-- The outbox. A message is claimed by one scheduler instance at a time
-- (claimed_by, lease_until); a dead instance's lease runs out and another
-- takes the message. dedupe_key keeps planning idempotent.
CREATE TABLE messages (
    id               TEXT PRIMARY KEY,
    clinic_id        TEXT NOT NULL REFERENCES clinics(id),
    treatment_id     TEXT NOT NULL REFERENCES treatments(id),
    kind             TEXT NOT NULL CHECK (kind IN ('invitation', 'reminder', 'alert', 'escalation', 'missed_checkin')),
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    dedupe_key       TEXT NOT NULL UNIQUE,
    invitation_id    TEXT REFERENCES invitations(id),
    alert_id         TEXT REFERENCES alerts(id),
    recipient        TEXT,
    high_priority    BIGINT NOT NULL DEFAULT 0,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'cancelled')),
    due_at           BIGINT NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    claimed_by       TEXT,
    lease_until      BIGINT,
    sent_at          BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL
);
CREATE INDEX messages_ready ON messages (status, next_attempt_at);
CREATE INDEX messages_by_clinic ON messages (clinic_id, id);
CREATE INDEX messages_by_invitation ON messages (invitation_id);

CREATE TABLE delivery_log (
    id          TEXT PRIMARY KEY,
    clinic_id   TEXT NOT NULL REFERENCES clinics(id),
    message_id  TEXT NOT NULL REFERENCES messages(id),
    event       TEXT NOT NULL CHECK (event IN ('queued', 'sent', 'retry', 'failed', 'cancelled')),
    reason      TEXT,
    at          BIGINT NOT NULL
);
CREATE INDEX delivery_log_by_message ON delivery_log (clinic_id, message_id, id);

-- Alerts the scheduler has turned into messages, and whether they were
-- escalated to the clinic's owners.
CREATE TABLE alert_notices (
    alert_id      TEXT PRIMARY KEY REFERENCES alerts(id),
    clinic_id     TEXT NOT NULL REFERENCES clinics(id),
    escalated_at  BIGINT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX alerts_by_created ON alerts (created_at);
-- The scheduler only looks at recent treatments for new work.
CREATE INDEX treatments_by_created ON treatments (created_at);

-- Only one instance plans at a time (planning is quick; sending is shared).
CREATE TABLE scheduler_leases (
    name         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    lease_until  BIGINT NOT NULL
);

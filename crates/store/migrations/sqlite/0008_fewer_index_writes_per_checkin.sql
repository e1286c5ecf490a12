-- Two index entries fewer written with every check-in, each on a page of a
-- random course (most of the writer's cost is such pages, not bytes).
--
-- A course's decisions are found through its check-ins (checkins by
-- course, then decisions_by_checkin), so decisions need no index by
-- course.
DROP INDEX IF EXISTS decisions_by_treatment;

-- An erasure finds the audit events a client link acted in by their
-- actor, except the link's check-ins: those it finds by their subject
-- (`checkin:` and the check-in's id, through audit_by_subject), as it
-- already did to redact the subject.
DROP INDEX IF EXISTS audit_by_actor;
CREATE INDEX audit_by_actor ON audit_events (clinic_id, actor)
    WHERE action <> 'checkin.create';

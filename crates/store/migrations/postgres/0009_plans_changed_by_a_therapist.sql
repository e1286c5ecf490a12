-- The plans a therapist changed, which the planner must look at again
-- (their seen count is set below zero). Kept as an index of their own, so
-- a planning pass finds them without reading every plan of the planning
-- window; it holds only the few plans waiting for that pass.
CREATE INDEX followup_plans_changed ON followup_plans (treatment_id)
    WHERE checkins_seen < 0;

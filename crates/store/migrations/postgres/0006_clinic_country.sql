-- The clinic's country, beside its time zone: it decides which emergency
-- and medical help numbers clients are shown. An ISO 3166-1 alpha-2 code
-- in upper case; NULL until the owner sets it (pages then say "your local
-- emergency number").
ALTER TABLE followup_settings ADD COLUMN country TEXT
    CHECK (country IS NULL OR (length(country) = 2 AND country = upper(country)));

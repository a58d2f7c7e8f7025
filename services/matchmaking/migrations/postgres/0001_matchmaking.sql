-- Matchmaking schema (kept in step between the sqlite/ and postgres/ folders).
-- Timestamps are Unix microseconds.

CREATE TABLE matches (
    id              TEXT PRIMARY KEY,
    company_id      TEXT NOT NULL,
    opportunity_id  TEXT NOT NULL,
    score           DOUBLE PRECISION NOT NULL,
    status          TEXT NOT NULL,
    version         BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (company_id, opportunity_id)
);

CREATE INDEX matches_by_company ON matches (company_id, score);
CREATE INDEX matches_by_opportunity ON matches (opportunity_id, score);

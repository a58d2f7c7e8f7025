-- Matchmaking schema (postgres flavour; kept in step with the other folder).
-- Timestamps are Unix microseconds. `explanation` holds the scored reasons as an
-- encoded pyred.v1.Match (reasons, distance, titles), so they are shown as scored.

CREATE TABLE matches (
    id              TEXT PRIMARY KEY,
    company_id      TEXT NOT NULL,
    opportunity_id  TEXT NOT NULL,
    score           DOUBLE PRECISION NOT NULL,
    status          TEXT NOT NULL,
    dismiss_reason  TEXT NOT NULL,
    explanation     BYTEA NOT NULL,
    version         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (company_id, opportunity_id)
);
CREATE INDEX matches_by_company ON matches (company_id, score);
CREATE INDEX matches_by_opportunity ON matches (opportunity_id, score);

-- Who moved a match to which status, when, and why.
CREATE TABLE match_events (
    n            BIGSERIAL PRIMARY KEY,
    match_id     TEXT NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
    at           BIGINT NOT NULL,
    actor        TEXT NOT NULL,
    from_status  TEXT NOT NULL,
    to_status    TEXT NOT NULL,
    reason       TEXT NOT NULL
);
CREATE INDEX match_events_by_match ON match_events (match_id, n);

CREATE TABLE match_notes (
    n           BIGSERIAL PRIMARY KEY,
    match_id    TEXT NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
    at          BIGINT NOT NULL,
    author      TEXT NOT NULL,
    text        TEXT NOT NULL
);
CREATE INDEX match_notes_by_match ON match_notes (match_id, n);

-- Alerts outbox: one row per newly proposed match, numbered like the registry's feed
-- (assigned under a write lock), so WatchAlerts resumes from a sequence number.
CREATE TABLE alerts (
    seq         BIGINT PRIMARY KEY,
    match_id    TEXT NOT NULL,
    company_id  TEXT NOT NULL,
    score       DOUBLE PRECISION NOT NULL,
    created_at  BIGINT NOT NULL
);

-- How far matchmaking has followed the registry's change feed (one row).
CREATE TABLE feed_position (
    id   INTEGER PRIMARY KEY,
    seq  BIGINT NOT NULL
);

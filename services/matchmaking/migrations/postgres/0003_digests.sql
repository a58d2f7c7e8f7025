-- The advisers' e-mail digests: one row per key and period, claimed by the replica that
-- writes it (a stale claim is taken over), then marked written with the last alert it
-- covered, from which the next period's digest starts.
CREATE TABLE digests (
    key_id        TEXT NOT NULL,
    period_start  BIGINT NOT NULL,
    state         TEXT NOT NULL,
    claimed_at    BIGINT NOT NULL,
    through_seq   BIGINT NOT NULL,
    message_id    TEXT NOT NULL,
    PRIMARY KEY (key_id, period_start)
);

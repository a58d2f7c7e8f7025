-- Alert inboxes: each key's (adviser's or firm's) threshold and read marks, so the
-- console's unread count and "mark as read" survive restarts of every service.
CREATE TABLE alert_inboxes (
    key_id            TEXT PRIMARY KEY,
    min_score         DOUBLE PRECISION NOT NULL,
    -- Every alert up to this sequence number is read ("mark all as read").
    read_through_seq  BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

-- Alerts read one by one, above the inbox's read_through_seq.
CREATE TABLE alert_reads (
    key_id   TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    read_at  BIGINT NOT NULL,
    PRIMARY KEY (key_id, seq)
);

CREATE INDEX alerts_by_company ON alerts (company_id, seq);

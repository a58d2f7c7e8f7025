-- Feed sync: how far each publisher's feed is applied, and withdrawals that arrived
-- before the listing they name (a feed replayed out of order: the tombstone is kept so
-- that the older entry, applied later, is stored withdrawn rather than live).
-- Kept in step with the other engine's folder.

CREATE TABLE feed_cursors (
    source      TEXT NOT NULL,
    feed        TEXT NOT NULL,
    position    TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (source, feed)
);

CREATE TABLE pending_withdrawals (
    source          TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    source_version  BIGINT NOT NULL,
    reason          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (source, external_id)
);

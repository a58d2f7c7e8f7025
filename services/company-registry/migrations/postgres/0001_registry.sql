-- Registry schema, PostgreSQL flavour (kept in step with ../sqlite/0001_registry.sql).
-- Timestamps are Unix microseconds (BIGINT) so that sqlx's Any driver reads them on
-- both engines.

CREATE TABLE companies (
    id           TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    country      TEXT NOT NULL,
    region       TEXT NOT NULL,
    version      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (source, external_id)
);

CREATE TABLE opportunities (
    id           TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    title        TEXT NOT NULL,
    region       TEXT NOT NULL,
    status       TEXT NOT NULL,
    version      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (source, external_id)
);

-- The transactional outbox: one row per committed change, in commit order.
CREATE TABLE changes (
    seq          BIGSERIAL PRIMARY KEY,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    op           TEXT NOT NULL,
    version      BIGINT NOT NULL,
    committed_at BIGINT NOT NULL
);

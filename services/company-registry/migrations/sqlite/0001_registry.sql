-- Registry schema (sqlite flavour; kept in step with the other folder: same tables,
-- columns and indexes, only the column types differ).
--
-- Each record is stored whole as its protobuf encoding (`record`: field numbers are
-- never reused, so old rows stay readable), beside the columns that lookups, filters
-- and uniqueness need. Timestamps are Unix microseconds; dates are 'YYYY-MM-DD' text.

CREATE TABLE companies (
    id           TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    legal_id     TEXT UNIQUE,
    name_key     TEXT NOT NULL,
    region       TEXT NOT NULL,
    nace_terms   TEXT NOT NULL,
    version      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    record       BLOB NOT NULL,
    UNIQUE (source, external_id)
);
CREATE INDEX companies_region ON companies (region, id);

-- Personal data, apart from the public record: never in the change feed, erasable.
CREATE TABLE company_contacts (
    company_id   TEXT PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    email        TEXT NOT NULL,
    phone        TEXT NOT NULL
);

CREATE TABLE opportunities (
    id             TEXT PRIMARY KEY,
    source         TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    kind           INTEGER NOT NULL,
    region         TEXT NOT NULL,
    status         TEXT NOT NULL,
    nace_terms     TEXT NOT NULL,
    published      TEXT NOT NULL,
    deadline       TEXT,
    expires_on     TEXT NOT NULL,
    source_version BIGINT NOT NULL,
    version        BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    record         BLOB NOT NULL,
    UNIQUE (source, external_id)
);
CREATE INDEX opportunities_region ON opportunities (region, id);

-- The transactional outbox: one row per committed change, written in the same
-- transaction as the change. Sequence numbers are assigned under the registry's write
-- lock (in-process mutex, plus a PostgreSQL advisory lock across replicas), so they
-- commit in order and without gaps: a reader that has seen seq N has seen every seq < N.
CREATE TABLE changes (
    seq          BIGINT PRIMARY KEY,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    op           TEXT NOT NULL,
    version      BIGINT NOT NULL,
    committed_at BIGINT NOT NULL,
    payload      BLOB
);

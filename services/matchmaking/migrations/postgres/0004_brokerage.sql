-- Brokerage cases (decision 0018): a lead handed from one organisation's adviser to
-- another organisation, both firms' consents, and the case's timeline. Timestamps are
-- Unix microseconds; statuses and answers are the lowercase words of brokerage.rs.
CREATE TABLE cases (
    id                TEXT PRIMARY KEY,
    status            TEXT NOT NULL,
    opportunity_id    TEXT NOT NULL,
    opportunity_title TEXT NOT NULL,
    match_id          TEXT NOT NULL,
    org_a             TEXT NOT NULL,
    company_a         TEXT NOT NULL,
    company_a_name    TEXT NOT NULL,
    org_b             TEXT NOT NULL,
    company_b         TEXT NOT NULL,
    company_b_name    TEXT NOT NULL,
    opened_by         TEXT NOT NULL,
    consortium_id     TEXT NOT NULL,
    version           BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX cases_by_org_a ON cases (org_a, created_at);
CREATE INDEX cases_by_org_b ON cases (org_b, created_at);
CREATE INDEX cases_by_company_a ON cases (company_a);
CREATE INDEX cases_by_company_b ON cases (company_b);

-- Each firm's consent to be introduced: who asked, when it is due, who answered and
-- whether an adviser answered on the firm's behalf.
CREATE TABLE case_consents (
    case_id        TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    company_id     TEXT NOT NULL,
    answer         TEXT NOT NULL,
    asked_by       TEXT NOT NULL,
    asked_at       BIGINT NOT NULL,
    due_at         BIGINT NOT NULL,
    answered_by    TEXT NOT NULL,
    answered_via   TEXT NOT NULL,
    answered_at    BIGINT NOT NULL,
    PRIMARY KEY (case_id, company_id)
);
CREATE INDEX case_consents_by_company ON case_consents (company_id, answer);
CREATE INDEX case_consents_due ON case_consents (answer, due_at);

-- The timeline: status changes, consents, notes and system events, numbered per case.
CREATE TABLE case_events (
    case_id            TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    n                  BIGINT NOT NULL,
    at                 BIGINT NOT NULL,
    actor              TEXT NOT NULL,
    actor_organisation TEXT NOT NULL,
    kind               TEXT NOT NULL,
    status             TEXT NOT NULL,
    company_id         TEXT NOT NULL,
    text               TEXT NOT NULL,
    PRIMARY KEY (case_id, n)
);

-- Console sessions (decision 0021): one row per signed-in browser. `data` is the
-- tower-sessions record's data, sealed (ChaCha20-Poly1305 under gateway.session_secret,
-- the session id as associated data) and hex-encoded; `expires_at` is in microseconds
-- since the Unix epoch, pushed back by each signed-in request.
CREATE TABLE console_sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

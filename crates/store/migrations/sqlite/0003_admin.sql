-- passgate schema, version 3 (SQLite): application tokens (online mode), audit actor.
CREATE TABLE app_tokens (
    name         TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);

-- Who acted, when not the user concerned (an administrator, or `cli:<os user>`).
ALTER TABLE audit_events ADD COLUMN actor TEXT;

-- passgate schema, version 3 (PostgreSQL): application tokens (online mode), audit actor.
CREATE TABLE app_tokens (
    name         TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);

-- Who acted, when not the user concerned (an administrator, or `cli:<os user>`).
ALTER TABLE audit_events ADD COLUMN actor TEXT;

-- passgate schema, version 1 (SQLite). Times are Unix milliseconds (INTEGER).
CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    associate_id         INTEGER NOT NULL UNIQUE,
    username             TEXT NOT NULL,
    username_folded      TEXT NOT NULL UNIQUE,
    email                TEXT,
    email_folded         TEXT,
    full_name            TEXT,
    role                 TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    locked_until         INTEGER,
    password_hash        TEXT NOT NULL,
    password_changed_at  INTEGER NOT NULL,
    credential_version   INTEGER NOT NULL DEFAULT 1,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL
);
CREATE INDEX users_email_folded ON users (email_folded);

CREATE TABLE password_history (
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, created_at);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    client_addr  TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    user_id     TEXT,
    username    TEXT,
    event       TEXT NOT NULL,
    front_end   TEXT NOT NULL,
    client_addr TEXT,
    reason      TEXT
);
CREATE INDEX audit_events_user ON audit_events (user_id, id);
CREATE INDEX audit_events_at ON audit_events (at);

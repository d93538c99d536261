-- passgate schema, version 4 (SQLite): password-reset tokens and the mail outbox.

-- Only the SHA-256 of a token is stored. A token is valid while unspent, unexpired and
-- issued at the user's current credential_version (any password change voids it).
CREATE TABLE reset_tokens (
    token_sha256       TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_version INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    spent_at           INTEGER
);
CREATE INDEX reset_tokens_user ON reset_tokens (user_id);

-- Every mail, written in the transaction of the change that causes it. `params` (JSON) may
-- hold a reset link; it is erased when such a mail is sent or dead. No foreign key on
-- user_id: a notification outlives the deletion of its user.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    user_id         TEXT,
    recipient       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    params          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at);

-- Brute-force throttling state, shared by every node (version 2).
-- key: 'acct:<case-folded login name>' or 'addr:<client address>'.
CREATE TABLE throttle (
    key           TEXT PRIMARY KEY,
    failures      BIGINT NOT NULL,
    window_start  BIGINT NOT NULL,
    blocked_until BIGINT
);

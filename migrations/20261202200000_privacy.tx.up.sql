-- A person's own data: "Download my data" archives, built in the background and offered once, and
-- the mark left on an account its holder deleted (the row stays, emptied, so that an issued
-- certificate's public record and the append-only audit trail keep their references).
--
-- data_exports.status: pending (asked for) -> building (leased by one instance until lease_until)
-- -> ready (object_key holds the zip) -> downloaded (object deleted) | failed | expired.
CREATE TABLE data_exports (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status       TEXT NOT NULL,
    object_key   TEXT NOT NULL DEFAULT '',
    size         BIGINT NOT NULL DEFAULT 0,
    lease_until  {{.TS}},
    error        TEXT NOT NULL DEFAULT '',
    created_at   {{.TS}} NOT NULL,
    ready_at     {{.TS}},
    downloaded_at {{.TS}},
    expires_at   {{.TS}}
);
--bun:split
CREATE INDEX data_exports_user ON data_exports (user_id, created_at);
--bun:split
CREATE INDEX data_exports_status ON data_exports (status);
--bun:split
ALTER TABLE users ADD COLUMN deleted_at {{.TS}};

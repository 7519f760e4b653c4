-- Vendor signing keys can be rotated: a vendor keeps every key it ever had (old credentials still
-- verify against the published key set), and exactly one is current (retired_at IS NULL). The table
-- is rebuilt because SQLite cannot change a primary key in place.
CREATE TABLE vendor_keys_rotating (
    kid                TEXT PRIMARY KEY,
    vendor_id          TEXT NOT NULL REFERENCES vendors (id),
    public_key         TEXT NOT NULL,
    private_key_sealed TEXT NOT NULL,
    created_at         {{.TS}} NOT NULL,
    retired_at         {{.TS}}
);
--bun:split
INSERT INTO vendor_keys_rotating (kid, vendor_id, public_key, private_key_sealed, created_at)
    SELECT kid, vendor_id, public_key, private_key_sealed, created_at FROM vendor_keys;
--bun:split
DROP TABLE vendor_keys;
--bun:split
ALTER TABLE vendor_keys_rotating RENAME TO vendor_keys;
--bun:split
CREATE UNIQUE INDEX vendor_keys_current_idx ON vendor_keys (vendor_id) WHERE retired_at IS NULL;
--bun:split
CREATE INDEX vendor_keys_vendor_idx ON vendor_keys (vendor_id, created_at);

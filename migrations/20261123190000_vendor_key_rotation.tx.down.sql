-- Back to one key per vendor: the current one (retired keys are lost, and credentials signed with
-- them no longer verify against the published key set).
CREATE TABLE vendor_keys_single (
    vendor_id          TEXT PRIMARY KEY REFERENCES vendors (id),
    kid                TEXT NOT NULL UNIQUE,
    public_key         TEXT NOT NULL,
    private_key_sealed TEXT NOT NULL,
    created_at         {{.TS}} NOT NULL
);
--bun:split
INSERT INTO vendor_keys_single (vendor_id, kid, public_key, private_key_sealed, created_at)
    SELECT vendor_id, kid, public_key, private_key_sealed, created_at FROM vendor_keys WHERE retired_at IS NULL;
--bun:split
DROP TABLE vendor_keys;
--bun:split
ALTER TABLE vendor_keys_single RENAME TO vendor_keys;

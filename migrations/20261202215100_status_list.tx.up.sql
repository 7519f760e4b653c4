-- Revocation a verifier can check without asking us: every certificate has a stable position
-- (status_index, from 0) in its vendor's W3C Bitstring Status List, published as a signed credential
-- at /status/<vendor-slug>/revocation. A bit is 1 while the certificate is revoked.
--
-- status_lists: one row per vendor. last_index is advanced with one INSERT ... ON CONFLICT DO UPDATE
-- ... RETURNING in the issuing transaction (as certificate_sequences); changed_at is the last time a
-- bit changed (revoke, reinstate), the list credential's validFrom.
CREATE TABLE status_lists (
    vendor_id  TEXT PRIMARY KEY REFERENCES vendors (id),
    last_index INTEGER NOT NULL CHECK (last_index >= 0),
    changed_at {{.TS}} NOT NULL
);
--bun:split
ALTER TABLE certificates ADD COLUMN status_index INTEGER;
--bun:split
-- Certificates issued before this migration get their positions in order of issue, per vendor.
UPDATE certificates SET status_index = (
    SELECT COUNT(*) FROM certificates AS e
    WHERE e.vendor_id = certificates.vendor_id
      AND (e.created_at < certificates.created_at OR (e.created_at = certificates.created_at AND e.id < certificates.id)));
--bun:split
INSERT INTO status_lists (vendor_id, last_index, changed_at)
    SELECT vendor_id, COUNT(*) - 1, MAX(COALESCE(revoked_at, created_at)) FROM certificates GROUP BY vendor_id;
--bun:split
CREATE UNIQUE INDEX certificates_status_index_idx ON certificates (vendor_id, status_index);

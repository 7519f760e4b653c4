-- Endorsements (issue #17): completing a specialty course adds one to the holder's certificate (the
-- certificate package owns this table). Each has its own verification code and its own position in
-- the vendor's status list (its bit is set while the certificate is revoked: an endorsement is
-- current only with its certificate). The signed credential is made from the row when asked for.
CREATE TABLE certificate_endorsements (
    id             TEXT PRIMARY KEY,
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    holder_id      TEXT NOT NULL REFERENCES users (id),
    vendor_id      TEXT NOT NULL REFERENCES vendors (id),
    slug           TEXT NOT NULL,
    title          TEXT NOT NULL,
    course_slug    TEXT NOT NULL,
    enrolment_id   TEXT NOT NULL,
    verify_code    TEXT NOT NULL UNIQUE,
    status_index   INTEGER NOT NULL,
    since          {{.TS}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX certificate_endorsements_slug_idx ON certificate_endorsements (certificate_id, slug);
--bun:split
CREATE UNIQUE INDEX certificate_endorsements_status_idx ON certificate_endorsements (vendor_id, status_index);

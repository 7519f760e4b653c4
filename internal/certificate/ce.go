package certificate

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/database"
)

// CECerts reads certificates for package ce (it implements ce.Certs): this package owns the table,
// and ce cannot import it (this package imports ce).
func (s *Service) CECerts(ctx context.Context, db bun.IDB, ids []string) (map[string]ce.Cert, error) {
	out := map[string]ce.Cert{}
	if len(ids) == 0 {
		return out, nil
	}
	var cs []Certificate
	err := db.NewSelect().Model(&cs).Column("id", "number", "candidate_id", "vendor_id", "holder_name", "status", "ce_rule",
		"issued_at", "valid_from", "expires_at", "lapsed_at").Where("id IN (?)", bun.In(ids)).Scan(ctx)
	if err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	for _, c := range cs {
		out[c.ID] = ce.Cert{ID: c.ID, Number: c.Number, CandidateID: c.CandidateID, VendorID: c.VendorID, HolderName: c.HolderName,
			Status: c.Status, CERule: c.CERule, IssuedAt: c.IssuedAt, ValidFrom: c.ValidFrom, ExpiresAt: c.ExpiresAt, LapsedAt: c.LapsedAt}
	}
	return out, nil
}

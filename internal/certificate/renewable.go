package certificate

import (
	"context"
	"fmt"
	"strings"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/ce"
)

// renewalRefusal is why Renew refuses certificate c with its CE activities acts, or nil when it
// would renew it: a revoked certificate never, otherwise once the CE rule is met for every cycle of
// its current validity. Renew and Renewable both ask it, so a page offers exactly what Renew does.
func renewalRefusal(c *Certificate, acts []ce.Activity) error {
	if c.Status == StatusRevoked {
		return apperr.New(apperr.Conflict, "revoked", "A revoked certificate cannot be renewed.")
	}
	term := ce.TermOf(c.CERule, c.IssuedAt, c.ValidFrom, c.ExpiresAt)
	var unmet []string
	for _, p := range term.Progress(acts) {
		if !p.Met {
			unmet = append(unmet, fmt.Sprintf("%s to %s: %s", p.Start.Format(humanDate), p.LastDay().Format(humanDate), strings.Join(p.Unmet, "; ")))
		}
	}
	if len(unmet) > 0 {
		return apperr.New(apperr.Conflict, "ce_not_met", "The continuing-education rule ("+term.Rule.Name+") is not met yet. "+strings.Join(unmet, ". ")+".")
	}
	return nil
}

// Renewable reports which of the certificates Renew would renew now (by id). It reads each
// unrevoked certificate's CE activities: call it with one page of a list.
func (s *Service) Renewable(ctx context.Context, cs []Certificate) (map[string]bool, error) {
	ok := make(map[string]bool, len(cs))
	for i := range cs {
		if cs[i].Status == StatusRevoked {
			continue
		}
		acts, err := ce.Activities(ctx, s.DB, cs[i].ID)
		if err != nil {
			return nil, err
		}
		ok[cs[i].ID] = renewalRefusal(&cs[i], acts) == nil
	}
	return ok, nil
}

package api

import (
	"sort"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/page"
	"github.com/peeracademy/peeracademy/internal/report"
)

// CertificateList lists certificates with their current state.
type CertificateList struct {
	Certificates []CertificateView `json:"certificates"`
	Next         string            `json:"next,omitempty"`
	Paging
}

// CertificateView is a certificate and its state now (active, expired, lapsed, revoked).
type CertificateView struct {
	certificate.Certificate
	State string `json:"state"`
}

// ReadyList lists candidates ready to certify.
type ReadyList struct {
	Ready []certificate.ReadyRow `json:"ready"`
	Next  string                 `json:"next,omitempty"`
	Paging
}

// IssueRequest issues certificates.
type IssueRequest struct {
	CandidateIDs []string `json:"candidate_ids"`
}

// CEView is a certificate's continuing-education progress and activities.
type CEView struct {
	Progress   []ce.Progress `json:"progress"`
	Activities []ce.Activity `json:"activities"` // one page (limit, cursor)
	Paging
}

// ReviewRequest verifies or rejects a CE activity.
type ReviewRequest struct {
	Verify bool   `json:"verify"`
	Reason string `json:"reason"`
}

// LookupRequest finds a certificate by number and the holder's last name.
type LookupRequest struct {
	Number   string `json:"number"`
	LastName string `json:"last_name"`
}

// VendorReport is the vendor dashboard.
type VendorReport struct {
	Program      *report.Vendor    `json:"program"`
	Certificates certificate.Stats `json:"certificates"`
}

var readyOrder = page.Order{List: "ready", Keys: []page.Key{{Col: "candidate_id"}}}

func (h *Handlers) views(cs []certificate.Certificate) []CertificateView {
	out := make([]CertificateView, len(cs))
	now := h.now()
	for i := range cs {
		out[i] = CertificateView{Certificate: cs[i], State: cs[i].State(now)}
	}
	return out
}

func (h *Handlers) listCertificates(c *fiber.Ctx) error {
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	p, err := h.Certificates.ListPage(c.UserContext(), httpx.User(c), r)
	if err != nil {
		return err
	}
	return writeJSON(c, CertificateList{Certificates: h.views(p.Items), Next: p.Next, Paging: paging(c, p.Next)})
}

func (h *Handlers) readyCertificates(c *fiber.Ctx) error {
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	// Readiness is the candidate's standing (coursework, written, oral, certificates), computed
	// across domains in Go, so this list is cut after it is built (page.Slice), by candidate id.
	rs, err := h.Certificates.Ready(c.UserContext(), httpx.User(c))
	if err != nil {
		return err
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].CandidateID < rs[j].CandidateID })
	p, err := page.Slice(rs, r, readyOrder, func(x certificate.ReadyRow) []any { return []any{x.CandidateID} })
	if err != nil {
		return err
	}
	return writeJSON(c, ReadyList{Ready: p.Items, Next: p.Next, Paging: paging(c, p.Next)})
}

func (h *Handlers) issueCertificates(c *fiber.Ctx) error {
	var in IssueRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if len(in.CandidateIDs) == 0 {
		return apperr.Field("candidate_ids", "Name at least one candidate.")
	}
	cs, err := h.Certificates.Issue(c.UserContext(), httpx.Actor(c), httpx.User(c), in.CandidateIDs)
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusCreated), CertificateList{Certificates: h.views(cs)})
}

func (h *Handlers) certificateAction(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in ReasonRequest
		if action != "renew" {
			if err := httpx.DecodeJSON(c, &in); err != nil {
				return err
			}
		}
		id, a, u := c.Params("id"), httpx.Actor(c), httpx.User(c)
		var err error
		switch action {
		case "revoke":
			err = h.Certificates.Revoke(c.UserContext(), a, u, id, in.Reason)
		case "reinstate":
			err = h.Certificates.Reinstate(c.UserContext(), a, u, id, in.Reason)
		case "renew":
			_, err = h.Certificates.Renew(c.UserContext(), a, u, id)
		}
		if err != nil {
			return err
		}
		cert, err := h.Certificates.Get(c.UserContext(), u, id)
		if err != nil {
			return err
		}
		return writeJSON(c, CertificateView{Certificate: *cert, State: cert.State(h.now())})
	}
}

func (h *Handlers) credential(c *fiber.Ctx) error {
	b, err := h.Certificates.Credential(c.UserContext(), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vc+jwt")
	return c.Send(b)
}

func (h *Handlers) ceView(c *fiber.Ctx) error {
	u, id := httpx.User(c), c.Params("id")
	prog, err := h.CE.Progress(c.UserContext(), u, id)
	if err != nil {
		return err
	}
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	p, err := h.CE.ListPage(c.UserContext(), u, id, r)
	if err != nil {
		return err
	}
	return writeJSON(c, CEView{Progress: prog, Activities: p.Items, Paging: paging(c, p.Next)})
}

func (h *Handlers) recordCE(c *fiber.Ctx) error {
	var in ce.ActivityInput
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	act, err := h.CE.Record(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), in, nil)
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusCreated), act)
}

func (h *Handlers) reviewCE(c *fiber.Ctx) error {
	var in ReviewRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.CE.Review(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), in.Verify, in.Reason); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// publicLookup applies the public look-up limit and marks the answer as not for search engines.
func (h *Handlers) publicLookup(c *fiber.Ctx) error {
	if err := h.Certificates.AllowLookup(c.UserContext(), httpx.ClientIP(c)); err != nil {
		return err
	}
	c.Set("X-Robots-Tag", "noindex, nofollow")
	return nil
}

func (h *Handlers) verifyCode(c *fiber.Ctx) error {
	if err := h.publicLookup(c); err != nil {
		return err
	}
	pub, err := h.Certificates.Verify(c.UserContext(), c.Params("code"))
	if err != nil {
		return err
	}
	return writeJSON(c, pub)
}

func (h *Handlers) verifyLookup(c *fiber.Ctx) error {
	if err := h.publicLookup(c); err != nil {
		return err
	}
	var in LookupRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	pub, err := h.Certificates.Lookup(c.UserContext(), in.Number, in.LastName)
	if err != nil {
		return err
	}
	return writeJSON(c, pub)
}

func (h *Handlers) vendorReport(c *fiber.Ctx) error {
	u := httpx.User(c)
	rep, err := h.Reports.ForVendor(c.UserContext(), u.Vendor())
	if err != nil {
		return err
	}
	st, err := h.Certificates.Dashboard(c.UserContext(), u)
	if err != nil {
		return err
	}
	return writeJSON(c, VendorReport{Program: rep, Certificates: st})
}

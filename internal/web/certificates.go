package web

import (
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

func states(cs []certificate.Certificate, now time.Time) map[string]string {
	m := make(map[string]string, len(cs))
	for i := range cs {
		m[cs[i].ID] = cs[i].State(now)
	}
	return m
}

// ---- vendor administrators ----

func (h *Handlers) certificatesAdmin(c *fiber.Ctx) error {
	u := httpx.User(c)
	ctx := c.UserContext()
	ready, err := h.Certificates.Ready(ctx, u)
	if err != nil {
		return err
	}
	cs, err := h.Certificates.List(ctx, u)
	if err != nil {
		return err
	}
	stats, err := h.Certificates.Dashboard(ctx, u)
	if err != nil {
		return err
	}
	queue, err := h.CE.Queue(ctx, u)
	if err != nil {
		return err
	}
	rep, err := h.Reports.ForVendor(ctx, u.Vendor())
	if err != nil {
		return err
	}
	renewable, err := h.Certificates.Renewable(ctx, cs)
	if err != nil {
		return err
	}
	charts, err := h.certificateCharts(ctx, u.Vendor())
	if err != nil {
		return err
	}
	ids := make([]string, len(cs))
	for i := range cs {
		ids[i] = cs[i].ID
	}
	ends, err := h.Certificates.Endorsements(ctx, ids...)
	if err != nil {
		return err
	}
	endorsed := map[string][]certificate.Endorsement{}
	for _, e := range ends {
		endorsed[e.CertificateID] = append(endorsed[e.CertificateID], e)
	}
	p := h.page(c, "Certificates")
	p.Data = map[string]any{"Ready": ready, "Certificates": cs, "States": states(cs, h.now()), "Stats": stats, "CEQueue": queue, "Report": rep, "Renewable": renewable, "Charts": charts, "Endorsed": endorsed}
	return h.Render.Render(c, 200, "certificates_admin", p)
}

func (h *Handlers) issueCertificates(c *fiber.Ctx) error {
	var ids []string
	for _, v := range c.Request().PostArgs().PeekMulti("candidate_ids") {
		ids = append(ids, string(v))
	}
	if len(ids) == 0 {
		h.flash(c, "error", "Choose at least one candidate.")
		return c.Redirect("/vendor/certificates", fiber.StatusSeeOther)
	}
	cs, err := h.Certificates.Issue(c.UserContext(), httpx.Actor(c), httpx.User(c), ids)
	if err != nil {
		if e, ok := apperr.As(err); ok && (e.Kind == apperr.Invalid || e.Kind == apperr.Conflict) {
			h.flash(c, "error", e.Message)
			return c.Redirect("/vendor/certificates", fiber.StatusSeeOther)
		}
		return err
	}
	nums := make([]string, len(cs))
	for i := range cs {
		nums[i] = cs[i].Number
	}
	h.flash(c, "success", "Issued "+strings.Join(nums, ", ")+". The holders were emailed.")
	return c.Redirect("/vendor/certificates", fiber.StatusSeeOther)
}

func (h *Handlers) certificateAction(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, a, u := c.Params("id"), httpx.Actor(c), httpx.User(c)
		var err error
		switch action {
		case "revoke":
			err = h.Certificates.Revoke(c.UserContext(), a, u, id, c.FormValue("reason"))
		case "reinstate":
			err = h.Certificates.Reinstate(c.UserContext(), a, u, id, c.FormValue("reason"))
		case "renew":
			_, err = h.Certificates.Renew(c.UserContext(), a, u, id)
		}
		if err != nil {
			if e, ok := apperr.As(err); ok && (e.Kind == apperr.Invalid || e.Kind == apperr.Conflict) {
				h.flash(c, "error", e.Message)
				return c.Redirect("/vendor/certificates", fiber.StatusSeeOther)
			}
			return err
		}
		h.flash(c, "success", map[string]string{"revoke": "The certificate is revoked; verification shows it at once.",
			"reinstate": "The certificate is active again.", "renew": "The certificate was renewed."}[action])
		return c.Redirect("/vendor/certificates", fiber.StatusSeeOther)
	}
}

func (h *Handlers) reviewCE(c *fiber.Ctx) error {
	err := h.CE.Review(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), c.FormValue("verify") == "yes", c.FormValue("reason"))
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.Invalid {
			h.flash(c, "error", e.Message)
			return c.Redirect("/vendor/certificates", fiber.StatusSeeOther)
		}
		return err
	}
	h.flash(c, "success", "The activity was reviewed.")
	return c.Redirect("/vendor/certificates", fiber.StatusSeeOther)
}

func (h *Handlers) certificatesCSV(c *fiber.Ctx) error {
	csvDownload(c, "certificates.csv")
	return h.Certificates.ExportCSV(c.UserContext(), httpx.User(c), c.Response().BodyWriter())
}

func (h *Handlers) reportCSV(c *fiber.Ctx) error {
	rep, err := h.Reports.ForVendor(c.UserContext(), httpx.User(c).Vendor())
	if err != nil {
		return err
	}
	csvDownload(c, "dashboard.csv")
	return rep.CSV(c.Response().BodyWriter())
}

// ---- holders ----

func (h *Handlers) myCertificates(c *fiber.Ctx) error {
	cs, err := h.Certificates.List(c.UserContext(), httpx.User(c))
	if err != nil {
		return err
	}
	p := h.page(c, "Your certificates")
	p.Data = map[string]any{"Certificates": cs, "States": states(cs, h.now())}
	return h.Render.Render(c, 200, "certificates", p)
}

func (h *Handlers) certificatePage(c *fiber.Ctx, p *Page, status int) error {
	u := httpx.User(c)
	cert, err := h.Certificates.Get(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	prog, err := h.CE.Progress(c.UserContext(), u, cert.ID)
	if err != nil {
		return err
	}
	acts, err := h.CE.List(c.UserContext(), u, cert.ID)
	if err != nil {
		return err
	}
	ends, err := h.Certificates.Endorsements(c.UserContext(), cert.ID)
	if err != nil {
		return err
	}
	p.Title = cert.Number
	p.Data = map[string]any{"Cert": cert, "State": cert.State(h.now()), "Progress": prog, "Activities": acts, "VerifyURL": h.Certificates.VerifyURL(cert.VerifyCode),
		"Endorsements": ends, "VerifyBase": h.Certificates.VerifyURL("")}
	return h.Render.Render(c, status, "certificate", p)
}

// endorsementCredential downloads an endorsement's signed credential (its holder, its vendor's admins).
func (h *Handlers) endorsementCredential(c *fiber.Ctx) error {
	jws, err := h.Certificates.EndorsementCredential(c.UserContext(), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, "application/vc+jwt")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="endorsement-credential.jwt"`)
	return c.Send(jws)
}

// endorsementPDF downloads an endorsement's own certificate PDF.
func (h *Handlers) endorsementPDF(c *fiber.Ctx) error {
	doc, err := h.Certificates.EndorsementPDF(c.UserContext(), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="endorsement.pdf"`)
	return c.Send(doc)
}

func (h *Handlers) certificate(c *fiber.Ctx) error {
	return h.certificatePage(c, h.page(c, "Certificate"), 200)
}

func (h *Handlers) recordCE(c *fiber.Ctx) error {
	in := ce.ActivityInput{Title: c.FormValue("title"), Provider: c.FormValue("provider"), Date: c.FormValue("date"), Hours: c.FormValue("hours"), Category: ce.Category(c.FormValue("category"))}
	var proof io.Reader
	if fh, err := c.FormFile("proof"); err == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		proof, in.ProofFilename = f, fh.Filename
	}
	if _, err := h.CE.Record(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), in, proof); err != nil {
		if e, ok := apperr.As(err); ok && (e.Kind == apperr.Invalid || e.Kind == apperr.Unsupported || e.Kind == apperr.TooLarge) {
			p := h.page(c, "Certificate")
			_ = withErr(p, err, formMap(c, "title", "provider", "date", "hours", "category"))
			if len(e.Fields) == 0 {
				p.Errors["proof"] = e.Message
			}
			return h.certificatePage(c, p, httpx.Status(e.Kind))
		}
		return err
	}
	h.flash(c, "success", "Recorded. Your training organisation will verify it.")
	return c.Redirect("/certificates/"+c.Params("id"), fiber.StatusSeeOther)
}

func (h *Handlers) certificateFile(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, id := httpx.User(c), c.Params("id")
		c.Set(fiber.HeaderCacheControl, "no-store")
		switch kind {
		case "pdf":
			rc, err := h.Certificates.PDF(c.UserContext(), u, id)
			if err != nil {
				return err
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				return err
			}
			c.Set(fiber.HeaderContentType, "application/pdf")
			c.Set(fiber.HeaderContentDisposition, `attachment; filename="certificate.pdf"`)
			return c.Send(b)
		case "credential":
			b, err := h.Certificates.Credential(c.UserContext(), u, id)
			if err != nil {
				return err
			}
			c.Set(fiber.HeaderContentType, "application/vc+jwt")
			c.Set(fiber.HeaderContentDisposition, `attachment; filename="credential.jwt"`)
			return c.Send(b)
		default:
			b, err := h.Certificates.CompletionRecord(c.UserContext(), u, id)
			if err != nil {
				return err
			}
			c.Set(fiber.HeaderContentType, "application/pdf")
			c.Set(fiber.HeaderContentDisposition, `attachment; filename="training-completion-record.pdf"`)
			return c.Send(b)
		}
	}
}

func (h *Handlers) ceProof(c *fiber.Ctx) error {
	rc, obj, name, err := h.CE.ProofFile(c.UserContext(), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, obj.ContentType)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	ext := map[string]string{"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}[obj.ContentType]
	c.Set(fiber.HeaderContentDisposition, httpx.Attachment(name, "ce-proof"+ext))
	return c.Send(b)
}

// ---- public verification ----

func (h *Handlers) verifyPage(c *fiber.Ctx, pub *certificate.Public, p *Page, status int) error {
	p.NoIndex = true
	p.Data = map[string]any{"Public": pub}
	c.Set("X-Robots-Tag", "noindex, nofollow")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return h.Render.Render(c, status, "verify", p)
}

func (h *Handlers) verifyForm(c *fiber.Ctx) error {
	return h.verifyPage(c, nil, h.page(c, "Verify a certificate"), 200)
}

func (h *Handlers) verifyCode(c *fiber.Ctx) error {
	if err := h.Certificates.AllowLookup(c.UserContext(), httpx.ClientIP(c)); err != nil {
		return err
	}
	pub, err := h.Certificates.Verify(c.UserContext(), c.Params("code"))
	if err != nil {
		return err
	}
	return h.verifyPage(c, pub, h.page(c, "Certificate "+pub.Number), 200)
}

func (h *Handlers) verifyLookup(c *fiber.Ctx) error {
	if err := h.Certificates.AllowLookup(c.UserContext(), httpx.ClientIP(c)); err != nil {
		return err
	}
	pub, err := h.Certificates.Lookup(c.UserContext(), c.FormValue("number"), c.FormValue("last_name"))
	if err != nil {
		if apperr.Is(err, apperr.NotFound) || apperr.Is(err, apperr.Invalid) {
			p := h.page(c, "Verify a certificate")
			p.Form["number"], p.Form["last_name"] = c.FormValue("number"), c.FormValue("last_name")
			p.ErrorSummary = "No certificate matches that number and last name. Check both against the certificate."
			return h.verifyPage(c, nil, p, fiber.StatusNotFound)
		}
		return err
	}
	return h.verifyPage(c, pub, h.page(c, "Certificate "+pub.Number), 200)
}

func (h *Handlers) jwks(c *fiber.Ctx) error {
	keys, err := h.Certificates.PublicKeys(c.UserContext())
	if err != nil {
		return err
	}
	b, err := certificate.JWKS(keys)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/jwk-set+json")
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(b)
}

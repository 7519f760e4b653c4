package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

// StartApplication picks the vendor to apply to.
type StartApplication struct {
	VendorID string `json:"vendor_id"`
}

// ApplicationView is an application with the requirements it does not meet yet.
type ApplicationView struct {
	Application *eligibility.View  `json:"application"`
	Result      eligibility.Result `json:"requirements"`
}

// ApplicationList lists a candidate's applications.
type ApplicationList struct {
	Applications []eligibility.Summary `json:"applications"`
	Next         string                `json:"next,omitempty"`
	Paging
}

// ReviewQueue is a page of the vendor's review queue, with the counts by status.
type ReviewQueue struct {
	eligibility.Queue
	Paging
}

// DecisionRequest records a vendor's decision.
type DecisionRequest struct {
	Decision string `json:"decision"` // approve, reject or needs_info
	Reason   string `json:"reason"`
}

func (h *Handlers) applicationView(c *fiber.Ctx, id string) error {
	v, err := h.Eligibility.Load(c.UserContext(), httpx.Actor(c), httpx.User(c), id)
	if err != nil {
		return err
	}
	return writeJSON(c, ApplicationView{Application: v, Result: h.Eligibility.Evaluate(c.UserContext(), v)})
}

func (h *Handlers) myApplications(c *fiber.Ctx) error {
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	p, err := h.Eligibility.MinePage(c.UserContext(), httpx.User(c), r)
	if err != nil {
		return err
	}
	return writeJSON(c, ApplicationList{Applications: p.Items, Next: p.Next, Paging: paging(c, p.Next)})
}

func (h *Handlers) startApplication(c *fiber.Ctx) error {
	var in StartApplication
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	v, err := h.Eligibility.Start(c.UserContext(), httpx.Actor(c), httpx.User(c), in.VendorID)
	if err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return h.applicationView(c, v.ID)
}

func (h *Handlers) getApplication(c *fiber.Ctx) error { return h.applicationView(c, c.Params("id")) }

func (h *Handlers) saveApplication(c *fiber.Ctx) error {
	var in eligibility.Draft
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.Eligibility.SaveDraft(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), in); err != nil {
		return err
	}
	return h.applicationView(c, c.Params("id"))
}

func (h *Handlers) applicationAction(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, u, a := c.Params("id"), httpx.User(c), httpx.Actor(c)
		var err error
		switch action {
		case "submit":
			err = h.Eligibility.Submit(c.UserContext(), a, u, id)
		case "withdraw":
			err = h.Eligibility.Withdraw(c.UserContext(), a, u, id)
		case "delete":
			err = h.Eligibility.RequestDeletion(c.UserContext(), a, u, id)
		}
		if err != nil {
			return err
		}
		return h.applicationView(c, id)
	}
}

func (h *Handlers) uploadDocument(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return apperr.Field("file", "Send the document as multipart/form-data with a file field named \"file\" and a \"kind\" field.")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	d, err := h.Eligibility.UploadDocument(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), c.FormValue("kind"), fh.Filename, f)
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusCreated), d)
}

func (h *Handlers) deleteDocument(c *fiber.Ctx) error {
	if err := h.Eligibility.DeleteDocument(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), c.Params("doc")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handlers) document(c *fiber.Ctx) error {
	obj, name, err := h.Eligibility.OpenDocumentFile(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), c.Params("doc"))
	if err != nil {
		return err
	}
	rc, _, err := h.Media.Get(c.UserContext(), obj.Key, 0, -1)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, obj.ContentType)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderContentDisposition, httpx.Attachment(name, "document-"+c.Params("doc")))
	return c.SendStream(rc, int(obj.Size))
}

func (h *Handlers) reviewQueue(c *fiber.Ctx) error {
	f := eligibility.QueueFilter{Status: c.Query("status"), Query: c.Query("q")}
	if legacy, limit, offset, err := offsetPaging(c); err != nil {
		return err
	} else if legacy {
		f.Limit, f.Offset = limit, offset
		q, err := h.Eligibility.Queue(c.UserContext(), httpx.User(c), f)
		if err != nil {
			return err
		}
		return writeJSON(c, ReviewQueue{Queue: *q})
	}
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	q, next, err := h.Eligibility.QueuePage(c.UserContext(), httpx.User(c), f, r)
	if err != nil {
		return err
	}
	return writeJSON(c, ReviewQueue{Queue: *q, Paging: paging(c, next)})
}

func (h *Handlers) decide(c *fiber.Ctx) error {
	var in DecisionRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.Eligibility.Decide(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), in.Decision, in.Reason); err != nil {
		return err
	}
	return h.applicationView(c, c.Params("id"))
}

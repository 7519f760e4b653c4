// Package api serves the JSON API under /api/v1. Handlers call the same domain services as the HTML
// pages. Errors use the envelope {"error":{"code","message","fields"}}; the OpenAPI document at
// /api/v1/openapi.json is generated from the same operation list that registers the routes.
package api

import (
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/catalog"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/privacy"
	"github.com/peeracademy/peeracademy/internal/report"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Handlers holds what the API needs.
type Handlers struct {
	Accounts    *account.Service
	Version     string
	DevMail     bool
	Cohorts     *cohort.Service
	Curriculum  *curriculum.Curriculum
	Eligibility *eligibility.Service
	Media       media.Store
	Exams       *exam.Service
	Oral        *oral.Service

	Certificates *certificate.Service
	CE           *ce.Service
	Privacy      *privacy.Service
	Courses      *catalog.Service
	Reports      report.Service
	Audit        audit.Trail
	Mailbox      notify.Mailbox
	Now          func() time.Time

	docOnce sync.Once
	doc     *openapi3.T
	docErr  error
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// MessageResponse is a plain confirmation.
type MessageResponse struct {
	Message string `json:"message"`
}

// jsonOptions encode like encoding/json, except that nil slices and maps are sent as [] and {}:
// the document promises arrays and objects, never null, for fields that are not pointers.
var jsonOptions = json.JoinOptions(jsonv1.DefaultOptionsV1(), json.FormatNilSliceAsNull(false), json.FormatNilMapAsNull(false))

// writeJSON sends v as the JSON body.
func writeJSON(c *fiber.Ctx, v any) error {
	b, err := json.Marshal(v, jsonOptions)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(b)
}

package ce

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/page"
)

// Mailer enqueues email in the caller's transaction; notify.Outbox is one.
type Mailer interface {
	Enqueue(ctx context.Context, db bun.IDB, e notify.Email) error
}

// Limits on an activity.
const (
	MaxProofSize = 10 << 20 // bytes
	MaxHours     = 40       // per activity
)

// AllowedProofTypes are the sniffed content types a proof may have.
var AllowedProofTypes = []string{"application/pdf", "image/jpeg", "image/png"}

// Reminder windows: a holder whose current cycle is not met is emailed once when it ends within 60
// days and once more within 30 days.
// ReminderDays are the days before a cycle's end at which its holder is reminded.
var ReminderDays = []int{30, 60}

// Service keeps CE activities and applies the rules.
type Service struct {
	DB      *bun.DB
	Certs   Certs // the certificates (package certificate owns them)
	Media   media.Store
	Outbox  Mailer
	BaseURL string // public URL, for links in email
	Now     func() time.Time
}

var (
	errNotFound         = apperr.New(apperr.NotFound, "not_found", "We could not find that certificate.")
	errActivityNotFound = apperr.New(apperr.NotFound, "not_found", "We could not find that activity.")
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return database.Now()
}

// holds: the candidate who holds the certificate.
func holds(u *account.User, c *Cert) bool {
	return u != nil && u.Role == account.RoleCandidate && u.ID == c.CandidateID
}

// administers: an administrator of the vendor that issued the certificate.
func administers(u *account.User, vendorID string) bool {
	return u != nil && u.Role == account.RoleVendorAdmin && u.Vendor() == vendorID
}

func (s *Service) cert(ctx context.Context, db bun.IDB, id string) (*Cert, error) {
	return readCert(ctx, s.Certs, db, id)
}

func readCert(ctx context.Context, certs Certs, db bun.IDB, id string) (*Cert, error) {
	m, err := certs.CECerts(ctx, db, []string{id})
	if err != nil {
		return nil, err
	}
	c, ok := m[id]
	if !ok {
		return nil, errNotFound
	}
	return &c, nil
}

// certFor loads a certificate its holder or one of its vendor's administrators may see.
func (s *Service) certFor(ctx context.Context, viewer *account.User, id string) (*Cert, error) {
	c, err := s.cert(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	if !holds(viewer, c) && !administers(viewer, c.VendorID) {
		return nil, errNotFound
	}
	return c, nil
}

// Activities returns every activity recorded against a certificate, by date.
func Activities(ctx context.Context, db bun.IDB, certID string) ([]Activity, error) {
	var as []Activity
	err := db.NewSelect().Model(&as).Where("certificate_id = ?", certID).Order("date", "created_at").Scan(ctx)
	return as, err
}

// AwaitingReview counts the vendor's activities submitted and not yet reviewed.
func AwaitingReview(ctx context.Context, db bun.IDB, vendorID string) (int, error) {
	n, err := db.NewSelect().Model((*Activity)(nil)).Where("vendor_id = ?", vendorID).Where("status = ?", StatusSubmitted).Count(ctx)
	return int(n), err
}

// ---- recording and review ----

func clean(f apperr.Fields, key, v string, maxLen int, what string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		f.Add(key, "Enter "+what+".")
	case utf8.RuneCountInString(v) > maxLen:
		f.Add(key, fmt.Sprintf("Use at most %d characters.", maxLen))
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		f.Add(key, "Remove the line breaks or special characters.")
	}
	return v
}

// parseHours reads hours with at most two decimal places as hundredths.
func parseHours(f apperr.Fields, s string) int {
	s = strings.TrimSpace(s)
	v, err := strconv.ParseFloat(s, 64)
	if s == "" {
		f.Add("hours", "Enter the hours, such as 1.5.")
		return 0
	}
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		f.Add("hours", "Enter the hours as a number, such as 1.5.")
		return 0
	}
	n := math.Round(v * 100)
	switch {
	case v <= 0:
		f.Add("hours", "Hours must be more than 0.")
	case v > MaxHours:
		f.Add("hours", fmt.Sprintf("One activity counts for at most %d hours; record longer training as several activities.", MaxHours))
	case math.Abs(v*100-n) > 1e-6:
		f.Add("hours", "Use at most two decimal places, such as 1.25.")
	}
	return int(n)
}

// Record stores an activity the holder took part in, waiting for review by the vendor that issued
// the certificate. proof, when not nil, is a PDF, JPEG or PNG of at most 10 MB (the sniffed type
// counts, not the name). Field errors name "title", "provider", "date", "hours", "category" and "proof".
func (s *Service) Record(ctx context.Context, a audit.Actor, holder *account.User, certID string, in ActivityInput, proof io.Reader) (*Activity, error) {
	c, err := s.cert(ctx, s.DB, certID)
	if err != nil {
		return nil, err
	}
	if !holds(holder, c) {
		return nil, errNotFound
	}
	if c.Status != "active" {
		return nil, apperr.New(apperr.Conflict, "certificate_revoked", "This certificate has been revoked; continuing education cannot be recorded against it.")
	}
	f := apperr.Fields{}
	act := &Activity{ID: uuid.Must(uuid.NewV7()).String(), CertificateID: c.ID, HolderID: holder.ID, VendorID: c.VendorID,
		Status: StatusSubmitted, CreatedAt: s.now()}
	act.Title = clean(f, "title", in.Title, 200, "the activity's title")
	act.Provider = clean(f, "provider", in.Provider, 200, "who provided the activity")
	act.Date = strings.TrimSpace(in.Date)
	if d, err := time.Parse(DateLayout, act.Date); err != nil {
		f.Add("date", "Enter the date such as 2027-03-31 (year, month, day).")
	} else if today := Day(s.now()); d.After(today) {
		f.Add("date", "The date cannot be in the future.")
	} else if d.Before(Day(c.IssuedAt)) {
		f.Add("date", "The activity took place before this certificate was issued ("+Day(c.IssuedAt).Format(DateLayout)+"), so it cannot count toward it.")
	}
	act.Hundredths = parseHours(f, in.Hours)
	act.Category = Category(strings.TrimSpace(string(in.Category)))
	if !act.Category.Valid() {
		f.Add("category", "Choose peer support or recovery, ethics, or general.")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	if proof != nil {
		key := "ce/" + act.ID
		if _, err := s.Media.Put(ctx, key, proof, media.PutOptions{MaxSize: MaxProofSize, AllowedTypes: AllowedProofTypes}); err != nil {
			switch {
			case errors.Is(err, media.ErrTooLarge):
				return nil, apperr.Field("proof", "The file is larger than 10 MB.")
			case errors.Is(err, media.ErrTypeNotAllowed):
				return nil, apperr.Field("proof", "Upload a PDF, JPEG or PNG file.")
			case errors.Is(err, media.ErrEmpty):
				return nil, apperr.Field("proof", "The file is empty.")
			}
			return nil, err
		}
		act.ProofKey = &key
		act.ProofFilename = proofName(in.ProofFilename)
	}
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(act).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "ce.record", SubjectType: "ce_activity", SubjectID: act.ID, VendorID: c.VendorID,
			Details: map[string]any{"certificate": c.ID, "category": act.Category, "hours": act.Hours(), "proof": act.ProofKey != nil}})
	})
	if err != nil {
		if act.ProofKey != nil {
			_ = s.Media.Delete(context.WithoutCancel(ctx), *act.ProofKey)
		}
		return nil, err
	}
	return act, nil
}

// Review verifies an activity (it then counts) or rejects it (a reason is required). An
// administrator of the certificate's vendor may review again to correct a decision.
func (s *Service) Review(ctx context.Context, a audit.Actor, admin *account.User, activityID string, verify bool, reason string) error {
	reason = strings.TrimSpace(reason)
	if !verify && reason == "" {
		return apperr.Field("reason", "Say why the activity does not count; the holder sees this.")
	}
	if utf8.RuneCountInString(reason) > 1000 {
		return apperr.Field("reason", "Use at most 1,000 characters.")
	}
	status, action := StatusVerified, "ce.verify"
	if !verify {
		status, action = StatusRejected, "ce.reject"
	}
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		act := new(Activity)
		q := tx.NewSelect().Model(act).Where("id = ?", activityID)
		if database.IsPostgres(tx) {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			if database.ErrIsNotFound(err) {
				return errActivityNotFound
			}
			return err
		}
		if !administers(admin, act.VendorID) {
			return errActivityNotFound
		}
		if act.Credited() {
			return errCredited
		}
		if act.Status == status {
			return apperr.New(apperr.Conflict, "already_reviewed", "This activity is already "+status+".")
		}
		now := s.now()
		_, err := tx.NewUpdate().Model((*Activity)(nil)).Where("id = ?", act.ID).Set("status = ?", status).
			Set("reviewed_by = ?", admin.ID).Set("reviewed_at = ?", now).Set("review_reason = ?", reason).Exec(ctx)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: action, SubjectType: "ce_activity", SubjectID: act.ID, VendorID: act.VendorID,
			Details: map[string]any{"certificate": act.CertificateID, "previous": act.Status, "reason": reason}})
	})
}

var errCredited = apperr.New(apperr.Conflict, "credited_by_course",
	"This activity was credited by completing a course on the platform; the completion verifies it and it cannot be changed.")

// CourseCredit is a catalogue course completion to record as CE.
type CourseCredit struct {
	CertificateID, HolderID string
	CourseSlug, CourseTitle string
	Provider                string // the offering vendor's name
	EnrolmentID             string
	Minutes                 int
	Category                Category
	CompletedAt             time.Time
}

// CreditCourse records a completed catalogue course as a verified CE activity on the holder's
// certificate, in the caller's transaction (the completion and its credit commit together). The
// activity links to the course and the enrolment; Review refuses to change it. Crediting the same
// enrolment twice is a conflict (the unique enrolment link).
func CreditCourse(ctx context.Context, tx bun.IDB, certs Certs, a audit.Actor, in CourseCredit) (*Activity, error) {
	c, err := readCert(ctx, certs, tx, in.CertificateID)
	if err != nil {
		return nil, err
	}
	if c.CandidateID != in.HolderID || c.Status != "active" {
		return nil, apperr.New(apperr.Conflict, "certificate_not_active", "Continuing education is credited only to the holder's active certificate.")
	}
	if !in.Category.Valid() || in.Minutes <= 0 {
		return nil, fmt.Errorf("ce: course credit of %d minutes in %q", in.Minutes, in.Category)
	}
	enrolment := in.EnrolmentID
	act := &Activity{ID: uuid.Must(uuid.NewV7()).String(), CertificateID: c.ID, HolderID: in.HolderID, VendorID: c.VendorID,
		Title: in.CourseTitle, Provider: in.Provider, Date: Day(in.CompletedAt).Format(DateLayout),
		Hundredths: CourseHundredths(in.Minutes), Category: in.Category, Status: StatusVerified, ReviewedAt: &in.CompletedAt,
		ReviewReason: "Credited on completing the course " + in.CourseSlug + ".", CreatedAt: in.CompletedAt,
		CourseSlug: in.CourseSlug, EnrolmentID: &enrolment}
	if _, err := tx.NewInsert().Model(act).Exec(ctx); err != nil {
		return nil, err
	}
	err = audit.Record(ctx, tx, a, audit.Entry{Action: "ce.credit", SubjectType: "ce_activity", SubjectID: act.ID, VendorID: c.VendorID,
		Details: map[string]any{"certificate": c.ID, "course": in.CourseSlug, "enrolment": in.EnrolmentID, "category": act.Category, "hours": act.Hours()}})
	return act, err
}

// List returns a certificate's activities, for its holder and its vendor's administrators.
func (s *Service) List(ctx context.Context, viewer *account.User, certID string) ([]Activity, error) {
	p, err := s.ListPage(ctx, viewer, certID, page.All)
	return p.Items, err
}

// activitiesOrder is the order of a certificate's activities: by date, then as recorded.
var activitiesOrder = page.Order{List: "ce", Keys: []page.Key{{Col: "date"}, {Col: "created_at", Time: true}, {Col: "id"}}}

// ListPage is one page of List.
func (s *Service) ListPage(ctx context.Context, viewer *account.User, certID string, r page.Request) (page.Page[Activity], error) {
	c, err := s.certFor(ctx, viewer, certID)
	if err != nil {
		return page.Page[Activity]{}, err
	}
	var as []Activity
	return page.Fetch(ctx, s.DB.NewSelect().Model(&as).Where("certificate_id = ?", c.ID), &as, r, activitiesOrder, func(a Activity) []any { return []any{a.Date, a.CreatedAt, a.ID} })
}

// QueueRow is an activity waiting for review, with whose it is.
type QueueRow struct {
	Activity
	HolderName        string `json:"holder_name"`
	CertificateNumber string `json:"certificate_number"`
}

// Queue lists the vendor's activities waiting for review, oldest first.
func (s *Service) Queue(ctx context.Context, admin *account.User) ([]QueueRow, error) {
	if admin == nil || admin.Role != account.RoleVendorAdmin || admin.Vendor() == "" {
		return nil, apperr.New(apperr.Forbidden, "forbidden", "Only vendor administrators review continuing education.")
	}
	var as []Activity
	if err := s.DB.NewSelect().Model(&as).Where("vendor_id = ?", admin.Vendor()).Where("status = ?", StatusSubmitted).
		Order("created_at").Limit(500).Scan(ctx); err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, a := range as {
		ids[a.CertificateID] = true
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	certs, err := s.Certs.CECerts(ctx, s.DB, list)
	if err != nil {
		return nil, err
	}
	out := make([]QueueRow, 0, len(as))
	for _, a := range as {
		c := certs[a.CertificateID]
		out = append(out, QueueRow{Activity: a, HolderName: c.HolderName, CertificateNumber: c.Number})
	}
	return out, nil
}

// Proof streams an activity's proof file, for the holder and the vendor's administrators.
func (s *Service) Proof(ctx context.Context, viewer *account.User, activityID string) (io.ReadCloser, media.Object, error) {
	rc, obj, _, err := s.ProofFile(ctx, viewer, activityID)
	return rc, obj, err
}

// ProofFile is Proof that also returns the file name the holder gave the proof ("" if unknown).
func (s *Service) ProofFile(ctx context.Context, viewer *account.User, activityID string) (io.ReadCloser, media.Object, string, error) {
	act := new(Activity)
	if err := s.DB.NewSelect().Model(act).Where("id = ?", activityID).Scan(ctx); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, media.Object{}, "", errActivityNotFound
		}
		return nil, media.Object{}, "", err
	}
	if (viewer == nil || viewer.ID != act.HolderID || viewer.Role != account.RoleCandidate) && !administers(viewer, act.VendorID) {
		return nil, media.Object{}, "", errActivityNotFound
	}
	if act.ProofKey == nil {
		return nil, media.Object{}, "", apperr.New(apperr.NotFound, "no_proof", "No file was uploaded with this activity.")
	}
	rc, obj, err := s.Media.Get(ctx, *act.ProofKey, 0, -1)
	return rc, obj, act.ProofFilename, err
}

// proofName keeps the last path element of a file name, at most 200 characters; the download
// sanitises it again for the header.
func proofName(name string) string {
	name = strings.TrimSpace(path.Base(strings.ReplaceAll(name, `\`, "/")))
	if name == "." || name == "/" {
		return ""
	}
	if r := []rune(name); len(r) > 200 {
		name = string(r[len(r)-200:])
	}
	return name
}

// Progress evaluates each cycle of the certificate's current validity, oldest first.
func (s *Service) Progress(ctx context.Context, viewer *account.User, certID string) ([]Progress, error) {
	c, err := s.certFor(ctx, viewer, certID)
	if err != nil {
		return nil, err
	}
	acts, err := Activities(ctx, s.DB, c.ID)
	if err != nil {
		return nil, err
	}
	return c.term().Progress(acts), nil
}

// ---- background work ----

// The reminders and lapses of the CE cycle change and read certificates, which package certificate
// owns: they live there (certificate/lapse.go), asking this package for activities and rules.

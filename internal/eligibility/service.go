package eligibility

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/mail"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the application date is a Pennsylvania date, also on hosts without zoneinfo
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/padate"
	"github.com/peeracademy/peeracademy/internal/page"
	"github.com/peeracademy/peeracademy/internal/sealbox"
	"github.com/peeracademy/peeracademy/internal/urls"
)

// Mailer enqueues email in the caller's transaction; notify.Outbox is one.
type Mailer interface {
	Enqueue(ctx context.Context, db bun.IDB, e notify.Email) error
}

// Limits on what an application holds.
const (
	MaxDocumentSize = 10 << 20 // bytes per document
	MaxDocuments    = 20       // documents per application (not counting deleted ones)
	MaxPositions    = 20
	MaxCourses      = 40
	MaxHoursPerWeek = 80
	MaxCredits      = 200 // per course
	// DefaultRetention is how long documents of a withdrawn or rejected application are kept when
	// Service.Retention is not set.
	DefaultRetention = 90 * 24 * time.Hour
	// DefaultDraftRetention is how long documents of an abandoned draft (not changed, nothing
	// uploaded) are kept when Service.DraftRetention is not set.
	DefaultDraftRetention = 180 * 24 * time.Hour
)

// AllowedTypes are the sniffed content types a document may have.
var AllowedTypes = []string{"application/pdf", "image/jpeg", "image/png"}

// Service runs applications and their review.
type Service struct {
	DB        *bun.DB
	Media     media.Store
	Keys      *sealbox.Keyring
	Now       func() time.Time
	Outbox    Mailer
	BaseURL   string        // public URL, for links in email
	Retention time.Duration // documents of withdrawn/rejected applications are purged after this (DefaultRetention if 0)
	// DraftRetention: documents of a draft untouched this long are purged (DefaultDraftRetention if 0).
	DraftRetention time.Duration
}

var _ cohort.Eligibility = (*Service)(nil)

const dateLayout = padate.Layout

// Pennsylvania is where the application date is counted (padate.Location).
var Pennsylvania = padate.Location

var (
	errNotFound    = apperr.New(apperr.NotFound, "not_found", "We could not find that application.")
	errDocNotFound = apperr.New(apperr.NotFound, "not_found", "We could not find that document.")
	errNotEditable = apperr.New(apperr.Conflict, "not_editable", "This application can no longer be changed.")
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return database.Now()
}

// today is the current calendar date in Pennsylvania.
func (s *Service) today() time.Time { return date(s.now().In(Pennsylvania)) }

func (s *Service) draftRetention() time.Duration {
	if s.DraftRetention > 0 {
		return s.DraftRetention
	}
	return DefaultDraftRetention
}

// DraftRetentionDays is the draft retention in whole days, for telling candidates.
func (s *Service) DraftRetentionDays() int { return int(s.draftRetention() / (24 * time.Hour)) }

func (s *Service) retention() time.Duration {
	if s.Retention > 0 {
		return s.Retention
	}
	return DefaultRetention
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// isOwner: the candidate who owns the application.
func isOwner(u *account.User, app *Application) bool {
	return u != nil && u.Role == account.RoleCandidate && u.ID == app.CandidateID
}

// isReviewer: an administrator of the vendor applied to, once the candidate has submitted (a draft
// is the candidate's alone).
func isReviewer(u *account.User, app *Application) bool {
	return u != nil && u.Role == account.RoleVendorAdmin && u.Vendor() == app.VendorID && app.SubmittedAt != nil
}

// scope is the vendor an audit event about app is filed under: none while the candidate has not
// submitted, so a vendor's trail does not reveal drafts.
func scope(app *Application) string {
	if app.SubmittedAt == nil {
		return ""
	}
	return app.VendorID
}

// get reads an application; lock takes a row lock on PostgreSQL (SQLite transactions are immediate).
func (s *Service) get(ctx context.Context, db bun.IDB, id string, lock bool) (*Application, error) {
	app := new(Application)
	q := db.NewSelect().Model(app).Where("id = ?", id)
	if lock && database.IsPostgres(db) {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, errNotFound
		}
		return nil, err
	}
	return app, nil
}

func aad(appID, field string) string { return "application/" + appID + "/" + field }

func (s *Service) seal(appID, field, value string) (string, error) {
	if value == "" {
		return "", nil
	}
	return s.Keys.Seal([]byte(value), aad(appID, field))
}

func (s *Service) open(appID, field, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	b, err := s.Keys.Open(sealed, aad(appID, field))
	if err != nil {
		return "", fmt.Errorf("eligibility: open %s of application %s: %w", field, appID, err)
	}
	return string(b), nil
}

// ---- starting and editing ----

// Start opens a draft application from a candidate to a recognised vendor. A candidate has at most
// one open application (not withdrawn or rejected) per vendor.
func (s *Service) Start(ctx context.Context, a audit.Actor, candidate *account.User, vendorID string) (*View, error) {
	if candidate.Role != account.RoleCandidate {
		return nil, apperr.New(apperr.Forbidden, "forbidden", "Only candidates apply to training organisations.")
	}
	v, err := account.LoadVendor(ctx, s.DB, vendorID)
	if err != nil || !v.Recognised() {
		if err == nil || database.ErrIsNotFound(err) {
			return nil, apperr.Field("vendor_id", "Choose a recognised training organisation.")
		}
		return nil, err
	}
	now := s.now()
	app := &Application{ID: newID(), CandidateID: candidate.ID, VendorID: v.ID, Status: StatusDraft,
		LegalName: candidate.Name, EmailContact: candidate.Email, CreatedAt: now, UpdatedAt: now}
	errOpen := apperr.New(apperr.Conflict, "application_open", "You already have an application with this training organisation.")
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		// Serialise a candidate's starts so two at once cannot both pass the check below.
		if err := account.LockUser(ctx, tx, candidate.ID); err != nil {
			return err
		}
		n, err := tx.NewSelect().Model((*Application)(nil)).Where("candidate_id = ?", candidate.ID).Where("vendor_id = ?", v.ID).
			Where("status NOT IN (?)", bun.In([]string{StatusWithdrawn, StatusRejected})).Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return errOpen
		}
		if _, err := tx.NewInsert().Model(app).Exec(ctx); err != nil {
			if errors.Is(database.Err(err), database.ErrConflict) {
				return errOpen
			}
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "application.start", SubjectType: "application", SubjectID: app.ID})
	})
	if err != nil {
		return nil, err
	}
	return &View{ID: app.ID, CandidateID: app.CandidateID, VendorID: v.ID, VendorName: v.Name, Status: app.Status,
		LegalName: app.LegalName, Email: app.EmailContact, CreatedAt: now, UpdatedAt: now}, nil
}

// parsed is a validated Draft.
type parsed struct {
	legalName, preferredName, email, phone string
	dob, education, attestation            string
	educationYear                          int
	selfIdentifies, consent                bool
	positions                              []positionRow
	courses                                []courseRow
}

func tooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

// clean trims a one-line value and refuses control characters.
func clean(f apperr.Fields, key, s string, max int) string {
	s = strings.TrimSpace(s)
	if tooLong(s, max) {
		f.Add(key, fmt.Sprintf("Use at most %d characters.", max))
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		f.Add(key, "Remove the line breaks or special characters.")
	}
	return s
}

// parseDate reads a past-or-today date.
func parseDate(f apperr.Fields, key, s string, today time.Time, what string) (string, time.Time, bool) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		f.Add(key, "Enter "+what+" as a date such as 2024-03-31 (year, month, day).")
		return s, time.Time{}, false
	}
	if t.After(today) {
		f.Add(key, strings.ToUpper(what[:1])+what[1:]+" cannot be in the future.")
		return s, t, false
	}
	if t.Year() < 1900 {
		f.Add(key, "Check the year of "+what+".")
		return s, t, false
	}
	return s, t, true
}

// parseScaled reads a decimal number with at most `decimals` places as an integer count of
// 10^-decimals units (hours 37.5 -> 375 tenths).
func parseScaled(s string, decimals int) (int, bool, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, false
	}
	scale := math.Pow10(decimals)
	n := math.Round(f * scale)
	if math.Abs(f*scale-n) > 1e-6 {
		return int(n), true, false // a number, but too precise
	}
	return int(n), true, true
}

func (s *Service) validate(in Draft) (*parsed, error) {
	f := apperr.Fields{}
	today := s.today()
	p := &parsed{selfIdentifies: in.SelfIdentifies, consent: in.Consent}
	p.legalName = clean(f, "legal_name", in.LegalName, 200)
	p.preferredName = clean(f, "preferred_name", in.PreferredName, 200)
	p.email = clean(f, "email", in.Email, 254)
	if p.email != "" {
		if addr, err := mail.ParseAddress(p.email); err != nil || addr.Address != p.email || !strings.Contains(p.email, ".") {
			f.Add("email", "Enter an email address such as name@example.org.")
		}
	}
	p.phone = clean(f, "phone", in.Phone, 40)
	if p.phone != "" {
		digits := 0
		for _, r := range p.phone {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case strings.ContainsRune(" +-().", r):
			default:
				digits = -100
			}
		}
		if digits < 7 || digits > 15 {
			f.Add("phone", "Enter a phone number such as (215) 555-0100.")
		}
	}
	if strings.TrimSpace(in.DateOfBirth) != "" {
		if d, _, ok := parseDate(f, "dob", in.DateOfBirth, today, "your date of birth"); ok {
			p.dob = d
		}
	}
	switch e := strings.TrimSpace(in.Education); e {
	case "", EducationDiploma, EducationGED:
		p.education = e
	default:
		f.Add("education", "Choose a high-school diploma, a GED, or neither.")
	}
	if y := strings.TrimSpace(in.EducationYear); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 1930 || n > today.Year() {
			f.Add("education_year", fmt.Sprintf("Enter the year as four digits, between 1930 and %d.", today.Year()))
		} else {
			p.educationYear = n
		}
	}
	p.attestation = strings.TrimSpace(in.Attestation)
	if tooLong(p.attestation, 5000) {
		f.Add("attestation", "Keep your statement under 5,000 characters.")
	}

	blank := func(ss ...string) bool {
		for _, s := range ss {
			if strings.TrimSpace(s) != "" {
				return false
			}
		}
		return true
	}
	for i, in := range in.Positions {
		if !in.Paid && blank(in.Title, in.Organisation, in.Start, in.End, in.Hours) {
			continue
		}
		key := fmt.Sprintf("positions[%d].", i)
		if len(p.positions) == MaxPositions {
			f.Add("positions", fmt.Sprintf("List at most %d positions.", MaxPositions))
			break
		}
		row := positionRow{Seq: len(p.positions), Paid: in.Paid}
		if row.Title = clean(f, key+"title", in.Title, 200); row.Title == "" {
			f.Add(key+"title", "Say what the role was.")
		}
		if row.Organisation = clean(f, key+"organisation", in.Organisation, 200); row.Organisation == "" {
			f.Add(key+"organisation", "Name the organisation.")
		}
		start, st, startOK := parseDate(f, key+"start", in.Start, today, "the start date")
		row.StartDate = start
		if strings.TrimSpace(in.End) != "" {
			end, et, ok := parseDate(f, key+"end", in.End, today, "the end date")
			if ok && startOK && et.Before(st) {
				f.Add(key+"end", "The end date is before the start date.")
			}
			row.EndDate = &end
		}
		n, isNum, exact := parseScaled(in.Hours, 1)
		switch {
		case strings.TrimSpace(in.Hours) == "":
			f.Add(key+"hours", "Enter the hours a week you worked or volunteered, such as 20.")
		case !isNum:
			f.Add(key+"hours", "Enter the hours a week as a number, such as 20 or 37.5.")
		case n < 0:
			f.Add(key+"hours", "Hours a week cannot be negative.")
		case n == 0:
			f.Add(key+"hours", "Enter the hours a week you worked or volunteered; it must be more than 0.")
		case n > MaxHoursPerWeek*10:
			f.Add(key+"hours", fmt.Sprintf("Enter at most %d hours a week.", MaxHoursPerWeek))
		case !exact:
			f.Add(key+"hours", "Use at most one decimal place, such as 37.5.")
		}
		row.HoursTenths = n
		p.positions = append(p.positions, row)
	}
	for i, in := range in.Courses {
		if blank(in.Institution, in.Course, in.Completed, in.Credits) {
			continue
		}
		key := fmt.Sprintf("courses[%d].", i)
		if len(p.courses) == MaxCourses {
			f.Add("courses", fmt.Sprintf("List at most %d courses.", MaxCourses))
			break
		}
		row := courseRow{Seq: len(p.courses)}
		if row.Institution = clean(f, key+"institution", in.Institution, 200); row.Institution == "" {
			f.Add(key+"institution", "Name the college or university.")
		}
		if row.Course = clean(f, key+"course", in.Course, 200); row.Course == "" {
			f.Add(key+"course", "Name the course.")
		}
		row.CompletedDate, _, _ = parseDate(f, key+"completed", in.Completed, today, "the completion date")
		n, isNum, exact := parseScaled(in.Credits, 2)
		switch {
		case strings.TrimSpace(in.Credits) == "":
			f.Add(key+"credits", "Enter the credit hours, such as 3.")
		case !isNum:
			f.Add(key+"credits", "Enter the credit hours as a number, such as 3 or 1.5.")
		case n < 0:
			f.Add(key+"credits", "Credit hours cannot be negative.")
		case n > MaxCredits*100:
			f.Add(key+"credits", fmt.Sprintf("Enter at most %d credit hours for one course.", MaxCredits))
		case !exact:
			f.Add(key+"credits", "Use at most two decimal places, such as 1.5.")
		}
		row.CreditsHundredths = n
		p.courses = append(p.courses, row)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// SaveDraft validates and stores the candidate's answers, replacing what was stored, while the
// application is a draft or needs more information. On any field error nothing is stored and the
// Invalid error names each field ("legal_name", "dob", "positions[0].start", "courses[1].credits", …,
// indexes as submitted, blank rows included): the form is shown again with the values posted, so
// nothing typed is lost. The date of birth and the statement are sealed.
func (s *Service) SaveDraft(ctx context.Context, a audit.Actor, candidate *account.User, appID string, in Draft) error {
	p, err := s.validate(in)
	if err != nil {
		return err
	}
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		app, err := s.get(ctx, tx, appID, true)
		if err != nil {
			return err
		}
		if !isOwner(candidate, app) {
			return errNotFound
		}
		if !Editable(app.Status) {
			return errNotEditable
		}
		dob, err := s.seal(app.ID, "dob", p.dob)
		if err != nil {
			return err
		}
		att, err := s.seal(app.ID, "attestation", p.attestation)
		if err != nil {
			return err
		}
		_, err = tx.NewUpdate().Model((*Application)(nil)).Where("id = ?", app.ID).
			Set("legal_name = ?", p.legalName).Set("preferred_name = ?", p.preferredName).
			Set("email_contact = ?", p.email).Set("phone = ?", p.phone).
			Set("education = ?", p.education).Set("education_year = ?", p.educationYear).
			Set("dob_sealed = ?", dob).Set("attestation_sealed = ?", att).
			Set("self_identifies = ?", p.selfIdentifies).Set("consent = ?", p.consent).
			Set("updated_at = ?", s.now()).Exec(ctx)
		if err != nil {
			return err
		}
		if err := s.replaceRows(ctx, tx, app.ID, p); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "application.save", SubjectType: "application", SubjectID: app.ID, VendorID: scope(app),
			Details: map[string]any{"positions": len(p.positions), "courses": len(p.courses)}})
	})
}

func (s *Service) replaceRows(ctx context.Context, tx bun.IDB, appID string, p *parsed) error {
	if _, err := tx.NewDelete().Model((*positionRow)(nil)).Where("application_id = ?", appID).Exec(ctx); err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model((*courseRow)(nil)).Where("application_id = ?", appID).Exec(ctx); err != nil {
		return err
	}
	for i := range p.positions {
		p.positions[i].ID, p.positions[i].ApplicationID = newID(), appID
	}
	for i := range p.courses {
		p.courses[i].ID, p.courses[i].ApplicationID = newID(), appID
	}
	if len(p.positions) > 0 {
		if _, err := tx.NewInsert().Model(&p.positions).Exec(ctx); err != nil {
			return err
		}
	}
	if len(p.courses) > 0 {
		if _, err := tx.NewInsert().Model(&p.courses).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// ---- reading ----

// view assembles the opened application.
func (s *Service) view(ctx context.Context, db bun.IDB, app *Application) (*View, error) {
	v := &View{ID: app.ID, CandidateID: app.CandidateID, VendorID: app.VendorID, Status: app.Status,
		LegalName: app.LegalName, PreferredName: app.PreferredName, Email: app.EmailContact, Phone: app.Phone,
		Education: app.Education, EducationYear: app.EducationYear, SelfIdentifies: app.SelfIdentifies, Consent: app.Consent,
		SubmittedAt: app.SubmittedAt, DecidedAt: app.DecidedAt, DecisionReason: app.DecisionReason,
		DeletionRequestedAt: app.DeletionRequestedAt, CreatedAt: app.CreatedAt, UpdatedAt: app.UpdatedAt,
		Positions: []PositionView{}, Courses: []CourseView{}, Documents: []Document{}}
	var err error
	if v.DateOfBirth, err = s.open(app.ID, "dob", app.DOBSealed); err != nil {
		return nil, err
	}
	if v.Attestation, err = s.open(app.ID, "attestation", app.AttestationSealed); err != nil {
		return nil, err
	}
	if v.VendorName, err = account.VendorName(ctx, db, app.VendorID); err != nil {
		return nil, err
	}
	var ps []positionRow
	if err := db.NewSelect().Model(&ps).Where("application_id = ?", app.ID).Order("seq").Scan(ctx); err != nil {
		return nil, err
	}
	for _, p := range ps {
		pv := PositionView{Title: p.Title, Organisation: p.Organisation, Paid: p.Paid, Start: p.StartDate, Hours: float64(p.HoursTenths) / 10}
		if p.EndDate != nil {
			pv.End = *p.EndDate
		}
		v.Positions = append(v.Positions, pv)
	}
	var cs []courseRow
	if err := db.NewSelect().Model(&cs).Where("application_id = ?", app.ID).Order("seq").Scan(ctx); err != nil {
		return nil, err
	}
	for _, c := range cs {
		v.Courses = append(v.Courses, CourseView{Institution: c.Institution, Course: c.Course, Completed: c.CompletedDate, Credits: float64(c.CreditsHundredths) / 100})
	}
	if err := db.NewSelect().Model(&v.Documents).Where("application_id = ?", app.ID).Where("deleted_at IS NULL").
		Order("uploaded_at", "id").Scan(ctx); err != nil {
		return nil, err
	}
	return v, nil
}

// Load returns an application, opened, to its candidate or to an administrator of its vendor (once
// submitted). Anyone else is told it does not exist. A vendor administrator's view is audited.
func (s *Service) Load(ctx context.Context, a audit.Actor, viewer *account.User, appID string) (*View, error) {
	app, err := s.get(ctx, s.DB, appID, false)
	if err != nil {
		return nil, err
	}
	owner, reviewer := isOwner(viewer, app), isReviewer(viewer, app)
	if !owner && !reviewer {
		return nil, errNotFound
	}
	v, err := s.view(ctx, s.DB, app)
	if err != nil {
		return nil, err
	}
	if reviewer {
		if err := audit.Record(ctx, s.DB, a, audit.Entry{Action: "application.view", SubjectType: "application", SubjectID: app.ID, VendorID: app.VendorID}); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// Evaluate applies the eligibility rule to an application: on today's date while the candidate is
// still editing it, on the date it was submitted once it has been. While it can still be edited, the
// proofs it lacks (MissingProofs) are unmet requirements too, as Submit refuses without them.
func (s *Service) Evaluate(ctx context.Context, v *View) Result {
	if Editable(v.Status) {
		return withProofs(v, Evaluate(v.Facts(), s.now().In(Pennsylvania)))
	}
	asOf := s.now()
	if v.SubmittedAt != nil {
		asOf = *v.SubmittedAt
	}
	return Evaluate(v.Facts(), asOf.In(Pennsylvania))
}

// Mine lists a candidate's applications, newest first.
func (s *Service) Mine(ctx context.Context, candidate *account.User) ([]Summary, error) {
	p, err := s.MinePage(ctx, candidate, page.All)
	return p.Items, err
}

// mineOrder is the order of a candidate's applications: newest first.
var mineOrder = page.Order{List: "applications", Keys: []page.Key{{Col: "a.created_at", Time: true}, {Col: "a.id"}}, Desc: true}

// MinePage is one page of Mine.
func (s *Service) MinePage(ctx context.Context, candidate *account.User, r page.Request) (page.Page[Summary], error) {
	out := []Summary{}
	q := s.DB.NewSelect().TableExpr("applications AS a").
		ColumnExpr("a.id, a.vendor_id, a.status, a.submitted_at, a.updated_at, a.created_at").
		Where("a.candidate_id = ?", candidate.ID)
	p, err := page.Fetch(ctx, q, &out, r, mineOrder, func(x Summary) []any { return []any{x.CreatedAt, x.ID} })
	if err != nil || len(p.Items) == 0 {
		return p, err
	}
	ids := make([]string, 0, len(p.Items))
	for _, x := range p.Items {
		ids = append(ids, x.VendorID)
	}
	names, err := account.VendorNamesByID(ctx, s.DB, ids) // the vendors' names, in one read for the page
	if err != nil {
		return page.Page[Summary]{}, err
	}
	for i := range p.Items {
		p.Items[i].VendorName = names[p.Items[i].VendorID]
	}
	return p, nil
}

// ---- submitting and deciding ----

func (s *Service) link(appID string) string {
	return urls.Base(s.BaseURL).Application(appID)
}

// Submit sends the application for review when it meets every requirement (otherwise an Invalid
// error with code "requirements_unmet" whose Fields map each unmet requirement's code, and
// "legal_name" when the name is missing, to a sentence), and emails the candidate a confirmation.
// An application that needed more information is submitted again the same way.
func (s *Service) Submit(ctx context.Context, a audit.Actor, candidate *account.User, appID string) error {
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		app, err := s.get(ctx, tx, appID, true)
		if err != nil {
			return err
		}
		if !isOwner(candidate, app) {
			return errNotFound
		}
		if !Editable(app.Status) {
			return apperr.New(apperr.Conflict, "not_editable", "This application has already been sent.")
		}
		v, err := s.view(ctx, tx, app)
		if err != nil {
			return err
		}
		now := s.now()
		res := withProofs(v, Evaluate(v.Facts(), now.In(Pennsylvania)))
		fields := map[string]string{}
		var msgs []string
		if v.LegalName == "" {
			fields["legal_name"] = "Enter your legal name."
			msgs = append(msgs, fields["legal_name"])
		}
		for _, u := range res.Unmet {
			fields[u.Code] = u.Message
			msgs = append(msgs, u.Message)
		}
		if len(fields) > 0 {
			msg := "Your application cannot be sent yet. " + strings.Join(msgs, " ")
			return &apperr.Error{Kind: apperr.Invalid, Code: "requirements_unmet", Message: msg, Fields: fields}
		}
		resubmit := app.Status == StatusNeedsInfo
		_, err = tx.NewUpdate().Model((*Application)(nil)).Where("id = ?", app.ID).
			Set("status = ?", StatusSubmitted).Set("submitted_at = ?", now).Set("updated_at = ?", now).Exec(ctx)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, a, audit.Entry{Action: "application.submit", SubjectType: "application", SubjectID: app.ID, VendorID: app.VendorID,
			Details: map[string]any{"resubmission": resubmit, "documents": len(v.Documents)}}); err != nil {
			return err
		}
		e, err := notify.Compose(candidate.Email, "eligibility_sent", map[string]any{"Vendor": v.VendorName, "URL": s.link(app.ID)})
		if err != nil {
			return err
		}
		return s.Outbox.Enqueue(ctx, tx, e)
	})
}

// Decide records a vendor administrator's decision on a submitted application: approve, reject or
// needs_info (the candidate then amends it and submits again). A reason is required to reject or to
// ask for more information; it is shown to the candidate when they sign in, never put in the email.
func (s *Service) Decide(ctx context.Context, a audit.Actor, admin *account.User, appID, decision, reason string) error {
	reason = strings.TrimSpace(reason)
	status := ""
	switch decision {
	case DecisionApprove:
		status = StatusApproved
	case DecisionReject:
		status = StatusRejected
	case DecisionNeedsInfo:
		status = StatusNeedsInfo
	default:
		return apperr.Field("decision", "Choose approve, reject or ask for more information.")
	}
	f := apperr.Fields{}
	if reason == "" && decision != DecisionApprove {
		if decision == DecisionReject {
			f.Add("reason", "Explain to the candidate why the application is not approved.")
		} else {
			f.Add("reason", "Say what more information the candidate should give.")
		}
	}
	if tooLong(reason, 2000) {
		f.Add("reason", "Keep the reason under 2,000 characters.")
	}
	if err := f.Err(); err != nil {
		return err
	}
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		app, err := s.get(ctx, tx, appID, true)
		if err != nil {
			return err
		}
		if !isReviewer(admin, app) {
			return errNotFound
		}
		if app.Status != StatusSubmitted {
			return apperr.New(apperr.Conflict, "not_submitted", "Only an application waiting for review can be decided.")
		}
		if decision == DecisionApprove {
			v, err := s.view(ctx, tx, app)
			if err != nil {
				return err
			}
			if res := Evaluate(v.Facts(), app.SubmittedAt.In(Pennsylvania)); !res.Eligible {
				return apperr.New(apperr.Conflict, "not_eligible", "This application does not meet every eligibility requirement.")
			}
		}
		now := s.now()
		_, err = tx.NewUpdate().Model((*Application)(nil)).Where("id = ?", app.ID).
			Set("status = ?", status).Set("decided_at = ?", now).Set("decided_by = ?", admin.ID).
			Set("decision_reason = ?", reason).Set("updated_at = ?", now).Exec(ctx)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, a, audit.Entry{Action: "application.decide", SubjectType: "application", SubjectID: app.ID, VendorID: app.VendorID,
			Details: map[string]any{"decision": decision}}); err != nil {
			return err
		}
		to, err := account.Email(ctx, tx, app.CandidateID)
		if err != nil {
			return err
		}
		vendorName, err := account.VendorName(ctx, tx, app.VendorID)
		if err != nil {
			return err
		}
		e, err := notify.Compose(to, "eligibility_"+decision, map[string]any{"Vendor": vendorName, "URL": s.link(app.ID)})
		if err != nil {
			return err
		}
		return s.Outbox.Enqueue(ctx, tx, e)
	})
}

// Queue lists the applications submitted to the administrator's vendor, oldest submission first,
// with counts by status. Drafts never appear.
func (s *Service) Queue(ctx context.Context, admin *account.User, f QueueFilter) (*Queue, error) {
	q, _, err := s.queue(ctx, admin, f, nil)
	return q, err
}

// queueOrder is the review queue's order: longest waiting first.
var queueOrder = page.Order{List: "review", Keys: []page.Key{{Col: "submitted_at", Time: true}, {Col: "id"}}}

// QueuePage is Queue by cursor (f.Limit and f.Offset are ignored); it also returns the next cursor.
func (s *Service) QueuePage(ctx context.Context, admin *account.User, f QueueFilter, r page.Request) (*Queue, string, error) {
	return s.queue(ctx, admin, f, &r)
}

func (s *Service) queue(ctx context.Context, admin *account.User, f QueueFilter, r *page.Request) (*Queue, string, error) {
	if err := s.canReview(admin, f); err != nil {
		return nil, "", err
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	vendorID := admin.Vendor()
	out := &Queue{Rows: []QueueRow{}, Counts: map[string]int{}}
	for _, st := range Statuses {
		if st != StatusDraft {
			out.Counts[st] = 0
		}
	}
	var counts []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	if err := s.DB.NewSelect().Model((*Application)(nil)).ColumnExpr("status, COUNT(*) AS n").
		Where("vendor_id = ?", vendorID).Where("submitted_at IS NOT NULL").Group("status").Scan(ctx, &counts); err != nil {
		return nil, "", err
	}
	for _, c := range counts {
		out.Counts[c.Status] = c.N
	}
	var apps []Application
	q := s.DB.NewSelect().Model(&apps).Where("vendor_id = ?", vendorID).Where("submitted_at IS NOT NULL")
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if qs := strings.ToLower(strings.TrimSpace(f.Query)); qs != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(qs) + "%"
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where(`LOWER(legal_name) LIKE ? ESCAPE '\'`, like).
				WhereOr(`LOWER(preferred_name) LIKE ? ESCAPE '\'`, like).
				WhereOr(`LOWER(email_contact) LIKE ? ESCAPE '\'`, like)
		})
	}
	next := ""
	if r == nil {
		n, err := q.OrderExpr("submitted_at ASC, id ASC").Limit(int64(f.Limit)).Offset(int64(f.Offset)).ScanAndCount(ctx)
		if err != nil {
			return nil, "", err
		}
		out.Total = int(n)
	} else {
		n, err := q.Count(ctx)
		if err != nil {
			return nil, "", err
		}
		out.Total = int(n)
		p, err := page.Fetch(ctx, q, &apps, *r, queueOrder, func(a Application) []any { return []any{*a.SubmittedAt, a.ID} })
		if err != nil {
			return nil, "", err
		}
		apps, next = p.Items, p.Next
	}
	for _, app := range apps {
		name := app.PreferredName
		if name == "" {
			name = app.LegalName
		}
		out.Rows = append(out.Rows, QueueRow{ID: app.ID, DisplayName: name, Status: app.Status, SubmittedAt: app.SubmittedAt,
			DeletionRequested: app.DeletionRequestedAt != nil})
	}
	return out, next, nil
}

func (s *Service) canReview(admin *account.User, f QueueFilter) error {
	if admin.Role != account.RoleVendorAdmin || admin.Vendor() == "" {
		return apperr.New(apperr.Forbidden, "forbidden", "Only vendor administrators review applications.")
	}
	if f.Status != "" && !contains(Statuses, f.Status) {
		return apperr.Field("status", "Choose a status from the list.")
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Enrollable implements cohort.Eligibility: a candidate may be enrolled with a vendor once an
// application to that vendor is approved.
func (s *Service) Enrollable(ctx context.Context, db bun.IDB, candidateID, vendorID string) (bool, string, error) {
	n, err := db.NewSelect().Model((*Application)(nil)).Where("candidate_id = ?", candidateID).Where("vendor_id = ?", vendorID).
		Where("status = ?", StatusApproved).Count(ctx)
	if err != nil {
		return false, "", err
	}
	if n == 0 {
		return false, "This candidate does not have an approved application with your organisation.", nil
	}
	return true, "", nil
}

// ---- withdrawing and deleting ----

// Withdraw ends an application that is not decided yet (draft, submitted or needing information).
func (s *Service) Withdraw(ctx context.Context, a audit.Actor, candidate *account.User, appID string) error {
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		app, err := s.get(ctx, tx, appID, true)
		if err != nil {
			return err
		}
		if !isOwner(candidate, app) {
			return errNotFound
		}
		if app.Status != StatusDraft && app.Status != StatusSubmitted && app.Status != StatusNeedsInfo {
			return apperr.New(apperr.Conflict, "not_withdrawable", "This application has already been decided or withdrawn.")
		}
		if _, err := tx.NewUpdate().Model((*Application)(nil)).Where("id = ?", app.ID).
			Set("status = ?", StatusWithdrawn).Set("updated_at = ?", s.now()).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "application.withdraw", SubjectType: "application", SubjectID: app.ID, VendorID: scope(app),
			Details: map[string]any{"from": app.Status}})
	})
}

// RequestDeletion erases the candidate's data from an application, whatever its status: it is
// withdrawn if it was open or approved (a rejected one stays rejected), names, contact details, date
// of birth, statement, education, self-identification, consent, positions, courses and the reviewer's
// note are wiped, and documents are marked deleted and removed from the media store. The row itself
// stays (ids, status, dates) so the audit trail still makes sense. Calling it again is harmless; if
// the media store fails, the error is returned and PurgeExpired finishes the removal later.
func (s *Service) RequestDeletion(ctx context.Context, a audit.Actor, candidate *account.User, appID string) error {
	var docs []Document
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		app, err := s.get(ctx, tx, appID, true)
		if err != nil {
			return err
		}
		if !isOwner(candidate, app) {
			return errNotFound
		}
		now := s.now()
		status := app.Status
		if status != StatusRejected {
			status = StatusWithdrawn
		}
		q := tx.NewUpdate().Model((*Application)(nil)).Where("id = ?", app.ID).
			Set("status = ?", status).Set("legal_name = ''").Set("preferred_name = ''").Set("email_contact = ''").Set("phone = ''").
			Set("education = ''").Set("education_year = 0").Set("dob_sealed = ''").Set("attestation_sealed = ''").
			Set("self_identifies = ?", false).Set("consent = ?", false).Set("decision_reason = ''").Set("updated_at = ?", now)
		if app.DeletionRequestedAt == nil {
			q = q.Set("deletion_requested_at = ?", now)
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		if err := s.replaceRows(ctx, tx, app.ID, &parsed{}); err != nil {
			return err
		}
		if err := tx.NewSelect().Model(&docs).Where("application_id = ?", app.ID).Where("purged_at IS NULL").Scan(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*Document)(nil)).Where("application_id = ?", app.ID).Where("deleted_at IS NULL").
			Set("deleted_at = ?", now).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "application.delete_data", SubjectType: "application", SubjectID: app.ID, VendorID: scope(app),
			Details: map[string]any{"from": app.Status, "status": status, "documents": len(docs)}})
	})
	if err != nil {
		return err
	}
	var errs []error
	for i := range docs {
		errs = append(errs, s.purgeObject(ctx, &docs[i]))
	}
	return errors.Join(errs...)
}

// purgeObject removes a deleted document's object from the media store and records that it is gone.
func (s *Service) purgeObject(ctx context.Context, d *Document) error {
	if err := s.Media.Delete(ctx, d.MediaKey); err != nil {
		return fmt.Errorf("eligibility: delete document %s from media: %w", d.ID, err)
	}
	_, err := s.DB.NewUpdate().Model((*Document)(nil)).Where("id = ?", d.ID).Where("purged_at IS NULL").
		Set("purged_at = ?", s.now()).Set("purge_lease_until = NULL").Exec(ctx)
	return err
}

// purgeLease is how long a purge job holds the documents it claimed.
const purgeLease = 5 * time.Minute

// PurgeExpired is the background job that removes documents the platform no longer needs: those of
// withdrawn and rejected applications decided (or last changed) longer than Retention ago, those of
// drafts nobody has changed or uploaded to for DraftRetention (abandoned; the draft itself stays, so
// a returning candidate finds their answers and uploads again), and any
// deleted document whose media object could not be removed at the time. It returns how many objects
// it removed. Several instances may run it at once: each claims rows with one conditional UPDATE
// (SKIP LOCKED on PostgreSQL) and a lease, so a document is handled by one of them; running it again
// finds nothing more to do.
func (s *Service) PurgeExpired(ctx context.Context) (int, error) {
	skip := ""
	if database.IsPostgres(s.DB) {
		skip = " FOR UPDATE OF d SKIP LOCKED"
	}
	purged := 0
	var errs []error
	for {
		now := s.now()
		cutoff := now.Add(-s.retention())
		draftCutoff := now.Add(-s.draftRetention())
		var batch []Document
		// The lease conditions stand in the outer WHERE too, so a job that raced another re-checks the
		// row it waited for and skips it.
		err := s.DB.NewRaw(`UPDATE application_documents SET purge_lease_until = ?
WHERE id IN (SELECT d.id FROM application_documents AS d JOIN applications AS a ON a.id = d.application_id
               WHERE d.purged_at IS NULL AND (d.purge_lease_until IS NULL OR d.purge_lease_until < ?)
                 AND (d.deleted_at IS NOT NULL
                      OR (a.status IN ('withdrawn', 'rejected') AND COALESCE(a.decided_at, a.updated_at) < ?)
                      OR (a.status = 'draft' AND a.updated_at < ? AND NOT EXISTS (
                            SELECT 1 FROM application_documents AS n WHERE n.application_id = a.id AND n.uploaded_at >= ?)))
               ORDER BY d.id LIMIT 50`+skip+`)
  AND purged_at IS NULL AND (purge_lease_until IS NULL OR purge_lease_until < ?)
RETURNING *`, now.Add(purgeLease), now, cutoff, draftCutoff, draftCutoff, now).Scan(ctx, &batch)
		if err != nil && !database.ErrIsNotFound(err) {
			return purged, err
		}
		if len(batch) == 0 {
			return purged, errors.Join(errs...)
		}
		for i := range batch {
			d := &batch[i]
			if err := s.Media.Delete(ctx, d.MediaKey); err != nil {
				errs = append(errs, fmt.Errorf("eligibility: purge document %s: %w", d.ID, err))
				continue // the lease runs out and a later run tries again
			}
			err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
				res, err := tx.NewUpdate().Model((*Document)(nil)).Where("id = ?", d.ID).Where("purged_at IS NULL").
					Set("purged_at = ?", now).Set("deleted_at = COALESCE(deleted_at, ?)", now).Set("purge_lease_until = NULL").Exec(ctx)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return nil // purged meanwhile by the candidate's own deletion
				}
				purged++
				var app struct {
					VendorID    string     `bun:"vendor_id"`
					Status      string     `bun:"status"`
					SubmittedAt *time.Time `bun:"submitted_at"`
				}
				if err := tx.NewSelect().Model((*Application)(nil)).Column("vendor_id", "status", "submitted_at").Where("id = ?", d.ApplicationID).
					Scan(ctx, &app); err != nil {
					return err
				}
				vendorID := ""
				if app.SubmittedAt != nil {
					vendorID = app.VendorID // the vendor's audit trail shows only what it could see
				}
				reason := "retention"
				switch {
				case d.DeletedAt != nil:
					reason = "deleted"
				case app.Status == StatusDraft:
					reason = "abandoned draft"
				}
				return audit.Record(ctx, tx, audit.System, audit.Entry{Action: "document.purge", SubjectType: "application_document", SubjectID: d.ID,
					VendorID: vendorID, Details: map[string]any{"application": d.ApplicationID, "kind": d.Kind, "reason": reason}})
			})
			if err != nil {
				return purged, err
			}
		}
	}
}

// Reseal re-seals every date of birth and statement sealed under an older key with the current one,
// so the old key can then be removed from PEERACADEMY_ENCRYPTION_KEYS. It is safe to run while the
// platform serves (a row changed meanwhile was sealed with the current key anyway) and to run again.
// It returns how many applications it changed.
func (s *Service) Reseal(ctx context.Context) (int, error) {
	return s.Keys.ResealRows(ctx, s.DB, sealbox.Columns{Table: "applications", Key: "id", AADColumn: "id",
		Sealed: []string{"dob_sealed", "attestation_sealed"},
		AAD:    func(appID, column string) string { return aad(appID, strings.TrimSuffix(column, "_sealed")) }})
}

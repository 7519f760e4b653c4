package cohort

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cache"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/page"
)

// Eligibility decides whether a candidate may be enrolled with a vendor. The eligibility review
// plugs in here; until a candidate has an approved application the default refuses nobody who has
// a verified account.
type Eligibility interface {
	Enrollable(ctx context.Context, db bun.IDB, candidateID, vendorID string) (bool, string, error)
}

// VerifiedCandidates accepts any active candidate with a confirmed email address.
type VerifiedCandidates struct{}

// Enrollable implements Eligibility.
func (VerifiedCandidates) Enrollable(ctx context.Context, db bun.IDB, candidateID, vendorID string) (bool, string, error) {
	return true, "", nil
}

// Course describes the curriculum the rules need: its version and its modules by day.
type Course interface {
	Version() string
	ModuleSlugs() []string
	DayOf(slug string) (int, bool)
}

// Service runs the cohort rules.
type Service struct {
	DB          *bun.DB
	Course      Course
	Eligibility Eligibility
	Outbox      Mailer // the enrolment email; nil sends none
	BaseURL     string // public URL, for links in email
	Now         func() time.Time

	viewedOnce sync.Once
	viewed     *cache.Map[struct{}]    // candidate|module viewed within viewedEvery (a per-instance write throttle)
	openCache  *cache.Map[dayOpenings] // nil until CacheOpenings
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return database.Now()
}

var errNotFound = apperr.New(apperr.NotFound, "not_found", "We could not find that cohort.")

// CreateInput describes a new cohort.
type CreateInput struct {
	Name       string   `json:"name"`
	Timezone   string   `json:"timezone"`
	Delivery   string   `json:"delivery"`
	Location   string   `json:"location"`
	Capacity   int      `json:"capacity"`
	Dates      []string `json:"dates"` // ten YYYY-MM-DD dates, day 1 first
	TrainerIDs []string `json:"trainer_ids"`
}

// OpensAt is when a session date begins in the cohort's time zone (local midnight), in UTC.
func OpensAt(date string, loc *time.Location) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", date, loc)
	if err != nil {
		return time.Time{}, err
	}
	return d.UTC(), nil
}

// Create adds a cohort for the actor's vendor.
func (s *Service) Create(ctx context.Context, a audit.Actor, actor *account.User, in CreateInput) (*Cohort, error) {
	if actor.Role != account.RoleVendorAdmin {
		return nil, apperr.New(apperr.Forbidden, "forbidden", "Only vendor administrators create cohorts.")
	}
	in.Name, in.Location, in.Timezone = strings.TrimSpace(in.Name), strings.TrimSpace(in.Location), strings.TrimSpace(in.Timezone)
	if in.Timezone == "" {
		in.Timezone = "America/New_York"
	}
	f := apperr.Fields{}
	if in.Name == "" || len(in.Name) > 120 {
		f.Add("name", "Give the cohort a name of at most 120 characters.")
	}
	loc, err := time.LoadLocation(in.Timezone)
	if err != nil || !strings.Contains(in.Timezone, "/") {
		f.Add("timezone", "Enter an IANA time zone such as America/New_York.")
		loc = time.UTC
	}
	switch in.Delivery {
	case "in_person":
		if in.Location == "" {
			f.Add("location", "Give the address where the sessions take place.")
		}
	case "virtual":
		if in.Location != "" && !strings.HasPrefix(in.Location, "https://") {
			f.Add("location", "A virtual cohort's location is its meeting link, starting with https://.")
		}
	default:
		f.Add("delivery", "Choose in person or virtual.")
	}
	if len(in.Location) > 500 {
		f.Add("location", "Use at most 500 characters.")
	}
	if in.Capacity < 1 || in.Capacity > 500 {
		f.Add("capacity", "Capacity must be between 1 and 500.")
	}
	var sessions []Session
	if len(in.Dates) != Days {
		f.Add("dates", "Give all ten session dates.")
	} else {
		var prev time.Time
		for i, d := range in.Dates {
			key := fmt.Sprintf("date%d", i+1)
			opens, err := OpensAt(strings.TrimSpace(d), loc)
			if err != nil {
				f.Add(key, fmt.Sprintf("Day %d: enter a date as YYYY-MM-DD.", i+1))
				continue
			}
			if !prev.IsZero() && !opens.After(prev) {
				f.Add(key, fmt.Sprintf("Day %d must come after day %d.", i+1, i))
			}
			prev = opens
			sessions = append(sessions, Session{Day: i + 1, Date: strings.TrimSpace(d), OpensAt: opens, Minutes: DefaultSessionMinutes})
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	trainers, err := s.vendorTrainers(ctx, actor.Vendor(), in.TrainerIDs)
	if err != nil {
		return nil, err
	}
	c := &Cohort{ID: uuid.Must(uuid.NewV7()).String(), VendorID: actor.Vendor(), Name: in.Name, Timezone: in.Timezone, Delivery: in.Delivery,
		Location: in.Location, Capacity: in.Capacity, RequiredMinutes: DefaultRequiredMinutes, CurriculumVersion: s.Course.Version(),
		CreatedBy: &actor.ID, CreatedAt: s.now(), Sessions: sessions, Trainers: trainers}
	for i := range c.Sessions {
		c.Sessions[i].CohortID = c.ID
	}
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&c.Sessions).Exec(ctx); err != nil {
			return err
		}
		if err := s.setTrainers(ctx, tx, c.ID, trainers); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "cohort.create", SubjectType: "cohort", SubjectID: c.ID, VendorID: c.VendorID, Details: map[string]any{"name": c.Name}})
	})
	return c, err
}

func (s *Service) vendorTrainers(ctx context.Context, vendorID string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	us, err := account.UsersByID(ctx, s.DB, ids, "", "id", "vendor_id", "role", "disabled_at")
	if err != nil {
		return nil, err
	}
	var ok []string
	for _, u := range us {
		if u.VendorID != nil && *u.VendorID == vendorID && u.IsStaff() && u.DisabledAt == nil {
			ok = append(ok, u.ID)
		}
	}
	if len(ok) != len(dedupe(ids)) {
		return nil, apperr.Field("trainer_ids", "Choose trainers from your own organisation.")
	}
	sort.Strings(ok)
	return ok, nil
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (s *Service) setTrainers(ctx context.Context, tx bun.IDB, cohortID string, ids []string) error {
	if _, err := tx.NewDelete().Table("cohort_trainers").Where("cohort_id = ?", cohortID).Exec(ctx); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.NewRaw("INSERT INTO cohort_trainers (cohort_id, user_id) VALUES (?, ?)", cohortID, id).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// SetTrainers replaces a cohort's trainers (vendor admins of its vendor).
func (s *Service) SetTrainers(ctx context.Context, a audit.Actor, actor *account.User, cohortID string, ids []string) error {
	c, err := s.Get(ctx, cohortID)
	if err != nil {
		return err
	}
	if !CanManage(actor, c) {
		return errNotFound
	}
	trainers, err := s.vendorTrainers(ctx, c.VendorID, ids)
	if err != nil {
		return err
	}
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if err := s.setTrainers(ctx, tx, c.ID, trainers); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "cohort.set_trainers", SubjectType: "cohort", SubjectID: c.ID, VendorID: c.VendorID, Details: map[string]any{"trainers": len(trainers)}})
	})
}

// Get loads a cohort with its sessions and trainers.
func (s *Service) Get(ctx context.Context, id string) (*Cohort, error) {
	c := new(Cohort)
	if err := s.DB.NewSelect().Model(c).Where("id = ?", id).Scan(ctx); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, errNotFound
		}
		return nil, err
	}
	if err := s.DB.NewSelect().Model(&c.Sessions).Where("cohort_id = ?", id).Order("day").Scan(ctx); err != nil {
		return nil, err
	}
	if err := s.DB.NewSelect().Table("cohort_trainers").Column("user_id").Where("cohort_id = ?", id).Order("user_id").Scan(ctx, &c.Trainers); err != nil {
		return nil, err
	}
	return c, nil
}

// CanManage: vendor admins of the cohort's vendor.
func CanManage(u *account.User, c *Cohort) bool {
	return u.Role == account.RoleVendorAdmin && u.Vendor() == c.VendorID
}

// CanTeach: the cohort's trainers and its vendor's admins.
func CanTeach(u *account.User, c *Cohort) bool {
	if CanManage(u, c) {
		return true
	}
	if u.Role != account.RoleTrainer || u.Vendor() != c.VendorID {
		return false
	}
	for _, t := range c.Trainers {
		if t == u.ID {
			return true
		}
	}
	return false
}

// GetFor loads a cohort the user may teach; anything else is "not found".
func (s *Service) GetFor(ctx context.Context, u *account.User, id string) (*Cohort, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !CanTeach(u, c) {
		return nil, errNotFound
	}
	return c, nil
}

// List returns the cohorts a user teaches or manages, newest first.
func (s *Service) List(ctx context.Context, u *account.User) ([]Cohort, error) {
	p, err := s.ListPage(ctx, u, page.All)
	return p.Items, err
}

// listOrder is the cohorts list's order: newest first.
var listOrder = page.Order{List: "cohorts", Keys: []page.Key{{Col: "created_at", Time: true}, {Col: "id"}}, Desc: true}

// ListPage is one page of List.
func (s *Service) ListPage(ctx context.Context, u *account.User, r page.Request) (page.Page[Cohort], error) {
	var cs []Cohort
	q := s.DB.NewSelect().Model(&cs)
	switch u.Role {
	case account.RoleVendorAdmin:
		q = q.Where("vendor_id = ?", u.Vendor())
	case account.RoleTrainer:
		q = q.Where("vendor_id = ?", u.Vendor()).Where("id IN (SELECT cohort_id FROM cohort_trainers WHERE user_id = ?)", u.ID)
	default:
		return page.Page[Cohort]{}, apperr.New(apperr.Forbidden, "forbidden", "Only trainers and vendor administrators have cohorts.")
	}
	return page.Fetch(ctx, q, &cs, r, listOrder, func(c Cohort) []any { return []any{c.CreatedAt, c.ID} })
}

// Enroll adds a candidate (by email) to a cohort, within its capacity. A candidate has at most one
// active enrolment at a time.
func (s *Service) Enroll(ctx context.Context, a audit.Actor, actor *account.User, cohortID, email string) (*Enrollment, error) {
	c, err := s.Get(ctx, cohortID)
	if err != nil {
		return nil, err
	}
	if !CanManage(actor, c) {
		return nil, errNotFound
	}
	email = account.NormalizeEmail(email)
	cand, err := account.LoadUserByEmail(ctx, s.DB, email)
	if (err == nil && cand.Role != account.RoleCandidate) || database.ErrIsNotFound(err) {
		return nil, apperr.Field("email", "No candidate account uses that email address. Ask the candidate to create an account first.")
	}
	if err != nil {
		return nil, err
	}
	if cand.DisabledAt != nil || cand.EmailVerifiedAt == nil {
		return nil, apperr.Field("email", "That candidate's account is not active yet (email not confirmed, or disabled).")
	}
	var e *Enrollment
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if database.IsPostgres(tx) {
			// Serialise enrolments per cohort so capacity holds under concurrency.
			if _, err := tx.NewRaw("SELECT id FROM cohorts WHERE id = ? FOR UPDATE", c.ID).Exec(ctx); err != nil {
				return err
			}
		}
		ok, why, err := s.Eligibility.Enrollable(ctx, tx, cand.ID, c.VendorID)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.Field("email", why)
		}
		active, err := tx.NewSelect().Model((*Enrollment)(nil)).Where("candidate_id = ?", cand.ID).Where("status = ?", EnrollActive).Count(ctx)
		if err != nil {
			return err
		}
		if active > 0 {
			return apperr.Field("email", "This candidate is already enrolled in a cohort.")
		}
		n, err := tx.NewSelect().Model((*Enrollment)(nil)).Where("cohort_id = ?", c.ID).Where("status = ?", EnrollActive).Count(ctx)
		if err != nil {
			return err
		}
		if n >= int64(c.Capacity) {
			return apperr.New(apperr.Conflict, "cohort_full", fmt.Sprintf("The cohort is full (%d places).", c.Capacity))
		}
		e = &Enrollment{ID: uuid.Must(uuid.NewV7()).String(), CohortID: c.ID, CandidateID: cand.ID, Status: EnrollActive, EnrolledBy: &actor.ID, EnrolledAt: s.now()}
		_, err = tx.NewInsert().Model(e).On("CONFLICT (cohort_id, candidate_id) DO UPDATE").
			Set("status = EXCLUDED.status").Set("enrolled_at = EXCLUDED.enrolled_at").Set("enrolled_by = EXCLUDED.enrolled_by").Returning("id").Exec(ctx)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, a, audit.Entry{Action: "cohort.enroll", SubjectType: "user", SubjectID: cand.ID, VendorID: c.VendorID, Details: map[string]any{"cohort": c.ID}}); err != nil {
			return err
		}
		return s.mailEnrolled(ctx, tx, c, cand)
	})
	return e, err
}

// Withdraw ends a candidate's enrolment.
func (s *Service) Withdraw(ctx context.Context, a audit.Actor, actor *account.User, cohortID, candidateID string) error {
	c, err := s.Get(ctx, cohortID)
	if err != nil {
		return err
	}
	if !CanManage(actor, c) {
		return errNotFound
	}
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*Enrollment)(nil)).Set("status = ?", EnrollWithdrawn).
			Where("cohort_id = ?", c.ID).Where("candidate_id = ?", candidateID).Where("status = ?", EnrollActive).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "not_found", "That candidate is not enrolled in this cohort.")
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "cohort.withdraw", SubjectType: "user", SubjectID: candidateID, VendorID: c.VendorID, Details: map[string]any{"cohort": c.ID}})
	})
}

// ActiveCohort returns the cohort a candidate is enrolled in, or ErrNotEnrolled.
func (s *Service) ActiveCohort(ctx context.Context, candidateID string) (*Cohort, error) {
	var id string
	err := s.DB.NewSelect().Model((*Enrollment)(nil)).Column("cohort_id").Where("candidate_id = ?", candidateID).
		Where("status = ?", EnrollActive).Order("enrolled_at", "id").Limit(1).Scan(ctx, &id) // the earliest, as CourseworkOn
	if err != nil {
		if database.ErrIsNotFound(err) {
			return nil, ErrNotEnrolled
		}
		return nil, err
	}
	return s.Get(ctx, id)
}

// TrainersOf lists who teaches or taught a candidate: the trainers of every cohort the candidate is
// or was enrolled in (withdrawn too), each with those cohorts' names. The oral exam asks it before an
// examiner grades; it takes the caller's handle so that it can run in the caller's transaction.
func TrainersOf(ctx context.Context, db bun.IDB, candidateID string) (map[string][]string, error) {
	var rows []struct {
		UserID string `bun:"user_id"`
		Name   string `bun:"name"`
	}
	err := db.NewSelect().TableExpr("cohorts AS c").ColumnExpr("t.user_id, c.name").
		Join("JOIN cohort_trainers AS t ON t.cohort_id = c.id").Join("JOIN enrollments AS e ON e.cohort_id = c.id").
		Where("e.candidate_id = ?", candidateID).OrderExpr("t.user_id, c.name").Scan(ctx, &rows)
	if err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	m := map[string][]string{}
	for _, r := range rows {
		m[r.UserID] = append(m[r.UserID], r.Name)
	}
	return m, nil
}

// ErrNotEnrolled means the candidate has no active cohort.
var ErrNotEnrolled = apperr.New(apperr.Forbidden, "not_enrolled", "The course opens once a training organisation enrols you in a cohort.")

// DayOpen reports whether a day's modules are open: from local midnight of its session date on.
// Earlier days stay open for review.
func (c *Cohort) DayOpen(day int, now time.Time) bool {
	for _, s := range c.Sessions {
		if s.Day == day {
			return !now.Before(s.OpensAt)
		}
	}
	return false
}

// Session returns the session of a day.
func (c *Cohort) Session(day int) (Session, bool) {
	for _, s := range c.Sessions {
		if s.Day == day {
			return s, true
		}
	}
	return Session{}, false
}

// ---- module progress ----

// ErrDayLocked is returned for a module whose day has not opened.
var ErrDayLocked = apperr.New(apperr.Forbidden, "day_locked", "This day of the course has not opened yet.")

// CanOpenModule reports whether a candidate may read a module now: enrolled, and the module's day has
// opened. It is one query, because every module page asks it.
func (s *Service) CanOpenModule(ctx context.Context, candidateID, slug string) error {
	day, ok := s.Course.DayOf(slug)
	if !ok {
		return apperr.New(apperr.NotFound, "not_found", "There is no such module.")
	}
	opens, err := s.openings(ctx, candidateID)
	if err != nil {
		return err
	}
	if !opens.Enrolled {
		return ErrNotEnrolled
	}
	if at := opens.At[day]; at.IsZero() || s.now().Before(at) {
		return ErrDayLocked
	}
	return nil
}

// dayOpenings says when each course day opens for a candidate: the earliest opening across their
// active enrolments (zero: no session that day).
type dayOpenings struct {
	Enrolled bool // has an active enrolment
	At       [Days + 1]time.Time
}

// openings reads a candidate's day openings, from the cache when the change feed vouches for it.
func (s *Service) openings(ctx context.Context, candidateID string) (dayOpenings, error) {
	if o, ok := s.openCache.Get(candidateID); ok {
		return o, nil
	}
	gen := s.openCache.Gen()
	var rows []struct {
		Day     int       `bun:"day"`
		OpensAt time.Time `bun:"opens_at"`
	}
	var o dayOpenings
	if err := s.DB.NewRaw(`SELECT s.day, s.opens_at FROM enrollments AS e
JOIN cohort_sessions AS s ON s.cohort_id = e.cohort_id
WHERE e.candidate_id = ? AND e.status = ?`, candidateID, EnrollActive).Scan(ctx, &rows); err != nil && !database.ErrIsNotFound(err) {
		return o, err
	}
	o.Enrolled = len(rows) > 0
	for _, r := range rows {
		if r.Day >= 1 && r.Day <= Days && (o.At[r.Day].IsZero() || r.OpensAt.Before(o.At[r.Day])) {
			o.At[r.Day] = r.OpensAt
		}
	}
	s.openCache.Put(candidateID, o, gen)
	return o, nil
}

// CacheOpenings lets CanOpenModule answer from memory while feed vouches that the candidate's
// enrolments and their cohorts' session dates are unchanged.
func (s *Service) CacheOpenings(feed *database.Feed) {
	c := cache.New[dayOpenings](feed, openCacheTTL, 100_000)
	feed.Subscribe(func(ch database.Change) {
		switch {
		case ch.Table == "*", ch.Table == "cohort_sessions", ch.Table == "enrollments" && ch.Key == "":
			c.Clear()
		case ch.Table == "enrollments":
			c.Delete(ch.Key)
		}
	})
	s.openCache = c
}

// openCacheTTL bounds a cached entry's life when no change arrives (see account.sessionCacheTTL).
const openCacheTTL = 30 * time.Second

// viewedEvery is how often a repeated view of the same module is written: "last viewed" only drives
// the resume link, so a write per page view would be wasted work on the hottest page.
const viewedEvery = time.Minute

// Viewed records that a candidate opened a module (for "resume where you left off").
func (s *Service) Viewed(ctx context.Context, candidateID, slug string) error {
	now := s.now()
	key := candidateID + "|" + slug
	s.viewedOnce.Do(func() { s.viewed = cache.New[struct{}](nil, viewedEvery, 100_000) })
	if _, ok := s.viewed.Get(key); ok {
		return nil
	}
	gen := s.viewed.Gen()
	p := &Progress{CandidateID: candidateID, ModuleSlug: slug, StartedAt: now, LastViewedAt: now, CurriculumVersion: s.Course.Version()}
	_, err := s.DB.NewInsert().Model(p).On("CONFLICT (candidate_id, module_slug) DO UPDATE").Set("last_viewed_at = EXCLUDED.last_viewed_at").Exec(ctx)
	if err == nil {
		s.viewed.Put(key, struct{}{}, gen)
	}
	return err
}

// RecordCheck records a knowledge-check attempt; passed marks the module completed (once).
func (s *Service) RecordCheck(ctx context.Context, a audit.Actor, candidateID, slug string, passed bool) error {
	now := s.now()
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		p := &Progress{CandidateID: candidateID, ModuleSlug: slug, StartedAt: now, LastViewedAt: now, CheckAttempts: 1, CurriculumVersion: s.Course.Version()}
		if passed {
			p.CompletedAt = &now
		}
		q := tx.NewInsert().Model(p).On("CONFLICT (candidate_id, module_slug) DO UPDATE").
			Set("check_attempts = progress.check_attempts + 1").Set("last_viewed_at = EXCLUDED.last_viewed_at")
		if passed {
			q = q.Set("completed_at = COALESCE(progress.completed_at, EXCLUDED.completed_at)").Set("curriculum_version = EXCLUDED.curriculum_version")
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		if passed {
			return audit.Record(ctx, tx, a, audit.Entry{Action: "module.complete", SubjectType: "module", SubjectID: slug, Details: map[string]any{"curriculum_version": s.Course.Version()}})
		}
		return nil
	})
}

// ProgressOf returns a candidate's module records by slug.
func (s *Service) ProgressOf(ctx context.Context, candidateID string) (map[string]Progress, error) {
	var ps []Progress
	if err := s.DB.NewSelect().Model(&ps).Where("candidate_id = ?", candidateID).Scan(ctx); err != nil {
		return nil, err
	}
	m := make(map[string]Progress, len(ps))
	for _, p := range ps {
		m[p.ModuleSlug] = p
	}
	return m, nil
}

// LastViewed returns the module the candidate opened most recently, or "".
func (s *Service) LastViewed(ctx context.Context, candidateID string) (string, error) {
	var slug string
	err := s.DB.NewSelect().Model((*Progress)(nil)).Column("module_slug").Where("candidate_id = ?", candidateID).
		OrderExpr("last_viewed_at DESC").Limit(1).Scan(ctx, &slug)
	if errors.Is(database.Err(err), database.ErrNotFound) {
		return "", nil
	}
	return slug, err
}

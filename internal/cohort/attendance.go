package cohort

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
)

// Mark is one line of a register being recorded.
type Mark struct {
	CandidateID     string `json:"candidate_id"`
	Status          string `json:"status"`
	MinutesAttended int    `json:"minutes_attended"` // only for late
	Note            string `json:"note"`
}

// Roster returns the cohort's active candidates, by name.
func (s *Service) Roster(ctx context.Context, cohortID string) ([]account.User, error) {
	var ids []string
	err := s.DB.NewSelect().Model((*Enrollment)(nil)).Column("candidate_id").Where("cohort_id = ?", cohortID).
		Where("status = ?", EnrollActive).Scan(ctx, &ids)
	if err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	us, err := account.UsersByID(ctx, s.DB, ids, "")
	if err != nil {
		return nil, err
	}
	sort.Slice(us, func(i, j int) bool { // by name, then email (byte order, as SQLite and the C collation sort)
		if us[i].Name != us[j].Name {
			return us[i].Name < us[j].Name
		}
		return us[i].Email < us[j].Email
	})
	return us, nil
}

// Register returns the recorded attendance of one day, by candidate.
func (s *Service) Register(ctx context.Context, cohortID string, day int) (map[string]Attendance, error) {
	var as []Attendance
	if err := s.DB.NewSelect().Model(&as).Where("cohort_id = ?", cohortID).Where("day = ?", day).Scan(ctx); err != nil {
		return nil, err
	}
	m := make(map[string]Attendance, len(as))
	for _, a := range as {
		m[a.CandidateID] = a
	}
	return m, nil
}

// RecordAttendance saves a day's register (insert or update per candidate). Present counts the
// session's full minutes, late the minutes given, absent and excused none.
func (s *Service) RecordAttendance(ctx context.Context, a audit.Actor, actor *account.User, cohortID string, day int, marks []Mark) error {
	c, err := s.GetFor(ctx, actor, cohortID)
	if err != nil {
		return err
	}
	sess, ok := c.Session(day)
	if !ok {
		return apperr.New(apperr.NotFound, "not_found", "There is no such session day.")
	}
	roster, err := s.Roster(ctx, c.ID)
	if err != nil {
		return err
	}
	enrolled := map[string]bool{}
	for _, u := range roster {
		enrolled[u.ID] = true
	}
	f := apperr.Fields{}
	rows := make([]Attendance, 0, len(marks))
	now := s.now()
	for _, m := range marks {
		key := "mark_" + m.CandidateID
		if !enrolled[m.CandidateID] {
			f.Add(key, "This person is not enrolled in the cohort.")
			continue
		}
		m.Note = strings.TrimSpace(m.Note)
		if len(m.Note) > 500 {
			f.Add(key, "Keep the note under 500 characters.")
		}
		switch m.Status {
		case Present:
			m.MinutesAttended = sess.Minutes
		case Late:
			if m.MinutesAttended < 1 || m.MinutesAttended >= sess.Minutes {
				f.Add(key, fmt.Sprintf("For a late arrival, give the minutes attended (1 to %d).", sess.Minutes-1))
			}
		case Absent, Excused:
			m.MinutesAttended = 0
		case "":
			continue // not marked yet
		default:
			f.Add(key, "Choose present, late, absent or excused.")
		}
		rows = append(rows, Attendance{CohortID: c.ID, Day: day, CandidateID: m.CandidateID, Status: m.Status, MinutesAttended: m.MinutesAttended, Note: m.Note, RecordedBy: actor.ID, RecordedAt: now})
	}
	if err := f.Err(); err != nil {
		return err
	}
	if len(rows) == 0 {
		return apperr.Field("marks", "Mark at least one person.")
	}
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(&rows).On("CONFLICT (cohort_id, day, candidate_id) DO UPDATE").
			Set("status = EXCLUDED.status").Set("minutes_attended = EXCLUDED.minutes_attended").Set("note = EXCLUDED.note").
			Set("recorded_by = EXCLUDED.recorded_by").Set("recorded_at = EXCLUDED.recorded_at").Exec(ctx)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "attendance.record", SubjectType: "cohort", SubjectID: c.ID, VendorID: c.VendorID, Details: map[string]any{"day": day, "lines": len(rows)}})
	})
}

// MakeupInput records make-up work.
type MakeupInput struct {
	CandidateID string `json:"candidate_id"`
	Day         int    `json:"day,omitempty"`
	Description string `json:"description"`
	Minutes     int    `json:"minutes"`
}

// AddMakeup records make-up work for a candidate.
func (s *Service) AddMakeup(ctx context.Context, a audit.Actor, actor *account.User, cohortID string, in MakeupInput) (*Makeup, error) {
	c, err := s.GetFor(ctx, actor, cohortID)
	if err != nil {
		return nil, err
	}
	in.Description = strings.TrimSpace(in.Description)
	f := apperr.Fields{}
	roster, err := s.Roster(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	found := false
	for _, u := range roster {
		found = found || u.ID == in.CandidateID
	}
	if !found {
		f.Add("candidate_id", "Choose a candidate enrolled in this cohort.")
	}
	if in.Day < 0 || in.Day > Days {
		f.Add("day", "Choose a day from 1 to 10, or none.")
	}
	if in.Description == "" || len(in.Description) > 500 {
		f.Add("description", "Describe the make-up work (at most 500 characters).")
	}
	if in.Minutes < 1 || in.Minutes > 600 {
		f.Add("minutes", "Give the minutes of make-up work (1 to 600).")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	m := &Makeup{ID: uuid.Must(uuid.NewV7()).String(), CohortID: c.ID, CandidateID: in.CandidateID, Description: in.Description, Minutes: in.Minutes, RecordedBy: actor.ID, RecordedAt: s.now()}
	if in.Day > 0 {
		m.Day = &in.Day
	}
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(m).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "makeup.record", SubjectType: "user", SubjectID: in.CandidateID, VendorID: c.VendorID, Details: map[string]any{"cohort": c.ID, "minutes": in.Minutes}})
	})
	return m, err
}

// Makeups lists a candidate's make-up work in a cohort.
func (s *Service) Makeups(ctx context.Context, cohortID, candidateID string) ([]Makeup, error) {
	var ms []Makeup
	err := s.DB.NewSelect().Model(&ms).Where("cohort_id = ?", cohortID).Where("candidate_id = ?", candidateID).OrderExpr("recorded_at").Scan(ctx)
	return ms, err
}

// Statuses computes every enrolled candidate's coursework standing in a cohort, in a fixed number of
// queries (not one per candidate).
func (s *Service) Statuses(ctx context.Context, c *Cohort) ([]Status, error) {
	roster, err := s.Roster(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if len(roster) == 0 {
		return nil, nil
	}
	members := map[string]*Cohort{}
	for _, u := range roster {
		members[u.ID] = c
	}
	tally, err := s.tally(ctx, s.DB, members)
	if err != nil {
		return nil, err
	}
	out := make([]Status, len(roster))
	for i, u := range roster {
		st := tally[u.ID]
		st.Name, st.Email = u.Name, u.Email
		out[i] = st
	}
	return out, nil
}

// tally computes the coursework standing of candidates, each in the cohort given, in three queries
// whatever the number of candidates and cohorts.
func (s *Service) tally(ctx context.Context, db bun.IDB, members map[string]*Cohort) (map[string]Status, error) {
	ids := make([]string, 0, len(members))
	cohorts := map[string]bool{}
	for id, c := range members {
		ids = append(ids, id)
		cohorts[c.ID] = true
	}
	cohortIDs := make([]string, 0, len(cohorts))
	for id := range cohorts {
		cohortIDs = append(cohortIDs, id)
	}
	slugs := s.Course.ModuleSlugs()
	type count struct {
		CandidateID string `bun:"candidate_id"`
		CohortID    string `bun:"cohort_id"`
		N           int    `bun:"n"`
	}
	var done []count
	if err := db.NewSelect().Model((*Progress)(nil)).ColumnExpr("candidate_id, COUNT(*) AS n").
		Where("candidate_id IN (?)", bun.In(ids)).Where("completed_at IS NOT NULL").Where("module_slug IN (?)", bun.In(slugs)).
		Group("candidate_id").Scan(ctx, &done); err != nil {
		return nil, err
	}
	var att []Attendance
	// By candidate only (the index on candidate_id): rows of another cohort are left out below.
	if err := db.NewSelect().Model(&att).Where("candidate_id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	var mk []count
	if err := db.NewSelect().Model((*Makeup)(nil)).ColumnExpr("candidate_id, cohort_id, SUM(minutes) AS n").Where("cohort_id IN (?)", bun.In(cohortIDs)).
		Where("candidate_id IN (?)", bun.In(ids)).Group("candidate_id", "cohort_id").Scan(ctx, &mk); err != nil {
		return nil, err
	}
	doneBy, mkBy, attBy := map[string]int{}, map[string]int{}, map[string]int{}
	for _, d := range done {
		doneBy[d.CandidateID] = d.N
	}
	for _, m := range mk {
		if members[m.CandidateID].ID == m.CohortID {
			mkBy[m.CandidateID] = m.N
		}
	}
	for _, a := range att {
		c := members[a.CandidateID]
		if c.ID != a.CohortID {
			continue
		}
		if sess, ok := c.Session(a.Day); ok {
			attBy[a.CandidateID] += AttendedMinutes(a, sess.Minutes)
		}
	}
	out := make(map[string]Status, len(members))
	for id, c := range members {
		st := Status{CandidateID: id, EnrollmentStatus: EnrollActive, ModulesCompleted: doneBy[id], ModulesTotal: len(slugs),
			AttendedMinutes: attBy[id], MakeupMinutes: mkBy[id], RequiredMinutes: c.RequiredMinutes}
		st.Complete = Completion(st.ModulesCompleted, st.ModulesTotal, st.AttendedMinutes, st.MakeupMinutes, st.RequiredMinutes)
		out[id] = st
	}
	return out, nil
}

// Coursework is a candidate's standing in their active cohort.
type Coursework struct {
	Cohort *Cohort // with its sessions (not its trainers)
	Status Status  // without name and email
}

// CourseworkOf returns the coursework standing of each of candidateIDs who is enrolled in an active
// cohort (the others are absent), by id rather than by a signed-in user, in six queries whatever
// their number: for the candidate's standing (package standing).
func (s *Service) CourseworkOf(ctx context.Context, candidateIDs []string) (map[string]Coursework, error) {
	return s.CourseworkOn(ctx, s.DB, candidateIDs)
}

// CourseworkOn is CourseworkOf on db: a connection of the pool held for the six statements, so that
// under load they wait for a connection once rather than six times (the written exam's gate reads
// many candidates' coursework together, package standing).
func (s *Service) CourseworkOn(ctx context.Context, db bun.IDB, candidateIDs []string) (map[string]Coursework, error) {
	out := map[string]Coursework{}
	if len(candidateIDs) == 0 {
		return out, nil
	}
	var ens []Enrollment
	if err := db.NewSelect().Model(&ens).Where("candidate_id IN (?)", bun.In(candidateIDs)).Where("status = ?", EnrollActive).
		Order("enrolled_at", "id").Scan(ctx); err != nil {
		return nil, err
	}
	if len(ens) == 0 {
		return out, nil
	}
	cohortIDs := make([]string, 0, len(ens))
	for _, e := range ens {
		cohortIDs = append(cohortIDs, e.CohortID)
	}
	var cs []Cohort
	if err := db.NewSelect().Model(&cs).Where("id IN (?)", bun.In(cohortIDs)).Scan(ctx); err != nil {
		return nil, err
	}
	byID := make(map[string]*Cohort, len(cs))
	for i := range cs {
		byID[cs[i].ID] = &cs[i]
	}
	var sessions []Session
	if err := db.NewSelect().Model(&sessions).Where("cohort_id IN (?)", bun.In(cohortIDs)).Order("cohort_id", "day").Scan(ctx); err != nil {
		return nil, err
	}
	for _, se := range sessions {
		if c := byID[se.CohortID]; c != nil {
			c.Sessions = append(c.Sessions, se)
		}
	}
	members := map[string]*Cohort{}
	for _, e := range ens {
		if c := byID[e.CohortID]; c != nil && members[e.CandidateID] == nil {
			members[e.CandidateID] = c
		}
	}
	tally, err := s.tally(ctx, db, members)
	if err != nil {
		return nil, err
	}
	for id, c := range members {
		out[id] = Coursework{Cohort: c, Status: tally[id]}
	}
	return out, nil
}

// StatusOf computes one candidate's standing in their active cohort.
func (s *Service) StatusOf(ctx context.Context, c *Cohort, candidateID string) (*Status, error) {
	all, err := s.Statuses(ctx, c)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].CandidateID == candidateID {
			return &all[i], nil
		}
	}
	return nil, ErrNotEnrolled
}

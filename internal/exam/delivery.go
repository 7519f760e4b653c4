package exam

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/batch"
	"github.com/peeracademy/peeracademy/internal/cache"
	"github.com/peeracademy/peeracademy/internal/database"
)

// ---- delivery ----

// Question is one question as the candidate sees it: options in displayed order and the saved choice
// as DISPLAYED indexes. It has no key and no rationale.
type Question struct {
	Number   int      `json:"number"` // 1-based position on the form
	ItemID   string   `json:"item_id"`
	Domain   string   `json:"domain"`
	Type     string   `json:"type"` // single, multiple or truefalse
	Stem     string   `json:"stem"`
	Options  []string `json:"options"`
	Selected []int    `json:"selected"` // displayed indexes, ascending
	Flagged  bool     `json:"flagged"`
	Seq      int64    `json:"seq"` // of the saved choice (0: nothing saved); send a larger one next
}

// AttemptView is an attempt as its candidate sees it. Questions are listed only while the attempt is
// open; a finished attempt carries its Result instead (items are not shown again, to protect the
// bank).
type AttemptView struct {
	ID           string         `json:"id"`
	Status       string         `json:"status"`
	StartedAt    time.Time      `json:"started_at"`
	DeadlineAt   time.Time      `json:"deadline_at"`
	Now          time.Time      `json:"now"`          // the server's clock, to correct the client's countdown
	SecondsLeft  int            `json:"seconds_left"` // until the deadline, 0 once passed
	FinishedAt   *time.Time     `json:"finished_at,omitempty"`
	Questions    []Question     `json:"questions"`
	Completed    int            `json:"completed"`     // questions with a saved choice
	FlaggedCount int            `json:"flagged_count"` // questions flagged for review
	Result       *AttemptResult `json:"result,omitempty"`
}

func (s *Service) load(ctx context.Context, db bun.IDB, attemptID, candidateID string) (*attempt, error) {
	at := new(attempt)
	if err := db.NewSelect().Model(at).Where("id = ?", attemptID).Where("candidate_id = ?", candidateID).Scan(ctx); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, errAttemptNotFound
		}
		return nil, err
	}
	return at, nil
}

func overdue(at *attempt, now time.Time) bool {
	return at.Status == StatusOpen && now.After(at.DeadlineAt.Add(AnswerGrace))
}

// View shows the candidate their attempt. An attempt whose time ran out is graded first.
func (s *Service) View(ctx context.Context, candidate *account.User, attemptID string) (*AttemptView, error) {
	if candidate == nil || candidate.Role != account.RoleCandidate {
		return nil, errCandidateOnly
	}
	now := s.now()
	if v, err := s.viewOpen(ctx, candidate.ID, attemptID, now); err != nil || v != nil {
		return v, err
	}
	at, err := s.load(ctx, s.DB, attemptID, candidate.ID)
	if err != nil {
		return nil, err
	}
	if overdue(at, now) {
		if _, err := s.finish(ctx, audit.System, at.ID, StatusExpired, now); err != nil {
			return nil, err
		}
		if at, err = s.load(ctx, s.DB, attemptID, candidate.ID); err != nil {
			return nil, err
		}
	}
	v := viewHead(at, now)
	if at.FinishedAt != nil {
		t := at.FinishedAt.UTC()
		v.FinishedAt = &t
	}
	if at.Status != StatusOpen {
		r, err := s.resultOf(ctx, s.DB, at)
		if err != nil {
			return nil, err
		}
		v.Result = r
		return v, nil
	}
	st, ok := s.sittings().Get(at.ID)
	if !ok {
		if st, err = newSitting(at); err != nil {
			return nil, err
		}
		s.sittings().Put(at.ID, st, s.sittings().Gen()) // nothing ever invalidates a sitting
	}
	saved, err := answersOf(ctx, s.DB, at.ID)
	if err != nil {
		return nil, err
	}
	return v, s.fillQuestions(v, st, saved)
}

// fillQuestions lists the sitting's questions on v, in the form's order and option order, with what
// the candidate saved.
func (s *Service) fillQuestions(v *AttemptView, st *sitting, saved map[string]savedAnswer) error {
	for i, fi := range st.form {
		it, ok := s.Bank.Item(fi.ItemID)
		if !ok || len(fi.Perm) != len(it.Options) {
			return fmt.Errorf("exam: item %s of attempt %s no longer matches the bank", fi.ItemID, v.ID)
		}
		q := Question{Number: i + 1, ItemID: it.ID, Domain: it.Domain, Type: it.Type, Stem: it.Stem, Options: make([]string, len(fi.Perm)), Selected: []int{}}
		for d, o := range fi.Perm {
			q.Options[d] = it.Options[o]
		}
		if ans, ok := saved[fi.ItemID]; ok {
			q.Flagged, q.Seq = ans.Flagged, ans.Seq
			for _, o := range ans.choice {
				if d := slices.Index(fi.Perm, o); d >= 0 {
					q.Selected = append(q.Selected, d)
				}
			}
			slices.Sort(q.Selected)
		}
		if len(q.Selected) > 0 {
			v.Completed++
		}
		if q.Flagged {
			v.FlaggedCount++
		}
		v.Questions = append(v.Questions, q)
	}
	return nil
}

// viewQuery reads an open attempt's state and its saved answers in one statement: a row per saved
// answer, or one row whose answer columns are NULL when nothing is saved yet.
const viewQuery = `SELECT t.status, t.started_at, t.deadline_at, a.item_id, a.choice, a.seq, a.flagged
FROM exam_attempts AS t LEFT JOIN exam_answers AS a ON a.attempt_id = t.id
WHERE t.id = $1 AND t.candidate_id = $2`

// viewOpen is View of an attempt that is open and in time, when this instance holds its sitting
// (the instance that started it, or one that served it since) and the database is PostgreSQL: one
// prepared statement instead of two planned ones (gate_stmt.go), which is what every candidate's
// first view after a synchronized start costs. It returns nil, nil when the attempt is not such
// (finished, overdue, not held, SQLite): View's general path then shows it.
func (s *Service) viewOpen(ctx context.Context, candidateID, attemptID string, now time.Time) (*AttemptView, error) {
	if !database.IsPostgres(s.DB) {
		return nil, nil
	}
	st, ok := s.sittings().Get(attemptID)
	if !ok || st.candidateID != candidateID {
		return nil, nil
	}
	stmt, err := s.viewStmt.get(ctx, s.DB, viewQuery)
	if err != nil {
		return nil, err
	}
	rows, err := stmt.QueryContext(ctx, attemptID, candidateID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	at := &attempt{ID: attemptID, CandidateID: candidateID}
	saved := map[string]savedAnswer{}
	found := false
	for rows.Next() {
		var item, choice sql.NullString
		var seq sql.NullInt64
		var flagged sql.NullBool
		if err := rows.Scan(&at.Status, &at.StartedAt, &at.DeadlineAt, &item, &choice, &seq, &flagged); err != nil {
			return nil, err
		}
		found = true
		if !item.Valid {
			continue
		}
		sa := savedAnswer{answer: answer{AttemptID: attemptID, ItemID: item.String, Choice: choice.String, Seq: seq.Int64, Flagged: flagged.Bool}}
		if err := json.Unmarshal([]byte(sa.Choice), &sa.choice); err != nil {
			return nil, fmt.Errorf("exam: answer %s/%s: bad choice: %w", attemptID, item.String, err)
		}
		saved[item.String] = sa
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !found {
		return nil, errAttemptNotFound
	}
	if at.Status != StatusOpen || overdue(at, now) {
		return nil, nil
	}
	v := viewHead(at, now)
	return v, s.fillQuestions(v, st, saved)
}

// viewHead is the attempt's view without its questions or result: times, status and time left.
func viewHead(at *attempt, now time.Time) *AttemptView {
	v := &AttemptView{ID: at.ID, Status: at.Status, StartedAt: at.StartedAt.UTC(), DeadlineAt: at.DeadlineAt.UTC(), Now: now, Questions: []Question{}}
	if left := at.DeadlineAt.Sub(now); left > 0 {
		v.SecondsLeft = int(left / time.Second)
	}
	return v
}

type savedAnswer struct {
	answer
	choice []int
}

func answersOf(ctx context.Context, db bun.IDB, attemptID string) (map[string]savedAnswer, error) {
	var rows []answer
	if err := db.NewSelect().Model(&rows).Where("attempt_id = ?", attemptID).Scan(ctx); err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	m := make(map[string]savedAnswer, len(rows))
	for _, r := range rows {
		sa := savedAnswer{answer: r}
		if err := json.Unmarshal([]byte(r.Choice), &sa.choice); err != nil {
			return nil, fmt.Errorf("exam: answer %s/%s: bad choice: %w", r.AttemptID, r.ItemID, err)
		}
		m[r.ItemID] = sa
	}
	return m, nil
}

func choices(m map[string]savedAnswer) map[string][]int {
	out := make(map[string][]int, len(m))
	for id, a := range m {
		out[id] = a.choice
	}
	return out
}

// Saved reports what became of a SaveAnswer.
type Saved struct {
	ItemID     string    `json:"item_id"`
	Applied    bool      `json:"applied"` // false: a save with this seq or a newer one was already stored
	Seq        int64     `json:"seq"`     // the seq now stored for the question
	Now        time.Time `json:"now"`
	DeadlineAt time.Time `json:"deadline_at"`
}

// sitting is what never changes about an attempt once started: whose it is, its form and its
// deadline. Every save needs it; it is read and parsed once per attempt and kept in memory (a cache
// nothing can make wrong, as no write changes these columns; status, which does change, is always
// checked by the database).
type sitting struct {
	candidateID string
	deadline    time.Time
	form        Form
	pos         map[string]int // item id -> position on the form
}

func newSitting(at *attempt) (*sitting, error) {
	form, err := parseForm(at)
	if err != nil {
		return nil, err
	}
	st := &sitting{candidateID: at.CandidateID, deadline: at.DeadlineAt.UTC(), form: form, pos: make(map[string]int, len(form))}
	for i, fi := range form {
		st.pos[fi.ItemID] = i
	}
	return st, nil
}

// sittingCap bounds the cache: far more attempts than can be open at once on one instance.
const sittingCap = 20000

func (s *Service) sittings() *cache.Map[*sitting] {
	s.sittingsOnce.Do(func() { s.sittingCache = cache.New[*sitting](nil, 6*time.Hour, sittingCap) })
	return s.sittingCache
}

// sittingOf returns the attempt's unchanging facts, reading the attempt only on a cache miss. An
// attempt that is not the candidate's is not found.
func (s *Service) sittingOf(ctx context.Context, attemptID, candidateID string) (*sitting, error) {
	c := s.sittings()
	if st, ok := c.Get(attemptID); ok {
		if st.candidateID != candidateID {
			return nil, errAttemptNotFound
		}
		return st, nil
	}
	gen := c.Gen()
	at, err := s.load(ctx, s.DB, attemptID, candidateID)
	if err != nil {
		return nil, err
	}
	st, err := newSitting(at)
	if err != nil {
		return nil, err
	}
	c.Put(attemptID, st, gen)
	return st, nil
}

// SaveAnswer stores the candidate's choice on one question (displayed indexes, as shown by View; an
// empty list clears it) and its review flag. seq orders saves of the same question: a save whose seq
// is not greater than the stored one changes nothing (a late retry never overwrites a newer answer).
// Single and true/false questions take at most one choice. Saves are accepted until AnswerGrace after
// the deadline (then ErrDeadlinePassed, and the attempt is expired and graded on what was saved), and
// not once the attempt is submitted (ErrAttemptFinished).
//
// A save is one row of a multi-row statement (see saveBatch): the rules on the attempt are the
// upsert's condition. Only when it wrote nothing does a second read tell why (finished, late, or a
// stale seq).
func (s *Service) SaveAnswer(ctx context.Context, candidate *account.User, attemptID, itemID string, displayed []int, flagged bool, seq int64) (Saved, error) {
	if candidate == nil || candidate.Role != account.RoleCandidate {
		return Saved{}, errCandidateOnly
	}
	if seq < 1 {
		return Saved{}, apperr.Field("seq", "seq must be a positive number that grows with every save.")
	}
	now := s.now()
	st, err := s.sittingOf(ctx, attemptID, candidate.ID)
	if err != nil {
		return Saved{}, err
	}
	out := Saved{ItemID: itemID, Now: now, DeadlineAt: st.deadline}
	cj, err := s.choiceJSON(st, itemID, displayed)
	if err != nil {
		return Saved{}, err
	}
	r := &saveReq{attemptID: attemptID, itemID: itemID, candidateID: candidate.ID, choice: cj, seq: seq, flagged: flagged, done: make(chan saveRes, 1)}
	s.answerBatcher().Add(r)
	res, err := batch.Wait(ctx, r.done)
	if err == nil {
		err = res.err
	}
	if err != nil {
		return Saved{}, err
	}
	if res.applied {
		out.Applied, out.Seq = true, seq
		return out, nil
	}
	now = res.now // the time the statement checked the deadline against
	// Nothing written: say why.
	at, err := s.load(ctx, s.DB, attemptID, candidate.ID)
	if err != nil {
		return Saved{}, err
	}
	switch {
	case at.Status == StatusSubmitted:
		return Saved{}, ErrAttemptFinished
	case at.Status == StatusExpired, now.After(at.DeadlineAt.Add(AnswerGrace)):
		// Time is up: grade now what was saved (the message says so), unless already graded.
		if _, err := s.finish(ctx, audit.System, attemptID, StatusExpired, now); err != nil {
			return Saved{}, err
		}
		return Saved{}, ErrDeadlinePassed
	}
	// Open and in time: a save with this seq or a newer one is stored.
	if err := s.DB.NewSelect().Model((*answer)(nil)).Column("seq").Where("attempt_id = ?", attemptID).Where("item_id = ?", itemID).Scan(ctx, &out.Seq); err != nil {
		return Saved{}, err
	}
	return out, nil
}

// choiceJSON checks a choice against the question as displayed and returns it as stored: ORIGINAL
// option indexes, ascending, as JSON.
func (s *Service) choiceJSON(st *sitting, itemID string, displayed []int) (string, error) {
	pos, ok := st.pos[itemID]
	if !ok {
		return "", apperr.Field("item_id", "That question is not part of this exam.")
	}
	it, ok := s.Bank.Item(itemID)
	if !ok {
		return "", fmt.Errorf("exam: item %s is no longer in the bank", itemID)
	}
	original, err := st.form[pos].Original(it, displayed)
	if err != nil {
		return "", err
	}
	cj, err := json.Marshal(original)
	return string(cj), err
}

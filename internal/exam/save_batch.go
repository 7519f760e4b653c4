package exam

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/peeracademy/peeracademy/internal/batch"
	"github.com/peeracademy/peeracademy/internal/database"
)

// Answers are written in batches (see internal/batch): the saves that arrive while others are being
// written go together in one statement, one commit.

// saveBatchQuery writes answers in one statement: each row only while its attempt is the candidate's,
// open, and within its deadline and grace, and only over a smaller seq; it returns the rows written.
// On PostgreSQL each row's attempt is locked FOR SHARE for the statement, so a Submit (which updates
// that row) either waits for this save and grades it, or commits first and this save writes nothing.
// SQLite has one writer: statements never interleave. The VALUES columns are named column1..column6
// on both databases: attempt, item, choice, seq, flagged, candidate.
const saveBatchQuery = `INSERT INTO exam_answers (attempt_id, item_id, choice, seq, flagged, updated_at)
SELECT v.column1, v.column2, v.column3, v.column4, v.column5, ? FROM (VALUES %s) AS v
WHERE EXISTS (SELECT 1 FROM exam_attempts AS t WHERE t.id = v.column1 AND t.candidate_id = v.column6 AND t.status = 'open' AND t.deadline_at >= ?%s)
ON CONFLICT (attempt_id, item_id) DO UPDATE SET choice = EXCLUDED.choice, seq = EXCLUDED.seq, flagged = EXCLUDED.flagged, updated_at = EXCLUDED.updated_at
WHERE exam_answers.seq < EXCLUDED.seq
RETURNING attempt_id, item_id`

// saveBatchSize bounds the rows of one statement; saveFlushers the statements in flight at once.
const (
	saveBatchSize = 256
	saveFlushers  = 4
)

type saveReq struct {
	attemptID, itemID, candidateID, choice string
	seq                                    int64
	flagged                                bool
	done                                   chan saveRes // buffered: the flusher never blocks
}

type saveRes struct {
	applied bool
	now     time.Time // the time the deadline was checked against
	err     error
}

type answerKey struct{ attemptID, itemID string }

func (s *Service) answerBatcher() *batch.Batcher[*saveReq] {
	s.answersOnce.Do(func() {
		s.answers = &batch.Batcher[*saveReq]{Flushers: saveFlushers, Size: saveBatchSize, Flush: s.flushAnswers}
	})
	return s.answers
}

// flushAnswers writes a batch. One statement may not touch the same row twice, so saves of the same
// question go in successive statements, in the order they came.
func (s *Service) flushAnswers(ctx context.Context, batch []*saveReq) {
	for len(batch) > 0 {
		seen := make(map[answerKey]bool, len(batch))
		var round, later []*saveReq
		for _, r := range batch {
			k := answerKey{r.attemptID, r.itemID}
			if seen[k] {
				later = append(later, r)
				continue
			}
			seen[k] = true
			round = append(round, r)
		}
		// Rows in one order on every statement: two statements then never wait on each other's row
		// locks in a circle.
		slices.SortFunc(round, func(a, b *saveReq) int {
			return cmp.Or(strings.Compare(a.attemptID, b.attemptID), strings.Compare(a.itemID, b.itemID))
		})
		s.writeAnswers(ctx, round)
		batch = later
	}
}

// writeAnswers runs one statement for saves of distinct questions and answers each request. When the
// statement fails, each save is tried alone, so that one bad row cannot fail the others.
func (s *Service) writeAnswers(ctx context.Context, round []*saveReq) {
	now := s.now()
	written, err := s.saveBatch(ctx, round, now)
	if err != nil && len(round) > 1 {
		for _, r := range round {
			s.writeAnswers(ctx, []*saveReq{r})
		}
		return
	}
	for _, r := range round {
		r.done <- saveRes{applied: written[answerKey{r.attemptID, r.itemID}], now: now, err: err}
	}
}

func (s *Service) saveBatch(ctx context.Context, round []*saveReq, now time.Time) (map[answerKey]bool, error) {
	lock := ""
	if database.IsPostgres(s.DB) {
		lock = " FOR SHARE"
	}
	var b strings.Builder
	args := make([]any, 0, 2+6*len(round))
	args = append(args, now)
	for i, r := range round {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?)")
		args = append(args, r.attemptID, r.itemID, r.choice, r.seq, r.flagged, r.candidateID)
	}
	args = append(args, now.Add(-AnswerGrace))
	var rows []struct {
		AttemptID string `bun:"attempt_id"`
		ItemID    string `bun:"item_id"`
	}
	if err := s.DB.NewRaw(fmt.Sprintf(saveBatchQuery, b.String(), lock), args...).Scan(ctx, &rows); err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	written := make(map[answerKey]bool, len(rows))
	for _, r := range rows {
		written[answerKey{r.AttemptID, r.ItemID}] = true
	}
	return written, nil
}

package exam

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/batch"
	"github.com/peeracademy/peeracademy/internal/database"
)

// The gate's facts of the starts that arrive together are read together: one statement for many
// candidates (batch.Loader), the same facts as gateQuery's for each. A synchronized start (2,000
// candidates pressing Start in the same second) otherwise paid one statement and one pool
// connection per start; the gate was then the costliest statement of the burst (README, "Load
// test"). A read of one candidate (a start that finds the loader idle) keeps the single statement,
// prepared on PostgreSQL (gate_stmt.go).

const (
	gateReadFlushers  = 2
	gateReadBatchSize = 128
)

// gateKey is what a gate read depends on: the candidate and the vendor of their enrolment ("" when
// not enrolled: the latest gate override's vendor then counts).
type gateKey struct{ candidate, enrolled string }

func (k gateKey) id() string { return k.candidate + "|" + k.enrolled }

// gateBatchQuery is gateQuery over a list of (key, candidate, enrolled vendor) rows; %s is the
// VALUES list, %%s the JSON aggregate of the dialect.
const gateBatchQuery = `WITH c(k, candidate_id, enrolled) AS (VALUES %s),
v AS MATERIALIZED (SELECT c.k, c.candidate_id, COALESCE(c.enrolled, (SELECT o.vendor_id FROM exam_gate_overrides AS o WHERE o.candidate_id = c.candidate_id ORDER BY o.granted_at DESC LIMIT 1)) AS vendor_id FROM c),
t AS MATERIALIZED (SELECT v.k,
  MAX(CASE WHEN a.status = 'open' THEN a.id END) AS open_id,
  MAX(CASE WHEN a.status = 'open' THEN a.deadline_at END) AS open_deadline,
  COALESCE(SUM(CASE WHEN a.passed = ? THEN 1 ELSE 0 END), 0) AS passed,
  COALESCE(SUM(CASE WHEN a.vendor_id = v.vendor_id AND a.status <> 'open' THEN 1 ELSE 0 END), 0) AS used,
  MAX(CASE WHEN a.vendor_id = v.vendor_id AND a.status <> 'open' THEN a.finished_at END) AS last_finished,
  COUNT(a.id) AS attempts
  FROM v LEFT JOIN exam_attempts AS a ON a.candidate_id = v.candidate_id GROUP BY v.k)
SELECT
  v.k, t.open_id, t.open_deadline, t.passed, v.vendor_id,
  (SELECT COUNT(*) FROM exam_gate_overrides AS o WHERE o.candidate_id = v.candidate_id AND o.vendor_id = v.vendor_id) AS override_here,
  st.duration_minutes, st.pass_percent, st.max_attempts, st.wait_days, st.form_length,
  (SELECT ac.extra_minutes FROM exam_accommodations AS ac WHERE ac.candidate_id = v.candidate_id AND ac.vendor_id = v.vendor_id) AS extra_minutes,
  t.used, t.last_finished,
  (SELECT %%s(r.item_id) FROM exam_retired_items AS r WHERE r.vendor_id = v.vendor_id) AS retired,
  t.attempts
FROM v JOIN t ON t.k = v.k LEFT JOIN exam_settings AS st ON st.vendor_id = v.vendor_id`

type keyedGateFacts struct {
	K string `bun:"k"`
	gateFacts
}

func (s *Service) gateReads() *batch.Loader[gateKey, gateFacts] {
	s.gateReadsOnce.Do(func() {
		s.gateReadsL = &batch.Loader[gateKey, gateFacts]{Flushers: gateReadFlushers, Size: gateReadBatchSize, Load: s.readGates}
	})
	return s.gateReadsL
}

// readGates reads the gate's facts of keys: one candidate alone through the single statement, more
// in one statement.
func (s *Service) readGates(ctx context.Context, keys []gateKey) (map[gateKey]gateFacts, error) {
	out := make(map[gateKey]gateFacts, len(keys))
	if len(keys) == 1 {
		k := keys[0]
		var enrolled *string
		if k.enrolled != "" {
			enrolled = &k.enrolled
		}
		f, err := s.gateFactsOne(ctx, s.DB, enrolled, k.candidate)
		if err != nil {
			return nil, err
		}
		out[k] = f
		return out, nil
	}
	rows := make([]string, len(keys))
	args := make([]any, 0, 3*len(keys)+1)
	byID := make(map[string]gateKey, len(keys))
	for i, k := range keys {
		rows[i] = "(CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT))"
		var enrolled any
		if k.enrolled != "" {
			enrolled = k.enrolled
		}
		args = append(args, k.id(), k.candidate, enrolled)
		byID[k.id()] = k
	}
	args = append(args, true)
	agg := "json_group_array"
	if database.IsPostgres(s.DB) {
		agg = "json_agg"
	}
	q := fmt.Sprintf(fmt.Sprintf(gateBatchQuery, strings.Join(rows, ", ")), agg)
	var got []keyedGateFacts
	if err := s.DB.NewRaw(q, args...).Scan(ctx, &got); err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	for _, g := range got {
		if k, ok := byID[g.K]; ok {
			out[k] = g.gateFacts
		}
	}
	if len(out) != len(keys) { // every key has its row (c drives every join): anything else is a bug
		return nil, fmt.Errorf("exam: the gate's facts of %d candidates came back for %d", len(keys), len(out))
	}
	return out, nil
}

// gateFactsOf reads the gate's facts: in db's transaction when there is one, else together with the
// other starts of the moment.
func (s *Service) gateFactsOf(ctx context.Context, db bun.IDB, enrolled *string, candidateID string) (gateFacts, error) {
	if _, pooled := db.(*bun.DB); !pooled {
		return s.gateFactsOne(ctx, db, enrolled, candidateID)
	}
	k := gateKey{candidate: candidateID}
	if enrolled != nil {
		k.enrolled = *enrolled
	}
	f, _, err := s.gateReads().Get(ctx, k)
	return f, err
}

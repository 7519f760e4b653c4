package exam

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/csvsafe"
	"github.com/peeracademy/peeracademy/internal/database"
)

var (
	errCohortNotFound = apperr.New(apperr.NotFound, "not_found", "We could not find that cohort.")
	errItemNotFound   = apperr.New(apperr.NotFound, "not_found", "There is no such item in the bank.")
)

// CohortResult is one finished attempt of a cohort's candidate, for the vendor. It never holds keys
// or choices.
type CohortResult struct {
	CandidateID string `json:"candidate_id"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	AttemptResult
}

// CohortResults lists the finished attempts taken in a cohort of the administrator's vendor, by
// candidate name then attempt number. Another vendor's cohort is "not found".
func (s *Service) CohortResults(ctx context.Context, admin *account.User, cohortID string) ([]CohortResult, error) {
	if !isAdmin(admin) {
		return nil, errAdminOnly
	}
	vendorID, err := cohort.VendorOf(ctx, s.DB, cohortID)
	if database.ErrIsNotFound(err) || (err == nil && vendorID != admin.Vendor()) {
		return nil, errCohortNotFound
	}
	if err != nil {
		return nil, err
	}
	var ats []attempt
	err = s.DB.NewSelect().Model(&ats).Where("vendor_id = ?", vendorID).
		Where("candidate_id IN (SELECT candidate_id FROM exam_attempts WHERE cohort_id = ?)", cohortID).
		OrderExpr("candidate_id ASC, started_at ASC, id ASC").Scan(ctx)
	if err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	var out []CohortResult
	number := map[string]int{}
	var ids []string
	for i := range ats {
		at := &ats[i]
		number[at.CandidateID]++
		if at.CohortID == nil || *at.CohortID != cohortID || at.Status == StatusOpen {
			continue
		}
		r, err := s.result(at, number[at.CandidateID])
		if err != nil {
			return nil, err
		}
		out = append(out, CohortResult{CandidateID: at.CandidateID, AttemptResult: *r})
		ids = append(ids, at.CandidateID)
	}
	if len(out) == 0 {
		return []CohortResult{}, nil
	}
	users, err := account.UsersByID(ctx, s.DB, ids, "", "id", "name", "email")
	if err != nil {
		return nil, err
	}
	byID := map[string]account.User{}
	for _, u := range users {
		byID[u.ID] = u
	}
	for i := range out {
		u := byID[out[i].CandidateID]
		out[i].Name, out[i].Email = u.Name, u.Email
	}
	sort.SliceStable(out, func(a, b int) bool {
		x, y := out[a], out[b]
		if x.Name != y.Name {
			return strings.ToLower(x.Name) < strings.ToLower(y.Name)
		}
		if x.Email != y.Email {
			return x.Email < y.Email
		}
		return x.Number < y.Number
	})
	return out, nil
}

// ExportCSV writes CohortResults as CSV: a header row, then one row per finished attempt, with the
// correct/total of each blueprint domain. It holds no keys or choices. Cells that a spreadsheet would
// read as a formula are prefixed with an apostrophe.
func (s *Service) ExportCSV(ctx context.Context, admin *account.User, cohortID string, w io.Writer) error {
	rows, err := s.CohortResults(ctx, admin, cohortID)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	header := []string{"candidate_name", "candidate_email", "attempt", "status", "finished_at", "correct", "total", "percent", "passed"}
	var domains []string
	if s.Bank != nil {
		for _, d := range s.Bank.Blueprint.Domains {
			domains = append(domains, d.ID)
			header = append(header, "domain_"+d.ID)
		}
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, r := range rows {
		finished := ""
		if r.FinishedAt != nil {
			finished = r.FinishedAt.UTC().Format(time.RFC3339)
		}
		passed := "no"
		if r.Passed {
			passed = "yes"
		}
		rec := []string{csvsafe.Cell(r.Name), csvsafe.Cell(r.Email), strconv.Itoa(r.Number), r.Status, finished, strconv.Itoa(r.Correct), strconv.Itoa(r.Total),
			strconv.FormatFloat(r.Percent, 'f', 1, 64), passed}
		by := map[string]DomainResult{}
		for _, d := range r.Domains {
			by[d.ID] = d
		}
		for _, id := range domains {
			if d, ok := by[id]; ok {
				rec = append(rec, fmt.Sprintf("%d/%d", d.Correct, d.Total))
			} else {
				rec = append(rec, "")
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ItemAnalysis computes, for every bank item, difficulty (proportion correct), corrected item-total
// discrimination and option counts over the administrator's vendor's finished attempts. See
// AnalyzeItems.
func (s *Service) ItemAnalysis(ctx context.Context, admin *account.User) ([]ItemStat, error) {
	if !isAdmin(admin) {
		return nil, errAdminOnly
	}
	vendorID := admin.Vendor()
	var ats []attempt
	if err := s.DB.NewSelect().Model(&ats).Column("id", "form").Where("vendor_id = ?", vendorID).Where("status <> ?", StatusOpen).
		OrderExpr("id").Scan(ctx); err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	var rows []answer
	if err := s.DB.NewRaw(`SELECT a.attempt_id, a.item_id, a.choice FROM exam_answers AS a
JOIN exam_attempts AS t ON t.id = a.attempt_id WHERE t.vendor_id = ? AND t.status <> ?`, vendorID, StatusOpen).
		Scan(ctx, &rows); err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	byAttempt := map[string]map[string][]int{}
	for _, r := range rows {
		var c []int
		if err := json.Unmarshal([]byte(r.Choice), &c); err != nil {
			return nil, fmt.Errorf("exam: answer %s/%s: bad choice: %w", r.AttemptID, r.ItemID, err)
		}
		if byAttempt[r.AttemptID] == nil {
			byAttempt[r.AttemptID] = map[string][]int{}
		}
		byAttempt[r.AttemptID][r.ItemID] = c
	}
	resp := make([]Response, 0, len(ats))
	for i := range ats {
		form, err := parseForm(&ats[i])
		if err != nil {
			return nil, err
		}
		resp = append(resp, Response{Form: form, Answers: byAttempt[ats[i].ID]})
	}
	retired, err := retiredSet(ctx, s.DB, vendorID)
	if err != nil {
		return nil, err
	}
	return AnalyzeItems(s.Bank, resp, retired), nil
}

// Retired lists the items the administrator's vendor has retired.
func (s *Service) Retired(ctx context.Context, admin *account.User) ([]RetiredItem, error) {
	if !isAdmin(admin) {
		return nil, errAdminOnly
	}
	var out []RetiredItem
	return out, s.DB.NewSelect().Model(&out).Where("vendor_id = ?", admin.Vendor()).OrderExpr("item_id").Scan(ctx)
}

// RetireItem takes an item off the administrator's vendor's new forms (attempts already started keep
// it). It refuses when the item's domain would be left with too few items for the vendor's form
// length. Retiring an item already retired changes nothing.
func (s *Service) RetireItem(ctx context.Context, a audit.Actor, admin *account.User, itemID, reason string) error {
	if !isAdmin(admin) {
		return errAdminOnly
	}
	it, ok := s.Bank.Item(itemID)
	if !ok {
		return errItemNotFound
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 1000 {
		return apperr.Field("reason", "Say why the item is retired (at most 1000 characters).")
	}
	vendorID := admin.Vendor()
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		// Serialise a vendor's retirements so two cannot together empty a domain.
		if err := account.LockVendor(ctx, tx, vendorID); err != nil {
			return err
		}
		retired, err := retiredSet(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		if retired[it.ID] {
			return nil
		}
		retired[it.ID] = true
		st, err := settingsIn(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		if _, err := AssembleForm(s.Bank, retired, st.FormLength, 1); err != nil {
			var short *ShortDomainError
			if errors.As(err, &short) {
				return apperr.New(apperr.Conflict, "too_few_items", fmt.Sprintf("Retiring %s would leave domain %q with %d items, fewer than the %d each form draws.",
					it.ID, short.Domain, short.Have, short.Need))
			}
			return err
		}
		ri := &RetiredItem{VendorID: vendorID, ItemID: it.ID, RetiredBy: admin.ID, RetiredAt: s.now(), Reason: reason}
		res, err := tx.NewInsert().Model(ri).On("CONFLICT (vendor_id, item_id) DO NOTHING").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "item.retire", SubjectType: "exam_item", SubjectID: it.ID, VendorID: vendorID,
			Details: map[string]any{"reason": reason}})
	})
}

// RestoreItem puts a retired item back on the administrator's vendor's new forms. Restoring an item
// that is not retired changes nothing.
func (s *Service) RestoreItem(ctx context.Context, a audit.Actor, admin *account.User, itemID string) error {
	if !isAdmin(admin) {
		return errAdminOnly
	}
	vendorID := admin.Vendor()
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*RetiredItem)(nil)).Where("vendor_id = ?", vendorID).Where("item_id = ?", itemID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "item.restore", SubjectType: "exam_item", SubjectID: itemID, VendorID: vendorID})
	})
}

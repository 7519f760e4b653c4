package web

import (
	"html/template"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/report"
)

// examPageSize is how many rows a section of the exam administration lists per page.
const examPageSize = 25

// Item-analysis flags an administrator can filter by.
var itemFlags = []struct{ Value, Label string }{
	{"low", "Low discrimination (below 0.2)"},
	{"easy", "Very easy (p above 0.9)"},
	{"hard", "Very hard (p below 0.3)"},
	{"unused", "No responses yet"},
	{"retired", "Retired"},
}

func itemFlagged(it exam.ItemStat, flag string) bool {
	switch flag {
	case "low":
		return it.Defined && it.Discrimination < LowDiscrimination
	case "easy":
		return it.N > 0 && it.P > 0.9
	case "hard":
		return it.N > 0 && it.P < 0.3
	case "unused":
		return it.N == 0
	case "retired":
		return it.Retired
	}
	return true
}

func offsetOf(c *fiber.Ctx) int {
	n, _ := strconv.Atoi(c.Query("offset"))
	return max(n, 0)
}

func pageOf[T any](xs []T, offset int) []T {
	if offset >= len(xs) {
		return nil
	}
	return xs[offset:min(len(xs), offset+examPageSize)]
}

// examItemsSection: the item analysis, filtered by domain and flag, a page at a time, with the
// difficulty-discrimination chart of every item the filter keeps.
func (h *Handlers) examItemsSection(c *fiber.Ctx, data map[string]any) error {
	items, err := h.Exams.ItemAnalysis(c.UserContext(), httpx.User(c))
	if err != nil {
		return err
	}
	domain, flag := c.Query("domain"), c.Query("flag")
	var domains []string
	var kept []exam.ItemStat
	for _, it := range items {
		if !slices.Contains(domains, it.Domain) {
			domains = append(domains, it.Domain)
		}
		if (domain == "" || it.Domain == domain) && itemFlagged(it, flag) {
			kept = append(kept, it)
		}
	}
	slices.Sort(domains)
	chart, err := itemScatter(kept)
	if err != nil {
		return err
	}
	off := offsetOf(c)
	data["Items"], data["ItemCount"], data["ItemTotal"] = pageOf(kept, off), len(kept), len(items)
	data["Domains"], data["Domain"], data["Flags"], data["Flag"] = domains, domain, itemFlags, flag
	data["ItemChart"], data["Pager"] = chart, pager(c, off, examPageSize, len(kept))
	return nil
}

// examResultsSection: pass rate per cohort and a score distribution (charts), and one cohort's
// results filtered by outcome, a page at a time.
func (h *Handlers) examResultsSection(c *fiber.Ctx, data map[string]any) error {
	ctx, u := c.UserContext(), httpx.User(c)
	cohorts, err := h.Cohorts.List(ctx, u)
	if err != nil {
		return err
	}
	stats, err := h.Reports.ForCohortExams(ctx, u.Vendor())
	if err != nil {
		return err
	}
	cohortID := c.Params("cohort")
	if cohortID == "" {
		cohortID = c.Query("cohort")
	}
	outcome := c.Query("outcome")
	var charts []template.HTML
	if len(stats) > 0 {
		pass, err := passRateChart(stats)
		if err != nil {
			return err
		}
		name, scores := "all cohorts", [report.Bands]int{}
		for _, s := range stats {
			if cohortID == "" {
				for i, n := range s.Scores {
					scores[i] += n
				}
			} else if s.CohortID == cohortID {
				name, scores = s.Name, s.Scores
			}
		}
		dist, err := scoreChart(name, scores)
		if err != nil {
			return err
		}
		charts = []template.HTML{pass, dist}
	}
	data["Cohorts"], data["CohortID"], data["Outcome"], data["Charts"] = cohorts, cohortID, outcome, charts
	if cohortID == "" {
		return nil
	}
	rs, err := h.Exams.CohortResults(ctx, u, cohortID)
	if err != nil {
		return err
	}
	var kept []exam.CohortResult
	for _, r := range rs {
		if outcome == "" || (outcome == "passed") == r.Passed {
			kept = append(kept, r)
		}
	}
	off := offsetOf(c)
	data["CohortResults"], data["ResultCount"], data["Pager"] = pageOf(kept, off), len(kept), pager(c, off, examPageSize, len(kept))
	return nil
}

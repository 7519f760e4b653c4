package exam

import (
	"math"
	"slices"
)

// DomainScore is the score on one blueprint domain.
type DomainScore struct {
	Correct int `json:"correct"`
	Total   int `json:"total"`
}

// Result is a graded form.
type Result struct {
	Correct  int                    `json:"correct"`
	Total    int                    `json:"total"`
	Percent  float64                `json:"percent"`
	Passed   bool                   `json:"passed"`
	ByDomain map[string]DomainScore `json:"by_domain"`
}

// Passes reports whether correct out of total reaches passPercent. It compares integers
// (correct*100 >= passPercent*total), so exactly 75% passes a 75% mark and 74.99% does not.
func Passes(correct, total, passPercent int) bool {
	return total > 0 && correct*100 >= passPercent*total
}

// Correct reports whether choice (ORIGINAL option indexes) earns the item's point: single and
// truefalse must choose exactly the keyed option; multiple must choose exactly the keyed set
// (all or nothing). No choice is wrong.
func Correct(it *Item, choice []int) bool {
	if it == nil || len(choice) == 0 {
		return false
	}
	got := slices.Clone(choice)
	slices.Sort(got)
	got = slices.Compact(got)
	switch it.Type {
	case TypeSingle, TypeTrueFalse:
		return len(choice) == 1 && len(it.Answer) == 1 && choice[0] == it.Answer[0]
	default:
		return slices.Equal(got, it.Answer)
	}
}

// Grade scores a form: one point per correct item (see Correct), unanswered items are wrong, an item
// no longer in the bank counts as wrong. Passed applies passPercent with Passes.
func Grade(form Form, bank *Bank, answers map[string][]int, passPercent int) Result {
	r := Result{ByDomain: map[string]DomainScore{}}
	for _, fi := range form {
		it, _ := bank.Item(fi.ItemID)
		ok := Correct(it, answers[fi.ItemID])
		r.Total++
		if ok {
			r.Correct++
		}
		if it != nil {
			ds := r.ByDomain[it.Domain]
			ds.Total++
			if ok {
				ds.Correct++
			}
			r.ByDomain[it.Domain] = ds
		}
	}
	if r.Total > 0 {
		r.Percent = float64(r.Correct) * 100 / float64(r.Total)
	}
	r.Passed = Passes(r.Correct, r.Total, passPercent)
	return r
}

// Response is one finished attempt, for item analysis: its form and the choices saved (ORIGINAL
// indexes by item id).
type Response struct {
	Form    Form
	Answers map[string][]int
}

// ItemStat is the classical item analysis of one bank item over a set of responses. It carries no
// key.
type ItemStat struct {
	ItemID     string `json:"item_id"`
	Domain     string `json:"domain"`
	Type       string `json:"type"`
	Difficulty string `json:"difficulty"` // the author's label: easy, medium or hard
	Stem       string `json:"stem"`
	Retired    bool   `json:"retired"`

	N int `json:"n"` // responses whose form held the item
	// P is the proportion of those responses that got the item right (classical difficulty).
	P float64 `json:"p"`
	// Discrimination is the corrected item-total (point-biserial) correlation: item score against
	// the score on the rest of the form. Defined is false, and Discrimination 0, when it cannot be
	// computed (fewer than two responses, or everyone scored the same on the item or on the rest).
	Discrimination float64 `json:"discrimination"`
	Defined        bool    `json:"discrimination_defined"`
	// OptionCounts[i] is how many responses chose the item's ORIGINAL option i (multiple select
	// counts each option chosen); Omitted counts responses with no choice.
	OptionCounts []int `json:"option_counts"`
	Omitted      int   `json:"omitted"`
}

// AnalyzeItems computes an ItemStat for every bank item, in bank order (items never administered have
// N = 0). retired marks items retired for the vendor.
func AnalyzeItems(bank *Bank, responses []Response, retired map[string]bool) []ItemStat {
	type acc struct{ n, sx, sy, sxy, sxx, syy float64 }
	accs := make([]acc, len(bank.Items))
	stats := make([]ItemStat, len(bank.Items))
	idx := make(map[string]int, len(bank.Items))
	for i := range bank.Items {
		it := &bank.Items[i]
		idx[it.ID] = i
		stats[i] = ItemStat{ItemID: it.ID, Domain: it.Domain, Type: it.Type, Difficulty: it.Difficulty, Stem: it.Stem,
			Retired: retired[it.ID], OptionCounts: make([]int, len(it.Options))}
	}
	for _, r := range responses {
		scores := make([]float64, len(r.Form))
		total := 0.0
		for k, fi := range r.Form {
			it, _ := bank.Item(fi.ItemID)
			if Correct(it, r.Answers[fi.ItemID]) {
				scores[k] = 1
				total++
			}
		}
		for k, fi := range r.Form {
			i, ok := idx[fi.ItemID]
			if !ok {
				continue
			}
			x, y := scores[k], total-scores[k]
			a := &accs[i]
			a.n++
			a.sx += x
			a.sy += y
			a.sxy += x * y
			a.sxx += x * x
			a.syy += y * y
			choice := r.Answers[fi.ItemID]
			if len(choice) == 0 {
				stats[i].Omitted++
			}
			for _, o := range choice {
				if o >= 0 && o < len(stats[i].OptionCounts) {
					stats[i].OptionCounts[o]++
				}
			}
		}
	}
	for i, a := range accs {
		st := &stats[i]
		st.N = int(a.n)
		if a.n == 0 {
			continue
		}
		st.P = a.sx / a.n
		vx := a.n*a.sxx - a.sx*a.sx
		vy := a.n*a.syy - a.sy*a.sy
		// Every sum is of whole numbers (item scores are 0 or 1), so vx and vy are exact and, when both
		// are positive, r is a finite number.
		if a.n >= 2 && vx > 0 && vy > 0 {
			st.Discrimination = (a.n*a.sxy - a.sx*a.sy) / math.Sqrt(vx*vy)
			st.Defined = true
		}
	}
	return stats
}

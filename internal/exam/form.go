package exam

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"math/rand/v2"
	"slices"
	"sort"
)

// FormItem is one question of a form: the bank item and the order its options are shown in.
// Perm[d] is the ORIGINAL (bank) index of the option displayed at position d.
type FormItem struct {
	ItemID string `json:"item_id"`
	Perm   []int  `json:"perm"`
}

// Form is an assembled exam form, questions in displayed order. It holds no keys: it is what
// exam_attempts.form stores, as JSON.
type Form []FormItem

// seedMix is XORed into the seed to make the second PCG word (the golden-ratio constant).
const seedMix = 0x9E3779B97F4A7C15

// DomainCounts is how many items a form of formLength draws from each blueprint domain, in blueprint
// order: the blueprint's counts scaled to formLength, proportions kept (largest remainder, ties to the
// earlier domain), adding up to exactly formLength.
func DomainCounts(bp Blueprint, formLength int) []int {
	out := make([]int, len(bp.Domains))
	sum := 0
	for _, d := range bp.Domains {
		sum += d.Count
	}
	if sum <= 0 || formLength <= 0 {
		return out
	}
	if formLength == sum {
		for i, d := range bp.Domains {
			out[i] = d.Count
		}
		return out
	}
	type rem struct{ i, r int }
	rems := make([]rem, len(bp.Domains))
	given := 0
	for i, d := range bp.Domains {
		q := d.Count * formLength
		out[i] = q / sum
		given += out[i]
		rems[i] = rem{i, q % sum}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; given < formLength; k++ {
		out[rems[k%len(rems)].i]++
		given++
	}
	return out
}

// AssembleForm draws a form of formLength items from bank, leaving out retired items: each domain
// gives its blueprint count (scaled by DomainCounts), chosen at random; then the question order and
// each question's option order are shuffled. Everything is drawn from one PCG stream seeded by seed,
// so the same seed (and bank and retired set) always gives the same form. True/false options keep
// their order ("True" first): shuffling them only confuses. It fails when a domain has too few items
// left.
func AssembleForm(bank *Bank, retired map[string]bool, formLength int, seed int64) (Form, error) {
	if bank == nil || len(bank.Blueprint.Domains) == 0 {
		return nil, fmt.Errorf("exam: the item bank has no blueprint")
	}
	if formLength < 1 {
		return nil, fmt.Errorf("exam: form length must be at least 1")
	}
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(seed)^seedMix))
	counts := DomainCounts(bank.Blueprint, formLength)
	var picked []*Item
	for i, d := range bank.Blueprint.Domains {
		var pool []*Item
		for _, it := range bank.ByDomain(d.ID) {
			if !retired[it.ID] {
				pool = append(pool, it)
			}
		}
		if len(pool) < counts[i] {
			return nil, &ShortDomainError{Domain: d.ID, Have: len(pool), Need: counts[i]}
		}
		rng.Shuffle(len(pool), func(a, b int) { pool[a], pool[b] = pool[b], pool[a] })
		picked = append(picked, pool[:counts[i]]...)
	}
	rng.Shuffle(len(picked), func(a, b int) { picked[a], picked[b] = picked[b], picked[a] })
	form := make(Form, len(picked))
	for i, it := range picked {
		var perm []int
		if it.Type == TypeTrueFalse {
			perm = identity(len(it.Options))
		} else {
			perm = rng.Perm(len(it.Options))
		}
		form[i] = FormItem{ItemID: it.ID, Perm: perm}
	}
	return form, nil
}

// ShortDomainError says a domain has fewer usable items than a form needs.
type ShortDomainError struct {
	Domain     string
	Have, Need int
}

func (e *ShortDomainError) Error() string {
	return fmt.Sprintf("exam: domain %q has %d usable items; the form needs %d", e.Domain, e.Have, e.Need)
}

func identity(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

// Position returns the displayed position of an item on the form, or -1.
func (f Form) Position(itemID string) int {
	return slices.IndexFunc(f, func(fi FormItem) bool { return fi.ItemID == itemID })
}

// BankVersion is a short fingerprint of everything in the bank that grading depends on (items, their
// options and keys, the blueprint), stored with each attempt so a changed bank can be detected.
func BankVersion(b *Bank) string {
	type item struct {
		ID, Domain, Type string
		Options          []string
		Answer           []int
	}
	v := struct {
		Blueprint Blueprint
		Items     []item
	}{Blueprint: b.Blueprint}
	for _, it := range b.Items {
		v.Items = append(v.Items, item{it.ID, it.Domain, it.Type, it.Options, it.Answer})
	}
	j, _ := json.Marshal(v)
	sum := sha256.Sum256(j)
	return hex.EncodeToString(sum[:8])
}

// Displayed is the item's options in the order the form shows them.
func (fi FormItem) Displayed(it *Item) []string {
	out := make([]string, len(fi.Perm))
	for d, o := range fi.Perm {
		out[d] = it.Options[o]
	}
	return out
}

// Selected maps a saved choice (ORIGINAL indexes) to the displayed indexes, ascending.
func (fi FormItem) Selected(choice []int) []int {
	out := []int{}
	for _, o := range choice {
		if d := slices.Index(fi.Perm, o); d >= 0 {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

// Original checks a choice of DISPLAYED indexes against the question and returns it as stored:
// ORIGINAL option indexes, ascending. Errors are field errors ("choice") to show the candidate.
func (fi FormItem) Original(it *Item, displayed []int) ([]int, error) {
	original := make([]int, 0, len(displayed))
	for _, d := range displayed {
		if d < 0 || d >= len(fi.Perm) {
			return nil, apperr.Field("choice", fmt.Sprintf("Choose among options 0 to %d.", len(fi.Perm)-1))
		}
		original = append(original, fi.Perm[d])
	}
	slices.Sort(original)
	if len(slices.Compact(slices.Clone(original))) != len(original) {
		return nil, apperr.Field("choice", "Choose each option at most once.")
	}
	if it.Type != TypeMultiple && len(original) > 1 {
		return nil, apperr.Field("choice", "Choose one answer only.")
	}
	return original, nil
}

package contentcheck

import (
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"unicode/utf8"

	"github.com/peeracademy/peeracademy/internal/exam"
)

// Test-wise simulation defaults (content/FORMAT.md): forms sat, the fixed seed, and the largest share
// of forms (percent) a candidate answering from surface cues alone may pass.
const (
	SimForms       = 10000
	SimSeed        = 20261202
	MaxTestWisePct = 1.0
)

// SimConfig says how the test-wise candidate sits the exam.
type SimConfig struct {
	Forms       int
	Seed        int64
	FormLength  int // items per form
	PassPercent int
}

// DefaultSim is the simulation content check runs: SimForms forms of the default form length at the
// default pass mark of the exam settings, seeded with SimSeed.
func DefaultSim() SimConfig {
	st := exam.DefaultSettings("")
	return SimConfig{Forms: SimForms, Seed: SimSeed, FormLength: st.FormLength, PassPercent: st.PassPercent}
}

// cues are the surface features of one item's options, by ORIGINAL option index.
type cues struct {
	length   []float64 // characters
	absolute []bool    // holds an absolute word
	overlap  []float64 // content words shared with the stem
	stemAbs  bool      // the stem holds an absolute word (true/false: answer False)
}

func cuesOf(it *exam.Item) cues {
	c := cues{stemAbs: HasAbsolute(it.Stem)}
	stem := contentWords(it.Stem)
	for _, o := range it.Options {
		c.length = append(c.length, float64(utf8.RuneCountInString(o)))
		c.absolute = append(c.absolute, HasAbsolute(o))
		c.overlap = append(c.overlap, float64(overlap(stem, contentWords(o))))
	}
	return c
}

// A Strategy scores every option of an item from its cues; the test-wise candidate picks the best
// scoring option (the best k on a select-all item), ties going to the option displayed first.
type Strategy struct {
	Name  string
	Score func(c cues, i int) float64
}

// Strategies are the surface cues a test-wise candidate uses, alone and combined.
var Strategies = []Strategy{
	{"longest option", func(c cues, i int) float64 { return c.length[i] }},
	{"shortest option", func(c cues, i int) float64 { return -c.length[i] }},
	{"avoid absolute words", func(c cues, i int) float64 { return -float64(b2i(c.absolute[i])) }},
	{"most words shared with the stem", func(c cues, i int) float64 { return c.overlap[i] }},
	// Writers who avoid echoing the stem in the key can overshoot into the opposite cue.
	{"fewest words shared with the stem", func(c cues, i int) float64 { return -c.overlap[i] }},
	{"combined: no absolutes, then shared words, then longest", func(c cues, i int) float64 {
		return -1e6*float64(b2i(c.absolute[i])) + 1e3*c.overlap[i] + c.length[i]
	}},
	{"combined: longest, avoiding absolutes", func(c cues, i int) float64 {
		return c.length[i] - 1e6*float64(b2i(c.absolute[i]))
	}},
}

// answer is the test-wise answer to one item as displayed (perm: ORIGINAL index at each displayed
// position). True/false: False when the stem holds an absolute word, else True. Select-all: the k
// best scoring options, k the bank's most common key count (capped at options - 1). Otherwise the
// best scoring option.
func (s Strategy) answer(it *exam.Item, c cues, perm []int, k int) []int {
	if it.Type == exam.TypeTrueFalse {
		return []int{b2i(c.stemAbs)}
	}
	order := slices.Clone(perm)
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(s.Score(c, b), s.Score(c, a)) })
	if it.Type != exam.TypeMultiple {
		k = 1
	}
	return order[:max(1, min(k, len(order)-1))]
}

// SimResult is how one strategy fared.
type SimResult struct {
	Strategy      string
	Forms, Passed int
	MeanPercent   float64 // mean score
}

// PassPct is the percentage of forms passed.
func (r SimResult) PassPct() float64 { return 100 * float64(r.Passed) / float64(max(r.Forms, 1)) }

func (r SimResult) String() string {
	return fmt.Sprintf("%s: pass %.1f%% of %d forms, mean score %.1f%%", r.Strategy, r.PassPct(), r.Forms, r.MeanPercent)
}

// Simulate has a candidate who knows nothing sit cfg.Forms forms for each strategy, drawn as the
// exam draws them (exam.AssembleForm; form seeds from one PCG stream seeded by cfg.Seed) and graded by
// exam.Grade against cfg.PassPercent. It returns each strategy's result, best (most forms passed)
// first; the same bank and config always give the same results. It fails when the bank cannot fill
// a form.
func Simulate(bank *exam.Bank, cfg SimConfig) ([]SimResult, error) {
	all := map[string]cues{}
	for i := range bank.Items {
		all[bank.Items[i].ID] = cuesOf(&bank.Items[i])
	}
	k := modalKeyCount(bank)
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5DEECE66D))
	res := make([]SimResult, len(Strategies))
	for i, s := range Strategies {
		res[i].Strategy = s.Name
	}
	for range cfg.Forms {
		form, err := exam.AssembleForm(bank, nil, cfg.FormLength, rng.Int64())
		if err != nil {
			return nil, err
		}
		for i, s := range Strategies {
			answers := make(map[string][]int, len(form))
			for _, fi := range form {
				it, _ := bank.Item(fi.ItemID)
				answers[fi.ItemID] = s.answer(it, all[fi.ItemID], fi.Perm, k)
			}
			g := exam.Grade(form, bank, answers, cfg.PassPercent)
			res[i].Forms++
			res[i].Passed += b2i(g.Passed)
			res[i].MeanPercent += g.Percent
		}
	}
	for i := range res {
		res[i].MeanPercent /= float64(max(res[i].Forms, 1))
	}
	slices.SortStableFunc(res, func(a, b SimResult) int { return cmp.Compare(b.Passed, a.Passed) })
	return res, nil
}

// modalKeyCount is the most common number of keys among select-all items (the smaller on a tie; 1
// when there are none).
func modalKeyCount(bank *exam.Bank) int {
	counts := map[int]int{}
	for _, it := range bank.Items {
		if it.Type == exam.TypeMultiple {
			counts[len(it.Answer)]++
		}
	}
	best := 1
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		if counts[k] > counts[best] {
			best = k
		}
	}
	return best
}

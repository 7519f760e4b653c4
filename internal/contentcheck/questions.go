package contentcheck

import (
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/exam"
)

// q is one multiple-choice question, written-exam item or module knowledge check, as the
// item-writing rules see it.
type q struct {
	file  string
	line  int
	name  string // "FND-001" or "check item 2"
	typ   string // exam.TypeSingle, TypeMultiple or TypeTrueFalse
	stem  string
	opts  []string
	keys  []int
	group string // the written item's domain
}

func (x q) problem(format string, args ...any) curriculum.Problem {
	return curriculum.Problem{File: x.file, Line: x.line, Msg: x.name + ": " + fmt.Sprintf(format, args...)}
}

func (x q) keyed(i int) bool { return slices.Contains(x.keys, i) }

func itemQ(it *exam.Item) q {
	return q{file: it.Src.File, line: it.Src.Line, name: it.ID, typ: it.Type, stem: it.Stem, opts: it.Options, keys: it.Answer, group: it.Domain}
}

func checkQ(m *curriculum.Module, i int, c curriculum.CheckItem) q {
	typ := exam.TypeSingle
	if len(c.Options) == 2 && slices.Contains(c.Options, "True") && slices.Contains(c.Options, "False") {
		typ = exam.TypeTrueFalse // in either order
	}
	return q{file: m.File, line: c.Line, name: fmt.Sprintf("check item %d", i+1), typ: typ, stem: c.Prompt, opts: c.Options, keys: []int{c.Answer}}
}

// keyExtreme reports whether a single-answer question's key is strictly the longest and strictly
// the shortest option (lengths in characters).
func keyExtreme(x q) (longest, shortest bool) {
	if x.typ != exam.TypeSingle || len(x.keys) != 1 || x.keys[0] < 0 || x.keys[0] >= len(x.opts) {
		return false, false
	}
	k := utf8.RuneCountInString(x.opts[x.keys[0]])
	longest, shortest = true, true
	for i, o := range x.opts {
		if i == x.keys[0] {
			continue
		}
		n := utf8.RuneCountInString(o)
		longest = longest && k > n
		shortest = shortest && k < n
	}
	return longest, shortest
}

// share is a count out of a total.
type share struct{ n, of int }

func (s share) pct() float64 {
	if s.of == 0 {
		return 0
	}
	return 100 * float64(s.n) / float64(s.of)
}

func (s share) String() string { return fmt.Sprintf("%.0f%% (%d of %d)", s.pct(), s.n, s.of) }

// stats are the cue figures of a set of questions.
type stats struct {
	longest, shortest share // single-answer questions keyed strictly longest / shortest
	tfTrue            share // true/false questions keyed True
	absKeys, absDis   share // keys / distractors containing an absolute word (true/false left out)
	negative          share // stems asking in the negative
}

func statsOf(qs []q) stats {
	var s stats
	for _, x := range qs {
		switch x.typ {
		case exam.TypeSingle:
			l, sh := keyExtreme(x)
			s.longest.of++
			s.shortest.of++
			s.longest.n += b2i(l)
			s.shortest.n += b2i(sh)
		case exam.TypeTrueFalse:
			s.tfTrue.of++
			s.tfTrue.n += b2i(x.keyed(slices.Index(x.opts, "True")))
		}
		if x.typ != exam.TypeTrueFalse {
			for i, o := range x.opts {
				c := &s.absDis
				if x.keyed(i) {
					c = &s.absKeys
				}
				c.of++
				c.n += b2i(HasAbsolute(o))
			}
		}
		neg, _ := Negative(x.stem)
		s.negative.of++
		s.negative.n += b2i(neg)
	}
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// limits are the item-writing limits of one kind of question set (percentages).
type limits struct {
	what             string  // "single-answer items", "knowledge checks"
	maxLongest       float64 // the key strictly the longest option
	maxLongestSpread float64 // |longest - shortest| in points; 0: not checked
	minTrue, maxTrue float64 // true/false keyed True
}

// Limits of the written bank and of module knowledge checks (content/FORMAT.md).
var (
	BankLimits  = limits{what: "single-answer items", maxLongest: 30, maxLongestSpread: 10, minTrue: 40, maxTrue: 60}
	CheckLimits = limits{what: "single-answer knowledge checks", maxLongest: 35, minTrue: 40, maxTrue: 60}
)

// cueProblems applies the shared limits to the figures of a question set; where names it
// ("the bank", "domain crisis", "the knowledge checks") and at is where the problems are reported.
func cueProblems(s stats, lim limits, where string, at func(string, ...any) curriculum.Problem) []curriculum.Problem {
	var ps []curriculum.Problem
	if s.longest.of > 0 && s.longest.pct() > lim.maxLongest {
		ps = append(ps, at("%s: the key is strictly the longest option in %s of %s; at most %.0f%% allowed", where, s.longest, lim.what, lim.maxLongest))
	}
	if lim.maxLongestSpread > 0 && s.longest.of > 0 {
		if d := s.longest.pct() - s.shortest.pct(); d > lim.maxLongestSpread || -d > lim.maxLongestSpread {
			ps = append(ps, at("%s: the key is strictly the longest option in %s and strictly the shortest in %s of %s; they must be within %.0f points",
				where, s.longest, s.shortest, lim.what, lim.maxLongestSpread))
		}
	}
	if p := s.tfTrue.pct(); s.tfTrue.of > 0 && (p < lim.minTrue || p > lim.maxTrue) {
		ps = append(ps, at("%s: true/false questions are keyed True in %s; %.0f-%.0f%% expected", where, s.tfTrue, lim.minTrue, lim.maxTrue))
	}
	kr, dr := s.absKeys.pct()/100, s.absDis.pct()/100
	if !AbsolutesBalanced(kr, dr) {
		ps = append(ps, at("%s: absolute words (%s ...) are in %s of keys and %s of distractors; the rates must be within a factor of 2 (rates under %.0f%% count as %.0f%%)",
			where, "always, never, only", s.absKeys, s.absDis, 100*AbsoluteFloor, 100*AbsoluteFloor))
	}
	return ps
}

// aboveProblems reports "all/none of the above" options.
func aboveProblems(x q) []curriculum.Problem {
	var ps []curriculum.Problem
	for i, o := range x.opts {
		if AllOrNoneOfTheAbove(o) {
			ps = append(ps, x.problem("option %d %q: no \"all of the above\" or \"none of the above\" options", i, o))
		}
	}
	return ps
}

// negativeProblems reports a question asking in the negative in lowercase.
func negativeProblems(x q) []curriculum.Problem {
	if _, lower := Negative(x.stem); lower {
		return []curriculum.Problem{x.problem("the question asks in the negative in lowercase; write NOT (or EXCEPT, LEAST) in capitals, or ask positively")}
	}
	return nil
}

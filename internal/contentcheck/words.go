package contentcheck

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// AbsoluteWords are the words and phrases that mark an option as absolute (content/FORMAT.md). A
// test-wise candidate avoids options that contain one; the bank must not reward that.
var AbsoluteWords = []string{
	"always", "never", "only", "all", "none", "every", "everyone", "everything", "no one", "nobody",
	"nothing", "must", "completely", "totally", "absolutely", "entirely", "guaranteed",
}

// words splits s into lowercase words: runs of letters, digits and apostrophes (typographic
// apostrophes folded to '), with a trailing possessive "'s" kept as part of the word.
func words(s string) []string {
	s = strings.NewReplacer("’", "'", "‘", "'").Replace(strings.ToLower(s))
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
}

// HasAbsolute reports whether s contains one of AbsoluteWords as a whole word (or, for "no one",
// as two consecutive words), case-insensitively: "Always" and "never." count, "allowed" and
// "nonetheless" do not.
func HasAbsolute(s string) bool {
	ws := words(s)
	for i, w := range ws {
		for _, a := range AbsoluteWords {
			first, rest, two := strings.Cut(a, " ")
			if w == first && (!two || i+1 < len(ws) && ws[i+1] == rest) {
				return true
			}
		}
	}
	return false
}

// AbsoluteFloor is the rate below which absolute words are too rare to be a cue: rates under it
// count as the floor itself when keys and distractors are compared.
const AbsoluteFloor = 0.03

// AbsolutesBalanced is the rule for absolute words: keyRate (the share of keys that contain one) and
// distractorRate (the share of distractors that do) are balanced when the larger is at most twice
// the smaller, each rate first raised to AbsoluteFloor. So two rates under 3% always pass, 0% against
// 5% passes (5% <= 2*3%), and 3.9% against 17.5% fails.
func AbsolutesBalanced(keyRate, distractorRate float64) bool {
	lo, hi := max(min(keyRate, distractorRate), AbsoluteFloor), max(keyRate, distractorRate)
	return hi <= 2*lo
}

var aboveRE = regexp.MustCompile(`(?i)\b(all|none|both|neither) of the (above|options|answers)\b|^\s*(all|none) of these\W*$`)

// AllOrNoneOfTheAbove reports whether an option is an "all/none of the above" kind of option.
func AllOrNoneOfTheAbove(option string) bool { return aboveRE.MatchString(option) }

var (
	negativeUpperRE = regexp.MustCompile(`\b(NOT|EXCEPT|LEAST)\b`)
	negativeLowerRE = regexp.MustCompile(`(?i)\b(not|except|least)\b`)
	notOnlyRE       = regexp.MustCompile(`(?i)\bnot (only|just|merely)\b`)
	sentenceEndRE   = regexp.MustCompile(`[.!?]["'”’)]*\s+`)
	selectAllRE     = regexp.MustCompile(`(?i)\s*\(?select all that apply\.?\)?\s*$`)
)

// question is the sentence of a stem that asks: its last sentence, a closing "Select all that
// apply." left out (a scenario's story comes before it, and words like "not" in the story do not
// make the item negative).
func question(stem string) string {
	s := selectAllRE.ReplaceAllString(strings.TrimSpace(stem), "")
	ends := sentenceEndRE.FindAllStringIndex(s, -1)
	if len(ends) == 0 {
		return s
	}
	return s[ends[len(ends)-1][1]:]
}

// Negative says how a stem asks in the negative. negative: its question sentence (see question)
// holds NOT, EXCEPT or LEAST in capitals; lowercase: it holds "not", "except" or "least" that is
// not all in capitals, which a reader can miss (write it in capitals, or better, ask positively).
// "not only", "not just" and "not merely" add rather than negate and are left out.
func Negative(stem string) (negative, lowercase bool) {
	q := notOnlyRE.ReplaceAllString(question(stem), "")
	negative = negativeUpperRE.MatchString(q)
	lowercase = slices.ContainsFunc(negativeLowerRE.FindAllString(q, -1), func(w string) bool {
		return w != strings.ToUpper(w)
	})
	return negative, lowercase
}

// stopWords are left out when stems and options are compared: they carry no content.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the and or but if then than that this these those to of in on at by for
		with from as is are was were be been being it its it's he she they them their his her him you your
		we our us i me my what which who whom whose when where why how do does did doing done can could
		would should will shall may might has have had having not no so such there here about into out up
		down over under again more most some any each other own same too very just also one two
		following best next select apply`) {
		stopWords[w] = true
	}
}

// contentWords is the set of words of s that carry content: stop words and one-letter words left out.
func contentWords(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range words(s) {
		w = strings.TrimSuffix(w, "'s")
		if len([]rune(w)) > 1 && !stopWords[w] {
			out[w] = true
		}
	}
	return out
}

// NearDuplicate is the Jaccard similarity of two stems' content words at or above which they count as
// near duplicates (the same question reworded slightly).
const NearDuplicate = 0.7

// Jaccard is the size of the intersection over the size of the union of two word sets (0 when
// both are empty).
func Jaccard(a, b map[string]bool) float64 {
	inter := 0
	for w := range a {
		if b[w] {
			inter++
		}
	}
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

// overlap counts the words of b that are also in a.
func overlap(a, b map[string]bool) int {
	n := 0
	for w := range b {
		if a[w] {
			n++
		}
	}
	return n
}

// Fold lowercases s, folds typographic quotes and dashes and collapses every run of whitespace to
// one space: the form in which a concept is looked for in a module's text.
func Fold(s string) string {
	s = strings.NewReplacer("’", "'", "‘", "'", "“", `"`, "”", `"`, "–", "-", "—", "-").Replace(strings.ToLower(s))
	return strings.Join(strings.Fields(s), " ")
}

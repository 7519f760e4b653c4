package contentcheck

import "testing"

func TestHasAbsolute(t *testing.T) {
	for s, want := range map[string]bool{
		"Always ask first.":              true,
		"She never calls.":               true,
		"No one decides for her.":        true,
		"She tells no one":               true, // the two words end the text
		"She tells no":                   false,
		"It is allowed.":                 false,
		"Nonetheless, she asks.":         false,
		"Offer choices; nothing forced.": true,
		"a must-do":                      true,
		"":                               false,
	} {
		if got := HasAbsolute(s); got != want {
			t.Errorf("HasAbsolute(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestAbsolutesBalanced(t *testing.T) {
	cases := []struct {
		keys, distractors float64
		want              bool
	}{
		{0, 0, true},
		{0.02, 0.029, true},   // both under the floor
		{0, 0.05, true},       // 5% <= 2 * 3%
		{0, 0.07, false},      // 7% > 2 * 3%
		{0.039, 0.175, false}, // the old bank
		{0.10, 0.20, true},
		{0.10, 0.21, false},
		{0.21, 0.10, false}, // keys full of absolutes is a cue too
	}
	for _, c := range cases {
		if got := AbsolutesBalanced(c.keys, c.distractors); got != c.want {
			t.Errorf("AbsolutesBalanced(%v, %v) = %v, want %v", c.keys, c.distractors, got, c.want)
		}
	}
}

func TestNegative(t *testing.T) {
	cases := []struct {
		stem            string
		negative, lower bool
	}{
		{"Which response is NOT person-centred?", true, false},
		{"All of these help EXCEPT which one?", true, false},
		{"Which response is not person-centred?", false, true},
		{"Which is Not helpful?", false, true},
		{"Dana does not want to go to group. What would you say next?", false, false}, // the story may say "not"
		{"Supervision is a place to talk, not only to be evaluated.", false, false},
		{"Which step is the LEAST useful?", true, false},
		{"What would a peer specialist say next?", false, false},
		{"Which tasks are NOT part of the role? Select all that apply.", true, false},
		{"Which tasks are not part of the role? Select all that apply.", false, true},
		// Only the last sentence asks, however many come before it; every word in it counts.
		{"Dana calls. She did NOT come to group. What would you say next?", false, false},
		{"Dana calls. She did not come to group. Which step is NOT helpful?", true, false},
		{"Which step is NOT helpful, and not kind?", true, true},
	}
	for _, c := range cases {
		neg, lower := Negative(c.stem)
		if neg != c.negative || lower != c.lower {
			t.Errorf("Negative(%q) = %v, %v; want %v, %v", c.stem, neg, lower, c.negative, c.lower)
		}
	}
}

func TestAllOrNoneOfTheAbove(t *testing.T) {
	for s, want := range map[string]bool{
		"All of the above":                true,
		"none of the above.":              true,
		"Both of the above":               true,
		"None of these":                   true,
		"Ask all of them what they need.": false,
		"Above all, listen.":              false,
	} {
		if got := AllOrNoneOfTheAbove(s); got != want {
			t.Errorf("AllOrNoneOfTheAbove(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestJaccardOfStems(t *testing.T) {
	a := contentWords("How should a peer specialist respond to Dana's request?")
	b := contentWords("How would a peer specialist respond to Dana’s request?")
	if j := Jaccard(a, b); j != 1 {
		t.Errorf("stop words and apostrophes: Jaccard = %v, want 1", j)
	}
	c := contentWords("What is the first step of a safety plan?")
	if j := Jaccard(a, c); j >= NearDuplicate {
		t.Errorf("different stems: Jaccard = %v", j)
	}
	if Jaccard(map[string]bool{}, map[string]bool{}) != 0 {
		t.Error("empty sets")
	}
}

func TestFold(t *testing.T) {
	if got := Fold("  Person’s\n  CHOICE — first "); got != "person's choice - first" {
		t.Errorf("Fold = %q", got)
	}
}

// Content words keep two-letter words and drop single letters; overlap counts the shared ones.
func TestContentWords(t *testing.T) {
	w := contentWords("Qz y xylophone")
	if !w["qz"] || !w["xylophone"] || w["y"] || len(w) != 2 {
		t.Errorf("contentWords = %v", w)
	}
	if n := overlap(w, contentWords("qz zebra")); n != 1 {
		t.Errorf("overlap = %d, want 1", n)
	}
	if n := overlap(w, contentWords("zebra")); n != 0 {
		t.Errorf("overlap without a shared word = %d", n)
	}
}

package catalog_test

import (
	"testing"

	"github.com/peeracademy/peeracademy/internal/catalog"
)

// Who may sit a course's assessment: never after a pass, always to resume the open attempt, and
// otherwise while attempts are left (0 allowed is no limit).
func TestRuleMayAttempt(t *testing.T) {
	for _, tt := range []struct {
		passed, open  bool
		used, allowed int
		want          bool
	}{
		{false, false, 0, 0, true},
		{false, false, 7, 0, true}, // no limit
		{false, false, 0, 1, true},
		{false, false, 2, 3, true},
		{false, false, 3, 3, false}, // the last allowed attempt was used
		{false, false, 4, 3, false},
		{false, true, 3, 3, true}, // the third attempt is still open: resumed
		{true, false, 1, 3, false},
		{true, true, 1, 0, false}, // passed: nothing more, not even without a limit
	} {
		if got := catalog.MayAttempt(tt.passed, tt.open, tt.used, tt.allowed); got != tt.want {
			t.Errorf("MayAttempt(passed %v, open %v, %d used of %d) = %v, want %v", tt.passed, tt.open, tt.used, tt.allowed, got, tt.want)
		}
	}
}

// A course is complete once every module is done and an attempt passed, not before.
func TestRuleCompletesCourse(t *testing.T) {
	for _, tt := range []struct {
		done, modules int
		passed        bool
		want          bool
	}{
		{3, 3, true, true},
		{2, 3, true, false},
		{3, 3, false, false},
		{0, 3, false, false},
		{4, 3, true, true}, // a module removed from the course after it was done
		{0, 0, true, true},
	} {
		if got := catalog.CompletesCourse(tt.done, tt.modules, tt.passed); got != tt.want {
			t.Errorf("CompletesCourse(%d of %d, passed %v) = %v, want %v", tt.done, tt.modules, tt.passed, got, tt.want)
		}
	}
}

// The completion names the attempt that passed, the last if several did.
func TestRulePassingAttempt(t *testing.T) {
	at := func(id string, passed bool) catalog.Attempt { return catalog.Attempt{ID: id, Passed: passed} }
	for want, ats := range map[string][]catalog.Attempt{
		"":  nil,
		"b": {at("a", false), at("b", true), at("c", false)},
		"d": {at("c", true), at("d", true)},
		"e": {at("e", true)},
	} {
		if got := catalog.PassingAttempt(ats); got != want {
			t.Errorf("PassingAttempt(%+v) = %q, want %q", ats, got, want)
		}
	}
	if got := catalog.PassingAttempt([]catalog.Attempt{at("x", false)}); got != "" {
		t.Errorf("no attempt passed, yet %q", got)
	}
}

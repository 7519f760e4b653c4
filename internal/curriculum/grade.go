package curriculum

import "slices"

// CheckResult is the outcome of a knowledge-check attempt. Knowledge checks are practice, not part of
// certification: passing means every item answered correctly, and it completes the module.
type CheckResult struct {
	Items   []ItemResult `json:"items"`
	Correct int          `json:"correct"`
	Total   int          `json:"total"`
	Passed  bool         `json:"passed"`
}

// ItemResult is one graded knowledge-check item. Feedback is shown after answering.
type ItemResult struct {
	Chosen   int    `json:"chosen"`
	Right    bool   `json:"right"`
	Feedback string `json:"feedback"`
}

// Grade marks answers (option indexes; -1 or out of range for unanswered).
func (m *Module) Grade(answers []int) CheckResult {
	res := CheckResult{Total: len(m.Check), Items: make([]ItemResult, len(m.Check))}
	for i, q := range m.Check {
		chosen := -1
		if i < len(answers) && answers[i] >= 0 && answers[i] < len(q.Options) {
			chosen = answers[i]
		}
		right := chosen == q.Answer
		if right {
			res.Correct++
		}
		res.Items[i] = ItemResult{Chosen: chosen, Right: right, Feedback: q.Feedback}
	}
	res.Passed = res.Total > 0 && res.Correct == res.Total
	return res
}

// HasMedia reports whether a media path is used by some module, as media or as a handout (only
// those are served).
func (c *Curriculum) HasMedia(p string) bool {
	for _, m := range c.modules {
		if slices.Contains(m.Media, p) {
			return true
		}
		if _, ok := m.Handout(p); ok {
			return true
		}
	}
	return false
}

package notify

import (
	"strings"
	"testing"
)

// Every template renders a subject and a body, and a missing value is an error, not "<no value>".
func TestEveryMailTemplateRenders(t *testing.T) {
	data := map[string]any{"Name": "Zoë", "LoginURL": "u", "ForgotURL": "u", "URL": "https://x.test/a", "Inviter": "A", "Vendor": "V",
		"Role": "trainer", "Cohort": "Autumn", "Opens": "on Monday", "LearnURL": "", "Holder": "Zoë", "Credential": "CPS", "Number": "N-1",
		"Until": "June 1, 2028", "HolderURL": "h", "VerifyURL": "v", "DaysLeft": 30, "End": "e", "LastDay": "l", "Rule": "r",
		"Verified": "1", "Unmet": []string{"a", "b"}, "Pending": "0"}
	for name := range mailTemplates {
		e, err := Compose("zoe@example.org", name, data)
		if err != nil || e.Subject == "" || strings.Contains(e.Subject, "\n") || !strings.HasSuffix(e.Body, "\n") {
			t.Errorf("%s: %q %q %v", name, e.Subject, e.Body, err)
		}
	}
	if _, err := Compose("zoe@example.org", "account_invite", map[string]any{}); err == nil {
		t.Error("a template rendered without its data")
	}
	if _, err := Compose("zoe@example.org", "no_such_template", nil); err == nil {
		t.Error("an unknown template rendered")
	}
}

package oral

import (
	"regexp"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/peeracademy/peeracademy/internal/account"
)

// Names with apostrophes, commas and semicolons reach calendar apps as written: the CN parameter is
// a quoted-string with no backslash escapes (RFC 5545 section 3.1), and an iCalendar parser reads
// the name back unchanged.
func TestInvitationQuotesNamesAsRFC5545Says(t *testing.T) {
	start := time.Date(2027, 3, 16, 13, 0, 0, 0, time.UTC)
	inv := invitation{method: ics.MethodRequest, uid: "b1@peeracademy", stamp: start.Add(-time.Hour),
		slot:      &Slot{StartsAt: start, EndsAt: start.Add(45 * time.Minute), Mode: ModeInPerson, Location: "Room 4"},
		organizer: &account.User{Name: "Dr. Ruth Ames, Jr.; \"Ru\"", Email: "ruth.ames@example.org"},
		attendee:  &account.User{Name: "Zoë Nuñez-O'Brien de la Vega y Castellanos-Montenegro", Email: "zoe.nunez-obrien.de-la-vega@example.org"}}
	data := string(inv.build())

	unfolded := strings.ReplaceAll(data, "\r\n ", "")
	for _, line := range strings.Split(data, "\r\n") {
		if len(line) > 75 {
			t.Errorf("line longer than 75 octets: %q", line)
		}
	}
	wantCN := map[string]string{
		"ORGANIZER": `CN="Dr. Ruth Ames, Jr.; 'Ru'"`,
		"ATTENDEE":  `CN="Zoë Nuñez-O'Brien de la Vega y Castellanos-Montenegro"`,
	}
	// param-value = paramtext / quoted-string; quoted-string = DQUOTE *QSAFE-CHAR DQUOTE.
	param := regexp.MustCompile(`;[A-Z-]+=(?:"[^"\x00-\x08\x0a-\x1f\x7f]*"|[^";:,\x00-\x08\x0a-\x1f\x7f]*)`)
	for prop, cn := range wantCN {
		i := strings.Index(unfolded, "\r\n"+prop+";")
		if i < 0 {
			t.Fatalf("no %s line:\n%s", prop, data)
		}
		line := unfolded[i+2:]
		line = line[:strings.Index(line, "\r\n")]
		if !strings.Contains(line, ";"+cn) || strings.Contains(line, `\`) {
			t.Errorf("%s line %q, want %s and no backslash", prop, line, cn)
		}
		rest := strings.TrimPrefix(line, prop)
		for rest != "" && rest[0] == ';' {
			m := param.FindString(rest)
			if m == "" {
				t.Fatalf("%s: parameter at %q is not RFC 5545", prop, rest)
			}
			rest = rest[len(m):]
		}
		if !strings.HasPrefix(rest, ":mailto:") {
			t.Errorf("%s: value %q", prop, rest)
		}
	}

	cal, err := ics.ParseCalendar(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	ev := cal.Events()[0]
	atts := ev.Attendees()
	if len(atts) != 1 || atts[0].Email() != inv.attendee.Email || atts[0].ICalParameters["CN"][0] != inv.attendee.Name ||
		atts[0].ICalParameters["PARTSTAT"][0] != "ACCEPTED" {
		t.Errorf("attendee read back as %+v", atts)
	}
	if org := ev.GetProperty(ics.ComponentPropertyOrganizer); org == nil || org.Value != "mailto:"+inv.organizer.Email || org.ICalParameters["CN"][0] != "Dr. Ruth Ames, Jr.; 'Ru'" {
		t.Errorf("organizer read back as %+v", org)
	}
}

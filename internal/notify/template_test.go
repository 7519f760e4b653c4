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
		"Verified": "1", "Unmet": []string{"a", "b"}, "Pending": "0", "Reason": "r", "Opened": "Monday, March 1, 2027",
		"Candidate": "Zoë", "Trainer": "Tom", "When": "w", "Day": "d", "Starts": "s", "Ends": "e", "Online": true, "Location": "l",
		"SiteURL": "", "Moved": false, "CanChange": true, "CancelBy": "c", "CutoffHours": 24, "ByCandidate": false, "Amended": false}
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

// The booking, result, reminder, course-opened and certificate-change emails render their words
// for each case with sample data: subject and whole body.
func TestBookingAndCertificateMails(t *testing.T) {
	oral := func(over map[string]any) map[string]any {
		d := map[string]any{"Candidate": "Zoë Nuñez", "Trainer": "Tom Reyes", "Vendor": "Recovery Works",
			"When": "Tuesday, March 16, 2027 at 9:00 AM EDT", "Day": "Tuesday, March 16, 2027",
			"Starts": "Tuesday, March 16, 2027, 9:00 AM", "Ends": "9:45 AM EDT", "Online": false, "Location": "100 Market St",
			"SiteURL": "https://academy.example.org", "Moved": false, "CanChange": true, "CancelBy": "Monday, March 15, 2027 at 9:00 AM EDT",
			"CutoffHours": 24, "ByCandidate": false, "Reason": "", "Amended": false}
		for k, v := range over {
			d[k] = v
		}
		return d
	}
	cert := map[string]any{"Holder": "Zoë Nuñez", "Credential": "Certified Peer Specialist", "Number": "PA-CPS-1",
		"HolderURL": "https://academy.example.org/certificates/c1", "Reason": "Issued in error", "Until": "March 14, 2031"}
	for _, tc := range []struct {
		name, template string
		data           map[string]any
		subject, body  string
	}{
		{"booked", "oral_booked", oral(nil), "Your oral exam is booked: Tuesday, March 16, 2027 at 9:00 AM EDT", `Hello Zoë Nuñez,

Your PeerAcademy oral examination with Recovery Works is booked.

When: Tuesday, March 16, 2027, 9:00 AM to 9:45 AM EDT
Where: In person, at 100 Market St
Examiner: Tom Reyes

You can cancel or reschedule until Monday, March 15, 2027 at 9:00 AM EDT. After that, please contact Recovery Works.

A calendar invitation is attached. Sign in at https://academy.example.org to see or change your booking.
`},
		{"moved inside the cutoff, no base URL", "oral_booked", oral(map[string]any{"Moved": true, "CanChange": false, "CutoffHours": 1, "Online": true, "SiteURL": ""}),
			"Your oral exam has moved: Tuesday, March 16, 2027 at 9:00 AM EDT", `Hello Zoë Nuñez,

Your PeerAcademy oral examination with Recovery Works has been moved to a new time.

When: Tuesday, March 16, 2027, 9:00 AM to 9:45 AM EDT
Where: Online, at 100 Market St
Examiner: Tom Reyes

This exam is less than 1 hour away, so the booking can no longer be cancelled or moved online. If you cannot attend, please contact Recovery Works as soon as you can.

A calendar invitation is attached. Sign in to PeerAcademy to see or change your booking.
`},
		{"booked, to the examiner", "oral_booked_trainer", oral(nil), "Oral exam booked: Tuesday, March 16, 2027 at 9:00 AM EDT", `Hello Tom Reyes,

Zoë Nuñez has booked the oral examination you offered.

When: Tuesday, March 16, 2027, 9:00 AM to 9:45 AM EDT
Where: In person, at 100 Market St

A calendar invitation is attached. Sign in at https://academy.example.org to see your exam schedule.
`},
		{"cancelled by the organisation", "oral_cancelled", oral(map[string]any{"Reason": "Examiner ill"}), "Your oral exam is cancelled: Tuesday, March 16, 2027 at 9:00 AM EDT", `Hello Zoë Nuñez,

Your PeerAcademy oral examination with Recovery Works on Tuesday, March 16, 2027, 9:00 AM to 9:45 AM EDT is cancelled.

Your training organisation cancelled this booking.
Reason: Examiner ill
We are sorry for the inconvenience. You can choose another time.

The attached calendar update removes it from your calendar. Sign in at https://academy.example.org to book or see your exams.
`},
		{"cancelled by the candidate", "oral_cancelled", oral(map[string]any{"ByCandidate": true}), "Your oral exam is cancelled: Tuesday, March 16, 2027 at 9:00 AM EDT", `Hello Zoë Nuñez,

Your PeerAcademy oral examination with Recovery Works on Tuesday, March 16, 2027, 9:00 AM to 9:45 AM EDT is cancelled.

You cancelled this booking.

The attached calendar update removes it from your calendar. Sign in at https://academy.example.org to book or see your exams.
`},
		{"moved away", "oral_cancelled", oral(map[string]any{"Moved": true, "ByCandidate": true}), "Previous oral exam time cancelled: Tuesday, March 16, 2027 at 9:00 AM EDT", `Hello Zoë Nuñez,

Your PeerAcademy oral examination with Recovery Works on Tuesday, March 16, 2027, 9:00 AM to 9:45 AM EDT is cancelled.

You moved this exam to another time; you will receive a separate confirmation of the new time.

The attached calendar update removes it from your calendar. Sign in at https://academy.example.org to book or see your exams.
`},
		{"cancelled by the organisation, to the examiner", "oral_cancelled_trainer", oral(nil), "Oral exam cancelled: Tuesday, March 16, 2027 at 9:00 AM EDT", `Hello Tom Reyes,

Zoë Nuñez no longer has this booking: your training organisation cancelled it for the oral examination on Tuesday, March 16, 2027, 9:00 AM to 9:45 AM EDT.

The attached calendar update removes it from your calendar. Sign in at https://academy.example.org to see your exam schedule.
`},
		{"cancelled by the candidate, to the examiner", "oral_cancelled_trainer", oral(map[string]any{"ByCandidate": true}), "Oral exam cancelled: Tuesday, March 16, 2027 at 9:00 AM EDT", `Hello Tom Reyes,

Zoë Nuñez cancelled their booking for the oral examination on Tuesday, March 16, 2027, 9:00 AM to 9:45 AM EDT.

The attached calendar update removes it from your calendar. Sign in at https://academy.example.org to see your exam schedule.
`},
		{"moved, to the examiner", "oral_cancelled_trainer", oral(map[string]any{"Moved": true, "ByCandidate": true}), "Oral exam cancelled: Tuesday, March 16, 2027 at 9:00 AM EDT", `Hello Tom Reyes,

Zoë Nuñez moved their booking to another time for the oral examination on Tuesday, March 16, 2027, 9:00 AM to 9:45 AM EDT.

The attached calendar update removes it from your calendar. Sign in at https://academy.example.org to see your exam schedule.
`},
		{"reminder", "oral_reminder", oral(map[string]any{"Online": true, "Location": "https://meet.example.org/x"}), "Reminder: your oral exam on Tuesday, March 16, 2027 at 9:00 AM EDT", `Hello Zoë Nuñez,

A reminder: your PeerAcademy oral examination with Recovery Works is coming up.

When: Tuesday, March 16, 2027, 9:00 AM to 9:45 AM EDT
Where: Online, at https://meet.example.org/x
Examiner: Tom Reyes

If you cannot attend, please contact Recovery Works as soon as you can. Sign in at https://academy.example.org to see your booking.
`},
		{"result", "oral_result", oral(nil), "Your oral exam result is ready", `Hello Zoë Nuñez,

The result of your oral examination with Recovery Works on Tuesday, March 16, 2027 is available.

Sign in at https://academy.example.org to read your scores and your examiner's feedback.
`},
		{"amended result", "oral_result", oral(map[string]any{"Amended": true}), "Your oral exam result has been updated", `Hello Zoë Nuñez,

Your training organisation has corrected the result of your oral examination with Recovery Works on Tuesday, March 16, 2027: the corrected result is available.

Sign in at https://academy.example.org to read your scores and your examiner's feedback.
`},
		{"course opened", "cohort_opened", map[string]any{"Name": "Zoë Nuñez", "Cohort": "Spring morning", "Opened": "Monday, March 1, 2027",
			"LearnURL": "https://academy.example.org/learn"}, "Your course has opened: Spring morning", `Hello Zoë Nuñez,

Your Certified Peer Specialist course has opened: Spring morning. Day 1 opened on Monday, March 1, 2027.

Start here: https://academy.example.org/learn

Each later day opens on its own session date. Your training organisation can answer any question about the course.
`},
		{"course opened, no base URL", "cohort_opened", map[string]any{"Name": "Zoë Nuñez", "Cohort": "Spring morning", "Opened": "Monday, March 1, 2027",
			"LearnURL": ""}, "Your course has opened: Spring morning", `Hello Zoë Nuñez,

Your Certified Peer Specialist course has opened: Spring morning. Day 1 opened on Monday, March 1, 2027.

Sign in to PeerAcademy and open Course.

Each later day opens on its own session date. Your training organisation can answer any question about the course.
`},
		{"revoked", "certificate_revoked", cert, "Your certificate PA-CPS-1 has been revoked", `Hello Zoë Nuñez,

Your Certified Peer Specialist certificate PA-CPS-1 has been revoked. Anyone who verifies it now sees that it is revoked.

Reason given:
Issued in error

If you think this is a mistake, contact the organisation that issued it.
`},
		{"reinstated", "certificate_reinstated", cert, "Your certificate PA-CPS-1 is active again", `Hello Zoë Nuñez,

Your Certified Peer Specialist certificate PA-CPS-1 has been reinstated.

Reason given:
Issued in error

https://academy.example.org/certificates/c1
`},
		{"renewed", "certificate_renewed", cert, "Your certificate PA-CPS-1 is renewed", `Hello Zoë Nuñez,

Your Certified Peer Specialist certificate PA-CPS-1 has been renewed. It is now valid until March 14, 2031.

Download the renewed certificate and credential here:
https://academy.example.org/certificates/c1
`},
	} {
		e, err := Compose("zoe@example.org", tc.template, tc.data)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if e.Subject != tc.subject {
			t.Errorf("%s: subject %q, want %q", tc.name, e.Subject, tc.subject)
		}
		if e.Body != tc.body {
			t.Errorf("%s: body\n%s\nwant\n%s", tc.name, e.Body, tc.body)
		}
	}
}

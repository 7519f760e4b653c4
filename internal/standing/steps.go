package standing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/padate"
)

// Step is one stage on a candidate's path to certification, with where it stands.
type Step struct {
	Title, Status, Link, LinkText string
	Done                          bool
	Bars                          []Bar // progress shown as bars (the course: modules and hours)
}

// Bar is one progress bar: Value of Max, with its words for screen readers and no-CSS readers.
type Bar struct {
	Label, Text string
	Value, Max  int
}

// Steps is the signed-in candidate's path to certification, for the dashboard: the standing, with
// what the exam pages' own gates say about what comes next (so the dashboard says what they would).
func (s *Service) Steps(ctx context.Context, u *account.User, now time.Time) ([]Step, error) {
	st, err := s.Of(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	app, err := s.applicationStep(ctx, u)
	if err != nil {
		return nil, err
	}
	written, err := s.writtenStep(ctx, u, st)
	if err != nil {
		return nil, err
	}
	orl, err := s.oralStep(ctx, u, st)
	if err != nil {
		return nil, err
	}
	cert, err := s.certificateStep(ctx, u, now)
	if err != nil {
		return nil, err
	}
	return []Step{app, courseStep(st), written, orl, cert}, nil
}

func (s *Service) applicationStep(ctx context.Context, u *account.User) (Step, error) {
	apps, err := s.Eligibility.Mine(ctx, u)
	if err != nil {
		return Step{}, err
	}
	app := Step{Title: "Apply to a training organisation", Status: "Not started", Link: "/applications", LinkText: "Start an application"}
	for _, a := range apps {
		app.Status = eligibility.StatusLabel(a.Status) + " (" + a.VendorName + ")"
		app.LinkText = "See your application"
		if a.Status == eligibility.StatusApproved {
			app.Done = true
			break
		}
	}
	return app, nil
}

func courseStep(st *Standing) Step {
	course := Step{Title: "Complete the ten-day course", Status: "Opens once you are enrolled in a cohort", Link: "/learn", LinkText: "Go to the course"}
	if st.Coursework == nil {
		return course
	}
	c := st.Coursework.Status
	course.Status = fmt.Sprintf("%d of %d modules, %s of %s hours", c.ModulesCompleted, c.ModulesTotal, cohort.Hours(c.AttendedMinutes+c.MakeupMinutes), cohort.Hours(c.RequiredMinutes))
	course.Done = c.Complete
	course.Bars = []Bar{
		{Label: "Modules completed", Text: fmt.Sprintf("%d of %d modules", c.ModulesCompleted, c.ModulesTotal), Value: c.ModulesCompleted, Max: c.ModulesTotal},
		{Label: "Training hours", Text: cohort.Hours(c.AttendedMinutes+c.MakeupMinutes) + " of " + cohort.Hours(c.RequiredMinutes) + " hours",
			Value: min(c.AttendedMinutes+c.MakeupMinutes, c.RequiredMinutes), Max: c.RequiredMinutes},
	}
	return course
}

func (s *Service) writtenStep(ctx context.Context, u *account.User, st *Standing) (Step, error) {
	written := Step{Title: "Pass the written examination", Link: "/exam", LinkText: "Written examination"}
	for _, r := range st.Written {
		if r.Graded {
			on := r.StartedAt
			if r.FinishedAt != nil {
				on = *r.FinishedAt
			}
			written.Status = fmt.Sprintf("Attempt %d on %s: %.1f%%", r.Number, padate.Day(on).Format("January 2, 2006"), r.Percent)
			if r.Passed {
				written.Done, written.Status = true, written.Status+", passed"
			}
		}
	}
	if written.Done {
		return written, nil
	}
	g, err := s.Exams.Gate(ctx, u)
	if err != nil {
		return Step{}, err
	}
	next := "Open: you can take it now."
	switch {
	case g.OpenAttemptID != "":
		next = "An attempt is in progress: go back to it."
	case !g.CanStart:
		next = g.Message
	}
	written.Status = strings.TrimPrefix(written.Status+". "+next, ". ")
	return written, nil
}

func (s *Service) oralStep(ctx context.Context, u *account.User, st *Standing) (Step, error) {
	orl := Step{Title: "Pass the oral examination", Link: "/oral", LinkText: "Oral examination"}
	if r := st.Oral; r != nil {
		orl.Done = r.Passed
		orl.Status = fmt.Sprintf("Exam on %s: total %d of %d", padate.Day(r.ExamAt).Format("January 2, 2006"), r.Total, r.MaxTotal)
		if r.Passed {
			orl.Status += ", passed"
		}
	}
	if orl.Done {
		return orl, nil
	}
	g, err := s.Oral.Gate(ctx, u)
	if err != nil {
		return Step{}, err
	}
	next := g.Message
	switch {
	case g.CanBook:
		next = "Open: book a time with your training organisation."
	case g.Code == oral.ErrAlreadyBooked.Code:
		b, err := s.Oral.GetBooking(ctx, u, g.ActiveBookingID)
		if err != nil {
			return Step{}, err
		}
		next = "Booked for " + b.When() + "."
	}
	orl.Status = strings.TrimPrefix(orl.Status+". "+next, ". ")
	return orl, nil
}

func (s *Service) certificateStep(ctx context.Context, u *account.User, now time.Time) (Step, error) {
	cert := Step{Title: "Receive your certificate", Status: "Your training organisation issues it once both examinations are passed.",
		Link: "/certificates", LinkText: "Your certificates"}
	cs, err := s.Certificates.List(ctx, u)
	if err != nil {
		return Step{}, err
	}
	for i := range cs {
		if cs[i].State(now) == certificate.StateActive {
			cert.Done = true
			cert.Status = fmt.Sprintf("Certificate %s, valid until %s", cs[i].Number, ce.Day(cs[i].ExpiresAt).Format("January 2, 2006"))
			break
		}
	}
	return cert, nil
}

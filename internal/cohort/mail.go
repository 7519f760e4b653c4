package cohort

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/notify"
)

// Mailer enqueues email in the caller's transaction; notify.Outbox is one.
type Mailer interface {
	Enqueue(ctx context.Context, db bun.IDB, e notify.Email) error
}

// mailEnrolled tells a candidate they are enrolled, when the course opens and where to start.
func (s *Service) mailEnrolled(ctx context.Context, db bun.IDB, c *Cohort, cand *account.User) error {
	if s.Outbox == nil {
		return nil
	}
	opens := "on its first session day"
	if first, ok := c.Session(1); ok {
		if d, err := time.Parse("2006-01-02", first.Date); err == nil {
			opens = "on " + d.Format("Monday, January 2, 2006")
		}
	}
	where := "Sign in to PeerAcademy and open Course"
	if s.BaseURL != "" {
		where = "Start at " + strings.TrimRight(s.BaseURL, "/") + "/learn"
	}
	body := fmt.Sprintf(`Hello %s,

You are enrolled in the Certified Peer Specialist training: %s.

Day 1 opens %s; each later day opens on its own session date. %s.

Your training organisation can answer any question about the course.
`, cand.Name, c.Name, opens, where)
	return s.Outbox.Enqueue(ctx, db, notify.Email{To: cand.Email, Subject: "You are enrolled: " + c.Name, Body: body})
}

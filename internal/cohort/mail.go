package cohort

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/urls"
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
	learn := ""
	if s.BaseURL != "" {
		learn = urls.Base(s.BaseURL).Learn()
	}
	e, err := notify.Compose(cand.Email, "cohort_enrolled", map[string]any{"Name": cand.Name, "Cohort": c.Name, "Opens": opens, "LearnURL": learn})
	if err != nil {
		return err
	}
	return s.Outbox.Enqueue(ctx, db, e)
}

package app

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/content"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/catalog"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/library"
	"github.com/peeracademy/peeracademy/internal/oral"
)

// course adapts the rendered curriculum to what the cohort rules need.
type course struct{ c *curriculum.Curriculum }

func (x course) Version() string { return x.c.Version }

func (x course) ModuleSlugs() []string {
	ms := x.c.Modules()
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Slug
	}
	return out
}

func (x course) DayOf(slug string) (int, bool) {
	m, ok := x.c.Module(slug)
	if !ok {
		return 0, false
	}
	return m.Day, true
}

// ContentFS is the curriculum the app serves (the embedded content, unless a test swaps it).
var ContentFS fs.FS = content.FS

// loadCurriculum renders the curriculum once; the server refuses to start on invalid content.
func loadCurriculum() (*curriculum.Curriculum, error) {
	c, problems := curriculum.Load(ContentFS)
	if len(problems) > 0 {
		var b strings.Builder
		for i, p := range problems {
			if i == 20 {
				fmt.Fprintf(&b, "\n  ... and %d more", len(problems)-20)
				break
			}
			b.WriteString("\n  " + p.String())
		}
		return nil, fmt.Errorf("the curriculum content is invalid (run `peeracademy content check`):%s", b.String())
	}
	return c, nil
}

func (a *App) syncMedia(ctx context.Context) error {
	n, err := library.SyncContent(ctx, a.DB, a.Media, ContentFS)
	if err != nil {
		return fmt.Errorf("synchronise curriculum media: %w", err)
	}
	if n > 0 {
		a.Log.Info("curriculum media synchronised", "uploaded", n)
	}
	return nil
}

// loadCatalogue loads the course catalogue; like the curriculum, invalid courses stop the server.
func loadCatalogue(cur *curriculum.Curriculum, bank *exam.Bank) (*catalog.Catalogue, error) {
	cat, problems := catalog.Load(ContentFS, cur, bank)
	if len(problems) > 0 {
		return nil, fmt.Errorf("the course catalogue is invalid (run `peeracademy content check`): %s (%d problems)", problems[0].String(), len(problems))
	}
	return cat, nil
}

func loadBank() (*exam.Bank, error) {
	b, problems := exam.LoadBank(ContentFS)
	if len(problems) > 0 {
		return nil, fmt.Errorf("the written-exam item bank is invalid (run `peeracademy content check`): %s", problems[0].String())
	}
	return b, nil
}

func loadRubric() (*oral.Rubric, error) {
	r, problems := oral.LoadRubric(ContentFS)
	if len(problems) > 0 {
		return nil, fmt.Errorf("the oral-exam rubric is invalid (run `peeracademy content check`): %s", problems[0].String())
	}
	return r, nil
}

// cohortCandidates lets the catalogue enrol a vendor's cohort.
type cohortCandidates struct{ c *cohort.Service }

func (x cohortCandidates) Candidates(ctx context.Context, vendorID, cohortID string) ([]string, error) {
	co, err := x.c.Get(ctx, cohortID)
	if err != nil {
		return nil, err
	}
	if co.VendorID != vendorID {
		return nil, apperr.New(apperr.NotFound, "cohort_not_found", "No such cohort.")
	}
	roster, err := x.c.Roster(ctx, co.ID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(roster))
	for i, u := range roster {
		ids[i] = u.ID
	}
	return ids, nil
}

// endorser adds a completed specialty course's endorsement to the certificate.
type endorser struct{ c *certificate.Service }

func (x endorser) Endorse(ctx context.Context, tx bun.IDB, a audit.Actor, g catalog.EndorsementGrant) error {
	_, err := x.c.Endorse(ctx, tx, a, certificate.EndorsementInput{CertificateID: g.CertificateID, HolderID: g.HolderID,
		EnrolmentID: g.EnrolmentID, CourseSlug: g.CourseSlug, Slug: g.Endorsement.Slug, Title: g.Endorsement.Title, Since: g.Since})
	return err
}

// endorsementTitles are the endorsements the catalogue grants, by slug.
func endorsementTitles(cat *catalog.Catalogue) map[string]string {
	out := map[string]string{}
	for _, c := range cat.Courses {
		if c.Endorsement != nil {
			out[c.Endorsement.Slug] = c.Endorsement.Title
		}
	}
	return out
}

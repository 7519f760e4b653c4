package certificate

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/database"
)

// Endorsement is a specialty added to a certificate by completing a specialty course. It is
// current while its certificate is (revoking the certificate shows it as not current, and sets its
// bit in the vendor's status list).
type Endorsement struct {
	bun.BaseModel `bun:"table:certificate_endorsements"`

	ID            string    `bun:"id,pk" json:"id"`
	CertificateID string    `bun:"certificate_id,notnull" json:"certificate_id"`
	HolderID      string    `bun:"holder_id,notnull" json:"-"`
	VendorID      string    `bun:"vendor_id,notnull" json:"vendor_id"`
	Slug          string    `bun:"slug,notnull" json:"slug"`
	Title         string    `bun:"title,notnull" json:"title"`
	CourseSlug    string    `bun:"course_slug,notnull" json:"course"`
	EnrolmentID   string    `bun:"enrolment_id,notnull" json:"-"`
	VerifyCode    string    `bun:"verify_code,notnull" json:"verify_code"`
	StatusIndex   int       `bun:"status_index,notnull" json:"-"`
	Since         time.Time `bun:"since,notnull" json:"since"`

	// Current is filled in by the reads: the certificate is active now.
	Current bool `bun:"-" json:"current"`
}

// EndorsementInput is a completed specialty course to add to a certificate.
type EndorsementInput struct {
	CertificateID, HolderID, EnrolmentID, CourseSlug, Slug, Title string
	Since                                                         time.Time
}

// Endorse adds an endorsement to the holder's active certificate, in the caller's transaction (the
// course completion's), with its own verification code and status-list position.
func (s *Service) Endorse(ctx context.Context, tx bun.IDB, a audit.Actor, in EndorsementInput) (*Endorsement, error) {
	c, err := s.load(ctx, tx, in.CertificateID, true)
	if err != nil {
		return nil, err
	}
	if c.CandidateID != in.HolderID || c.Status != StatusActive {
		return nil, apperr.New(apperr.Conflict, "certificate_not_active", "An endorsement is added only to the holder's active certificate.")
	}
	idx, err := nextStatusIndex(ctx, tx, c.VendorID, s.now())
	if err != nil {
		return nil, err
	}
	e := &Endorsement{ID: uuid.Must(uuid.NewV7()).String(), CertificateID: c.ID, HolderID: c.CandidateID, VendorID: c.VendorID,
		Slug: in.Slug, Title: in.Title, CourseSlug: in.CourseSlug, EnrolmentID: in.EnrolmentID, VerifyCode: newVerifyCode(),
		StatusIndex: idx, Since: in.Since.UTC(), Current: true}
	if _, err := tx.NewInsert().Model(e).Exec(ctx); err != nil {
		return nil, err
	}
	return e, audit.Record(ctx, tx, a, audit.Entry{Action: "certificate.endorse", SubjectType: "certificate", SubjectID: c.ID, VendorID: c.VendorID,
		Details: map[string]any{"endorsement": e.Slug, "course": e.CourseSlug}})
}

// Endorsements lists the endorsements of certificates, oldest first, each marked current or not.
func (s *Service) Endorsements(ctx context.Context, certIDs ...string) ([]Endorsement, error) {
	if len(certIDs) == 0 {
		return nil, nil
	}
	var es []Endorsement
	if err := s.DB.NewSelect().Model(&es).Where("certificate_id IN (?)", bun.In(certIDs)).Order("since").Scan(ctx); err != nil {
		return nil, err
	}
	var cs []Certificate
	if err := s.DB.NewSelect().Model(&cs).Where("id IN (?)", bun.In(certIDs)).Scan(ctx); err != nil {
		return nil, err
	}
	now := s.now()
	for i := range es {
		for _, c := range cs {
			if c.ID == es[i].CertificateID {
				es[i].Current = c.State(now) == StateActive || c.State(now) == StateLapsed
			}
		}
	}
	return es, nil
}

// revokedEndorsements are the status-list positions of the vendor's endorsements whose
// certificate is revoked.
func revokedEndorsements(ctx context.Context, db bun.IDB, vendorID string) ([]int, error) {
	var idx []int
	err := db.NewSelect().Model((*Endorsement)(nil)).Column("status_index").Where("vendor_id = ?", vendorID).
		Where("certificate_id IN (SELECT id FROM certificates WHERE status = ?)", StatusRevoked).Scan(ctx, &idx)
	if database.ErrIsNotFound(err) {
		err = nil
	}
	return idx, err
}

// endorsementByCode finds an endorsement by its verification code.
func (s *Service) endorsementByCode(ctx context.Context, code string) (*Endorsement, error) {
	e := new(Endorsement)
	if err := s.DB.NewSelect().Model(e).Where("verify_code = ?", code).Scan(ctx); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, errNotFound
		}
		return nil, err
	}
	return e, nil
}

// endorsementCredentialJSON is the endorsement's Open Badges 3.0 credential: the certificate's,
// attesting the specialty's achievement, with the endorsement's own id and status entry.
func (s *Service) endorsementCredentialJSON(c *Certificate, e *Endorsement, v *account.Vendor, pub ed25519.PublicKey) ([]byte, error) {
	var vc verifiableCredential
	payload, err := s.credentialJSON(c, v, pub)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(payload, &vc); err != nil {
		return nil, err
	}
	vc.ID = s.VerifyURL(e.VerifyCode)
	vc.Name = "Endorsement: " + e.Title + " (" + c.Number + ")"
	vc.ValidFrom = e.Since.UTC().Truncate(time.Second).Format(time.RFC3339)
	vc.CredentialSubject.Achievement = s.endorsementAchievement(e.Slug, e.Title)
	vc.CredentialStatus = s.statusEntry(v.Slug, e.StatusIndex)
	return json.Marshal(vc)
}

// EndorsementCredential signs the endorsement's credential (compact JWS) for its holder or its
// vendor's administrators.
func (s *Service) EndorsementCredential(ctx context.Context, viewer *account.User, id string) ([]byte, error) {
	e, c, err := s.endorsementFor(ctx, viewer, id)
	if err != nil {
		return nil, err
	}
	v, kid, key, err := s.vendorAndKey(ctx, c.VendorID)
	if err != nil {
		return nil, err
	}
	payload, err := s.endorsementCredentialJSON(c, e, v, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	jws, err := SignJWS(payload, kid, key)
	return []byte(jws), err
}

// endorsementAchievement describes a specialty endorsement (its id resolves at AchievementURL).
func (s *Service) endorsementAchievement(slug, title string) Achievement {
	var a Achievement
	a.ID = s.AchievementURL(slug)
	a.Type = []string{"Achievement"}
	a.AchievementType = "Certificate"
	a.Name = title
	a.Description = "Endorsement of a Pennsylvania Certified Peer Specialist certificate: " + title + "."
	a.Criteria.Narrative = "Holds a current Certified Peer Specialist certificate and completed the " + title +
		" specialty course (every module, and its final assessment passed)."
	a.Specialization = title
	return a
}

// EndorsementPDF draws the endorsement's own certificate (its title as the specialisation, its
// own verification link and QR code, dated from the endorsement) for its holder or its vendor's
// administrators.
func (s *Service) EndorsementPDF(ctx context.Context, viewer *account.User, id string) ([]byte, error) {
	e, c, err := s.endorsementFor(ctx, viewer, id)
	if err != nil {
		return nil, err
	}
	v, err := s.vendor(ctx, s.DB, c.VendorID)
	if err != nil {
		return nil, err
	}
	logo, err := s.logo(ctx, c.VendorID)
	if err != nil {
		return nil, err
	}
	return renderCertificate(certificateView{VendorName: v.Name, HolderName: c.HolderName, Credential: c.Credential, Track: e.Title,
		Number: c.Number, Issued: ce.Day(e.Since), Expires: ce.Day(c.ExpiresAt), VerifyURL: s.VerifyURL(e.VerifyCode), Logo: logo})
}

// endorsementFor loads an endorsement and its certificate for the holder or the vendor's admins.
func (s *Service) endorsementFor(ctx context.Context, viewer *account.User, id string) (*Endorsement, *Certificate, error) {
	e := new(Endorsement)
	if err := s.DB.NewSelect().Model(e).Where("id = ?", id).Scan(ctx); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, nil, errNotFound
		}
		return nil, nil, err
	}
	c, err := s.Get(ctx, viewer, e.CertificateID)
	return e, c, err
}

// VendorEndorsements are a vendor's endorsement figures for its reports: how many it has issued,
// and how many of those are not current because their certificate is revoked.
func VendorEndorsements(ctx context.Context, db bun.IDB, vendorID string) (issued, revoked int, err error) {
	n, err := db.NewSelect().Model((*Endorsement)(nil)).Where("vendor_id = ?", vendorID).Count(ctx)
	if err != nil {
		return 0, 0, err
	}
	issued = int(n)
	idx, err := revokedEndorsements(ctx, db, vendorID)
	return issued, len(idx), err
}

package ce

import (
	"context"
	"encoding/json"
	"time"

	"github.com/uptrace/bun"
)

// Activity is one CE activity a holder recorded against a certificate.
type Activity struct {
	bun.BaseModel `bun:"table:ce_activities"`

	ID            string     `bun:"id,pk" json:"id"`
	CertificateID string     `bun:"certificate_id,notnull" json:"certificate_id"`
	HolderID      string     `bun:"holder_id,notnull" json:"holder_id"`
	VendorID      string     `bun:"vendor_id,notnull" json:"vendor_id"`
	Title         string     `bun:"title,notnull" json:"title"`
	Provider      string     `bun:"provider,notnull" json:"provider"`
	Date          string     `bun:"date,notnull" json:"date"` // YYYY-MM-DD
	Hundredths    int        `bun:"hours_hundredths,notnull" json:"-"`
	Category      Category   `bun:"category,notnull" json:"category"`
	ProofKey      *string    `bun:"proof_key" json:"-"`
	ProofFilename string     `bun:"proof_filename,notnull" json:"-"` // as the holder named it; only shown
	Status        string     `bun:"status,notnull" json:"status"`
	ReviewedBy    *string    `bun:"reviewed_by" json:"-"`
	ReviewedAt    *time.Time `bun:"reviewed_at" json:"reviewed_at,omitempty"`
	ReviewReason  string     `bun:"review_reason,notnull" json:"review_reason,omitempty"`
	CreatedAt     time.Time  `bun:"created_at,notnull" json:"created_at"`
	// CourseSlug and EnrolmentID link an activity credited by a catalogue course's completion
	// (CreditCourse); such an activity is verified at once and neither holder nor vendor changes it.
	CourseSlug  string  `bun:"course_slug,notnull" json:"course_slug,omitempty"`
	EnrolmentID *string `bun:"enrolment_id" json:"enrolment_id,omitempty"`
}

// Credited reports whether a course completion recorded the activity.
func (a Activity) Credited() bool { return a.EnrolmentID != nil }

// Hours is the activity's length in hours.
func (a Activity) Hours() float64 { return float64(a.Hundredths) / 100 }

// HasProof reports whether a proof file was uploaded.
func (a Activity) HasProof() bool { return a.ProofKey != nil }

// Day is the activity's date, as midnight UTC.
func (a Activity) Day() (time.Time, bool) {
	d, err := time.Parse(DateLayout, a.Date)
	return d, err == nil
}

// MarshalJSON adds hours and has_proof.
func (a Activity) MarshalJSON() ([]byte, error) {
	type plain Activity
	return json.Marshal(struct {
		plain
		Hours    float64 `json:"hours"`
		HasProof bool    `json:"has_proof"`
	}{plain(a), a.Hours(), a.HasProof()})
}

// ActivityInput is what a holder submits. Hours is a decimal with at most two places ("1.5").
type ActivityInput struct {
	Title    string   `json:"title"`
	Provider string   `json:"provider"`
	Date     string   `json:"date"`
	Hours    string   `json:"hours"`
	Category Category `json:"category"`
	// ProofFilename is the proof's file name on the holder's device (HTML form uploads), kept for its
	// download.
	ProofFilename string `json:"-"`
}

// Cert is what CE needs of a certificate. Package certificate owns the table and reads it for CE
// through Certs (it imports this package, so this one asks through the interface).
type Cert struct {
	ID, Number, CandidateID, VendorID, HolderName, Status, CERule string
	IssuedAt, ValidFrom, ExpiresAt                                time.Time
	LapsedAt                                                      *time.Time
}

// Certs reads certificates for CE; *certificate.Service implements it.
type Certs interface {
	// CECerts returns the certificates among ids, by id (those that do not exist are absent), read
	// with db: the caller's transaction or pool.
	CECerts(ctx context.Context, db bun.IDB, ids []string) (map[string]Cert, error)
}

// TermOf builds a certificate's CE terms from its rule id, issue time, start of current validity and
// expiry (instants; their Pennsylvania dates are used). An unknown rule id falls back to Default.
func TermOf(ruleID string, issuedAt, validFrom, expiresAt time.Time) Term {
	r, ok := RuleByID(ruleID)
	if !ok {
		r = Default
	}
	return Term{Rule: r, Anchor: Day(issuedAt), From: Day(validFrom), Until: Day(expiresAt)}
}

func (c *Cert) term() Term { return TermOf(c.CERule, c.IssuedAt, c.ValidFrom, c.ExpiresAt) }

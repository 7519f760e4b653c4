// Package privacy puts a person's own data in their hands: "Download my data" (one archive of
// everything the platform holds about them, built in the background and offered for download once)
// and "Delete my account" for candidates (personal data and documents removed; an issued
// certificate's public record and the append-only audit trail kept).
//
// It is the one package that reads across the domain tables by person. The tables it reads and
// what it does with each are listed once, in personalTables below; every other package keeps its
// tables to itself.
package privacy

import (
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/notify"
)

// Export statuses.
const (
	StatusPending    = "pending"
	StatusBuilding   = "building"
	StatusReady      = "ready"
	StatusDownloaded = "downloaded"
	StatusFailed     = "failed"
	StatusExpired    = "expired"
)

// Export is one "Download my data" request.
type Export struct {
	bun.BaseModel `bun:"table:data_exports"`

	ID           string     `bun:"id,pk" json:"id"`
	UserID       string     `bun:"user_id,notnull" json:"-"`
	Status       string     `bun:"status,notnull" json:"status"`
	ObjectKey    string     `bun:"object_key,notnull" json:"-"`
	Size         int64      `bun:"size,notnull" json:"size"`
	LeaseUntil   *time.Time `bun:"lease_until" json:"-"`
	Error        string     `bun:"error,notnull" json:"-"`
	CreatedAt    time.Time  `bun:"created_at,notnull" json:"created_at"`
	ReadyAt      *time.Time `bun:"ready_at" json:"ready_at,omitempty"`
	DownloadedAt *time.Time `bun:"downloaded_at" json:"downloaded_at,omitempty"`
	ExpiresAt    *time.Time `bun:"expires_at" json:"expires_at,omitempty"`
}

// Service runs exports and deletions.
type Service struct {
	DB          *bun.DB
	Media       media.Store
	Accounts    *account.Service
	Eligibility *eligibility.Service
	Outbox      notify.Outbox
	BaseURL     string
	// Keep is how long a ready archive waits to be downloaded before it is deleted (default 7 days).
	Keep time.Duration
	Now  func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

func (s *Service) keep() time.Duration {
	if s.Keep > 0 {
		return s.Keep
	}
	return 7 * 24 * time.Hour
}

// personalTable names a table that holds rows about a person and the column that names them.
type personalTable struct {
	table, column string
	// omit lists columns left out of the export (secrets, or sealed columns exported opened).
	omit []string
	// erase says what deleting a candidate's account does with the rows: delete them, or keep them
	// (the certificate's public record).
	erase bool
}

// personalTables is the one list of where a person's rows live (applications are exported through
// the eligibility service, which opens their sealed fields and audits the view).
var personalTables = []personalTable{
	{table: "sessions", column: "user_id", omit: []string{"id"}, erase: true},
	{table: "user_tokens", column: "user_id", omit: []string{"id"}, erase: true},
	{table: "recovery_codes", column: "user_id", omit: []string{"code_hash"}, erase: true},
	{table: "enrollments", column: "candidate_id", erase: true},
	{table: "attendance", column: "candidate_id", erase: true},
	{table: "makeup_work", column: "candidate_id", erase: true},
	{table: "module_progress", column: "candidate_id", erase: true},
	{table: "exam_accommodations", column: "candidate_id", erase: true},
	{table: "exam_gate_overrides", column: "candidate_id", erase: true},
	{table: "exam_attempts", column: "candidate_id", erase: true},
	{table: "oral_grades", column: "candidate_id", erase: true},
	{table: "oral_bookings", column: "candidate_id", erase: true},
	{table: "ce_activities", column: "holder_id", erase: true},
	{table: "certificates", column: "candidate_id", omit: []string{"holder_last_name_norm"}, erase: false},
	{table: "data_exports", column: "user_id", omit: []string{"object_key", "lease_until", "error"}, erase: true},
}

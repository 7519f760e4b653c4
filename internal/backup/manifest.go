// Package backup makes one consistent archive of a PeerAcademy installation (database and media
// store) while it runs, verifies archives, and restores them into an empty database and store.
//
// The archive is a gzip-compressed tar file:
//
//	database.sqlite | database.pgdump   an online copy of the database (SQLite: VACUUM INTO;
//	                                    PostgreSQL: pg_dump -Fc inside an exported snapshot)
//	media/<key>                          every object of the media store
//	manifest.json                        written last: schema and curriculum versions, each table's
//	                                     row count and digest, each file's size and SHA-256, and a
//	                                     sealed canary per encryption key
//
// Sealed columns stay sealed: the archive never holds encryption keys. A restore checks the
// configured keys against the canaries before it touches the target, so wrong keys fail at once
// with a clear message instead of later, on the first sealed field.
package backup

import (
	"errors"
	"fmt"
	"time"
)

// FormatVersion is the archive format this binary writes and reads.
const FormatVersion = 1

// Names of the archive's entries.
const (
	ManifestName   = "manifest.json"
	SQLiteName     = "database.sqlite"
	PGDumpName     = "database.pgdump"
	MediaPrefix    = "media/"
	DialectSQLite  = "sqlite"
	DialectPG      = "postgresql"
	canaryAAD      = "peeracademy-backup-canary"
	canaryText     = "PeerAcademy backup key check"
	devKeyInDBMode = "development key stored in the database"
)

// Manifest describes an archive.
type Manifest struct {
	Format            int         `json:"format"`
	CreatedAt         time.Time   `json:"created_at"`
	AppVersion        string      `json:"app_version"`
	Dialect           string      `json:"dialect"`
	Migrations        []string    `json:"migrations"`     // applied, oldest first
	SchemaVersion     string      `json:"schema_version"` // the newest applied migration
	CurriculumVersion string      `json:"curriculum_version"`
	Database          File        `json:"database"`
	Tables            []Table     `json:"tables"`
	Objects           []Object    `json:"objects"`
	Keys              []KeyCanary `json:"keys"`
	KeyMode           string      `json:"key_mode"` // "configured" or the development-key note
}

// File is one archive entry with its checksum.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Table is one table's row count and an order-independent digest of its rows, taken in the same
// snapshot as the database copy, so a restore can prove it reproduced every row.
type Table struct {
	Name   string `json:"name"`
	Rows   int64  `json:"rows"`
	Digest string `json:"digest"`
}

// Object is one media object.
type Object struct {
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type,omitempty"`
}

// KeyCanary is a known text sealed with one encryption key.
type KeyCanary struct {
	ID     string `json:"id"`
	Sealed string `json:"sealed"`
}

// Rows is the number of rows in all tables.
func (m Manifest) Rows() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

// Summary is a one-line description for people.
func (m Manifest) Summary() string {
	return fmt.Sprintf("%s backup of %s: schema %s, %d tables, %d rows, %d media objects",
		m.Dialect, m.CreatedAt.Format(time.RFC3339), m.SchemaVersion, len(m.Tables), m.Rows(), len(m.Objects))
}

// Errors a caller can test for; each carries a message meant for the operator.
var (
	ErrCorrupt      = errors.New("the archive is damaged or not a PeerAcademy backup")
	ErrNotEmpty     = errors.New("the restore target is not empty")
	ErrNewerSchema  = errors.New("the backup's schema is newer than this program knows")
	ErrWrongKeys    = errors.New("the configured encryption keys do not match the backup")
	ErrWrongDialect = errors.New("the backup is of another database kind")
)

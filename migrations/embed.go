// Package migrations embeds PeerAcademy's SQL migrations. Files are named
// <UTC timestamp>_<name>.tx.up.sql / .tx.down.sql, run in a transaction, and are never edited once landed.
// They are rendered as text/template with database.TemplateData, which names the few types that differ
// between PostgreSQL and SQLite ({{.TS}} for timestamps, {{.Blob}} for bytes, {{if .Postgres}}).
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS

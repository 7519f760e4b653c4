package sealbox

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
)

// Columns names the sealed columns of one table, for ResealRows.
type Columns struct {
	Table     string
	Key       string   // the primary-key column: rows are read in its order and updated by it
	Sealed    []string // the sealed columns
	AADColumn string   // the column whose value each sealed value is bound to (often Key)
	// AAD returns the additional data a value of column was sealed with, given the row's AADColumn.
	AAD func(aadValue, column string) string
	// SealPlain: a value without a key id is plaintext stored before the column was sealed; seal it.
	// Otherwise such values (empty ones) are left alone.
	SealPlain bool
}

// ResealRows moves every value of the columns to the current key (see Keyring.Reseal), after a
// rotation, so the old key can be retired. Each row is changed with one compare-and-set UPDATE: a row
// written meanwhile was sealed with the current key anyway and is left as it is. It is safe while the
// platform serves and to run again. It returns how many rows it changed, and records one keys.reseal
// audit event when that is more than none.
func (k *Keyring) ResealRows(ctx context.Context, db bun.IDB, c Columns) (int, error) {
	cols := append([]string{c.Key}, c.Sealed...)
	if c.AADColumn != c.Key {
		cols = append(cols, c.AADColumn)
	}
	n, after := 0, ""
	for {
		var rows []map[string]any
		if err := db.NewSelect().Table(c.Table).Column(cols...).Where("? > ?", bun.Ident(c.Key), after).
			OrderExpr("? ASC", bun.Ident(c.Key)).Limit(200).Scan(ctx, &rows); err != nil && !database.ErrIsNotFound(err) {
			return n, err
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			key := text(r[c.Key])
			after = key
			q := db.NewUpdate().Table(c.Table).Where("? = ?", bun.Ident(c.Key), key)
			changed := false
			for _, col := range c.Sealed {
				old := text(r[col])
				var v string
				var did bool
				var err error
				if c.SealPlain && old != "" && KeyID(old) == "" {
					v, err = k.Seal([]byte(old), c.AAD(text(r[c.AADColumn]), col))
					did = true
				} else {
					v, did, err = k.Reseal(old, c.AAD(text(r[c.AADColumn]), col))
				}
				if err != nil {
					return n, fmt.Errorf("sealbox: reseal %s.%s of %s: %w", c.Table, col, key, err)
				}
				q = q.Set("? = ?", bun.Ident(col), v).Where("? = ?", bun.Ident(col), old)
				changed = changed || did
			}
			if !changed {
				continue
			}
			res, err := q.Exec(ctx)
			if err != nil {
				return n, err
			}
			if m, _ := res.RowsAffected(); m == 1 {
				n++
			}
		}
	}
	if n == 0 {
		return 0, nil
	}
	return n, audit.Record(ctx, db, audit.System, audit.Entry{Action: "keys.reseal", SubjectType: "key", SubjectID: k.Current(),
		Details: map[string]any{"table": c.Table, "rows": n}})
}

// text reads a scanned column value as a string, whichever type the driver chose.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	default:
		return fmt.Sprint(x)
	}
}

package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/sealbox"
)

// maxManifest bounds the manifest read into memory.
const maxManifest = 256 << 20

// Verify reads the whole archive at path, checks every entry against the manifest's sizes and
// checksums, and returns the manifest. Nothing is written anywhere.
func Verify(path string) (Manifest, error) {
	var m Manifest
	var haveManifest bool
	sums := map[string]File{}
	err := walk(path, func(name string, size int64, r io.Reader) error {
		if name == ManifestName {
			body, err := io.ReadAll(io.LimitReader(r, maxManifest))
			if err != nil {
				return err
			}
			if err := json.Unmarshal(body, &m); err != nil {
				return fmt.Errorf("%w: the manifest is not valid JSON", ErrCorrupt)
			}
			haveManifest = true
			return nil
		}
		h := sha256.New()
		n, err := io.Copy(h, r)
		if err != nil {
			return err
		}
		sums[name] = File{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
		return nil
	})
	if err != nil {
		return Manifest{}, err
	}
	if !haveManifest {
		return Manifest{}, fmt.Errorf("%w: it has no %s", ErrCorrupt, ManifestName)
	}
	if m.Format != FormatVersion {
		return Manifest{}, fmt.Errorf("%w: archive format %d, this program reads format %d", ErrCorrupt, m.Format, FormatVersion)
	}
	want := []File{m.Database}
	for _, o := range m.Objects {
		want = append(want, File{Name: MediaPrefix + o.Key, Size: o.Size, SHA256: o.SHA256})
	}
	for _, f := range want {
		got, ok := sums[f.Name]
		if !ok {
			return Manifest{}, fmt.Errorf("%w: %s is missing", ErrCorrupt, f.Name)
		}
		if got != f {
			return Manifest{}, fmt.Errorf("%w: %s does not match its checksum", ErrCorrupt, f.Name)
		}
		delete(sums, f.Name)
	}
	for name := range sums {
		return Manifest{}, fmt.Errorf("%w: %s is not in the manifest", ErrCorrupt, name)
	}
	return m, nil
}

// walk calls fn for each regular entry of the gzip-compressed tar archive at path.
func walk(path string, fn func(name string, size int64, r io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if h.Typeflag != tar.TypeReg {
			return fmt.Errorf("%w: unexpected entry %q", ErrCorrupt, h.Name)
		}
		if err := fn(h.Name, h.Size, tr); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) {
				return fmt.Errorf("%w: %v", ErrCorrupt, err)
			}
			return err
		}
	}
}

// Target is where a restore goes: an empty database and an empty media store.
type Target struct {
	DSN        string
	Store      media.Store
	Keys       map[string][]byte // the configured encryption keys; empty for the development key
	Migrations fs.FS             // this binary's migrations
}

// Result says what a restore did.
type Result struct {
	Manifest Manifest
	Applied  []string // migrations applied after the restore (the archive's schema was older)
}

// Restore checks the archive and the target, then restores the database and every media object,
// proves that each table's rows match the manifest's digests, brings the schema up to date and
// records the restore in the audit log. It refuses a damaged archive, a non-empty target, a newer
// schema and keys that cannot open the archive's canaries before writing anything.
func Restore(ctx context.Context, path string, tgt Target) (Result, error) {
	m, err := Verify(path)
	if err != nil {
		return Result{}, err
	}
	if err := checkCompatible(m, tgt); err != nil {
		return Result{}, err
	}
	if err := checkStoreEmpty(ctx, tgt.Store); err != nil {
		return Result{}, err
	}
	db, err := restoreDatabase(ctx, path, m, tgt.DSN)
	if err != nil {
		return Result{}, err
	}
	defer db.Close()
	if err := restoreObjects(ctx, path, m, tgt.Store); err != nil {
		return Result{}, err
	}
	mig, err := database.NewMigrator(db, tgt.Migrations)
	if err != nil {
		return Result{}, err
	}
	applied, err := mig.Up(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("restore: bring the schema up to date: %w", err)
	}
	err = audit.Record(ctx, db, audit.System, audit.Entry{Action: "backup.restore", SubjectType: "backup",
		Details: map[string]any{"created_at": m.CreatedAt, "schema": m.SchemaVersion, "rows": m.Rows(), "objects": len(m.Objects)}})
	return Result{Manifest: m, Applied: applied}, err
}

func checkCompatible(m Manifest, tgt Target) error {
	dialect := DialectSQLite
	if database.IsPostgresURL(tgt.DSN) {
		dialect = DialectPG
	}
	if m.Dialect != dialect {
		return fmt.Errorf("%w: the archive holds a %s database and the target is %s", ErrWrongDialect, m.Dialect, dialect)
	}
	known, err := KnownMigrations(tgt.Migrations)
	if err != nil {
		return err
	}
	for _, name := range m.Migrations {
		if !slices.Contains(known, name) {
			return fmt.Errorf("%w: it has migration %s; restore it with the PeerAcademy version that made it, or a newer one", ErrNewerSchema, name)
		}
	}
	return checkKeys(m, tgt.Keys)
}

// checkKeys makes sure every key the backup was sealed with is configured and is the same key.
func checkKeys(m Manifest, keys map[string][]byte) error {
	if m.KeyMode == devKeyInDBMode {
		if len(keys) > 0 {
			return fmt.Errorf("%w: the backup was made with the %s, so restore it without PEERACADEMY_ENCRYPTION_KEYS and configure keys afterwards with `peeracademy keys reseal`", ErrWrongKeys, devKeyInDBMode)
		}
		return nil
	}
	for _, c := range m.Keys {
		key, ok := keys[c.ID]
		if !ok {
			return fmt.Errorf("%w: key %q, in use when the backup was made, is not configured; set PEERACADEMY_ENCRYPTION_KEYS to the keys of that time (back them up apart from the archive)", ErrWrongKeys, c.ID)
		}
		kr, err := sealbox.NewKeyring(c.ID, map[string][]byte{c.ID: key})
		if err != nil {
			return err
		}
		if pt, err := kr.Open(c.Sealed, canaryAAD); err != nil || string(pt) != canaryText {
			return fmt.Errorf("%w: key %q is configured but is not the key the backup was sealed with", ErrWrongKeys, c.ID)
		}
	}
	return nil
}

func checkStoreEmpty(ctx context.Context, store media.Store) error {
	objs, err := store.List(ctx, "")
	if err != nil {
		return fmt.Errorf("restore: list the media store: %w", err)
	}
	if len(objs) > 0 {
		return fmt.Errorf("%w: the media store already holds %d objects (for example %s); restore into an empty directory or bucket", ErrNotEmpty, len(objs), objs[0].Key)
	}
	return nil
}

// restoreDatabase places the database copy (SQLite) or replays the dump (PostgreSQL), then opens it
// and compares every table with the manifest.
func restoreDatabase(ctx context.Context, path string, m Manifest, dsn string) (*bun.DB, error) {
	dir, err := os.MkdirTemp("", "peeracademy-restore-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	dump := filepath.Join(dir, m.Database.Name)
	if err := extract(path, m.Database.Name, dump); err != nil {
		return nil, err
	}
	if m.Dialect == DialectPG {
		err = restorePG(ctx, dsn, dump)
	} else {
		err = placeSQLite(ctx, database.SQLitePath(dsn), dump)
	}
	if err != nil {
		return nil, err
	}
	db, err := database.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := compareTables(ctx, db, m); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func extract(path, name, dst string) error {
	found := false
	err := walk(path, func(n string, _ int64, r io.Reader) error {
		if n != name {
			return nil
		}
		found = true
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, r); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	if err == nil && !found {
		err = fmt.Errorf("%w: %s is missing", ErrCorrupt, name)
	}
	return err
}

// placeSQLite moves the copy into place, refusing a target file that already holds tables.
func placeSQLite(ctx context.Context, target, copyPath string) error {
	if st, err := os.Stat(target); err == nil && st.Size() > 0 {
		db, err := openSQLiteFile(target, true)
		if err != nil {
			return err
		}
		names, err := tableNames(ctx, db, DialectSQLite)
		db.Close()
		if err != nil || len(names) > 0 {
			return fmt.Errorf("%w: %s already holds a database; restore into a new file", ErrNotEmpty, target)
		}
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(target + suffix); err == nil {
			return fmt.Errorf("%w: %s%s exists; is a server still using that file?", ErrNotEmpty, target, suffix)
		}
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return err
	}
	tmp := target + ".restore"
	if err := copyFile(copyPath, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, target)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// restorePG refuses a database that has tables, then replays the dump in one transaction.
func restorePG(ctx context.Context, dsn, dump string) error {
	db, err := database.Open(ctx, dsn)
	if err != nil {
		return err
	}
	names, err := tableNames(ctx, db, DialectPG)
	db.Close()
	if err != nil {
		return err
	}
	if len(names) > 0 {
		return fmt.Errorf("%w: the database already has %d tables (for example %s); create an empty database and restore into it", ErrNotEmpty, len(names), names[0])
	}
	pgRestore, err := exec.LookPath("pg_restore")
	if err != nil {
		return fmt.Errorf("restore: pg_restore is not on the PATH (install the PostgreSQL client tools): %w", err)
	}
	cmd := exec.CommandContext(ctx, pgRestore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--dbname="+dsn, dump)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("restore: pg_restore failed: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// compareTables proves the restored database holds exactly the rows the manifest describes.
func compareTables(ctx context.Context, db *bun.DB, m Manifest) error {
	got, _, err := describe(ctx, db, m.Dialect)
	if err != nil {
		return err
	}
	if !slices.Equal(got, m.Tables) {
		for i, t := range m.Tables {
			if i >= len(got) || got[i] != t {
				return fmt.Errorf("%w: table %s differs after the restore", ErrCorrupt, t.Name)
			}
		}
		return fmt.Errorf("%w: the restored database has tables the backup does not list", ErrCorrupt)
	}
	return nil
}

func restoreObjects(ctx context.Context, path string, m Manifest, store media.Store) error {
	want := map[string]Object{}
	for _, o := range m.Objects {
		want[MediaPrefix+o.Key] = o
	}
	return walk(path, func(name string, _ int64, r io.Reader) error {
		o, ok := want[name]
		if !ok {
			return nil
		}
		h := sha256.New()
		if _, err := store.Put(ctx, o.Key, io.TeeReader(r, h), media.PutOptions{}); err != nil {
			return fmt.Errorf("restore: media object %s: %w", o.Key, err)
		}
		if hex.EncodeToString(h.Sum(nil)) != o.SHA256 {
			return fmt.Errorf("%w: media object %s does not match its checksum", ErrCorrupt, o.Key)
		}
		return nil
	})
}

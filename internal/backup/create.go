package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/sealbox"
)

// Source is the installation to back up.
type Source struct {
	DB    *bun.DB
	DSN   string // the database URL, for pg_dump
	Store media.Store
	// Keys are the configured encryption keys (id -> key); empty when the development key kept in
	// the database is in use. Only canaries sealed with them go into the archive, never the keys.
	Keys              map[string][]byte
	CurriculumVersion string
	AppVersion        string
	Now               func() time.Time
}

// Create writes an archive of src to w and returns its manifest. The database is copied first and
// the media store listed afterwards, so every object a copied row refers to is in the archive
// (objects are written before the rows that name them and deleted after).
func Create(ctx context.Context, src Source, w io.Writer) (Manifest, error) {
	now := time.Now
	if src.Now != nil {
		now = src.Now
	}
	m := Manifest{Format: FormatVersion, CreatedAt: now().UTC(), AppVersion: src.AppVersion,
		CurriculumVersion: src.CurriculumVersion, Dialect: DialectSQLite, KeyMode: "configured"}
	var err error
	if m.Keys, err = canaries(src.Keys); err != nil {
		return Manifest{}, err
	}
	if len(src.Keys) == 0 {
		m.KeyMode = devKeyInDBMode
	}
	dir, err := os.MkdirTemp("", "peeracademy-backup-*")
	if err != nil {
		return Manifest{}, err
	}
	defer os.RemoveAll(dir)
	snap, err := takeSnapshot(ctx, src.DB, src.DSN, dir)
	if err != nil {
		return Manifest{}, err
	}
	if snap.name == PGDumpName {
		m.Dialect = DialectPG
	}
	m.Tables, m.Migrations = snap.tables, snap.migrations
	if len(m.Migrations) > 0 {
		m.SchemaVersion = m.Migrations[len(m.Migrations)-1]
	}

	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	if m.Database, err = addFile(tw, snap.name, snap.path, m.CreatedAt); err != nil {
		return Manifest{}, err
	}
	if m.Objects, err = addObjects(ctx, tw, src.Store, m.CreatedAt); err != nil {
		return Manifest{}, err
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, err
	}
	if err := writeEntry(tw, ManifestName, int64(len(body)), m.CreatedAt, bytes.NewReader(body)); err != nil {
		return Manifest{}, err
	}
	if err := tw.Close(); err != nil {
		return Manifest{}, err
	}
	return m, gz.Close()
}

func canaries(keys map[string][]byte) ([]KeyCanary, error) {
	ids := make([]string, 0, len(keys))
	for id := range keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]KeyCanary, 0, len(ids))
	for _, id := range ids {
		kr, err := sealbox.NewKeyring(id, map[string][]byte{id: keys[id]})
		if err != nil {
			return nil, err
		}
		sealed, err := kr.Seal([]byte(canaryText), canaryAAD)
		if err != nil {
			return nil, err
		}
		out = append(out, KeyCanary{ID: id, Sealed: sealed})
	}
	return out, nil
}

func addFile(tw *tar.Writer, name, path string, at time.Time) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	if err := writeEntry(tw, name, st.Size(), at, io.TeeReader(f, h)); err != nil {
		return File{}, err
	}
	return File{Name: name, Size: st.Size(), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func addObjects(ctx context.Context, tw *tar.Writer, store media.Store, at time.Time) ([]Object, error) {
	list, err := store.List(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("backup: list the media store: %w", err)
	}
	out := make([]Object, 0, len(list))
	for _, o := range list {
		obj, err := addObject(ctx, tw, store, o.Key, at)
		if err == nil {
			out = append(out, obj)
			continue
		}
		if errors.Is(err, media.ErrNotFound) { // deleted since the listing (a purge); the copied rows predate it
			continue
		}
		return nil, err
	}
	return out, nil
}

func addObject(ctx context.Context, tw *tar.Writer, store media.Store, key string, at time.Time) (Object, error) {
	r, info, err := store.Get(ctx, key, 0, -1)
	if err != nil {
		return Object{}, err
	}
	defer r.Close()
	h := sha256.New()
	if err := writeEntry(tw, MediaPrefix+key, info.Size, at, io.TeeReader(r, h)); err != nil {
		return Object{}, fmt.Errorf("backup: copy media object %s: %w", key, err)
	}
	return Object{Key: key, Size: info.Size, SHA256: hex.EncodeToString(h.Sum(nil)), ContentType: info.ContentType}, nil
}

func writeEntry(tw *tar.Writer, name string, size int64, at time.Time, r io.Reader) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Size: size, Mode: 0o600, ModTime: at, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return err
	}
	n, err := io.Copy(tw, r)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("backup: %s changed size while being copied (%d of %d bytes)", name, n, size)
	}
	return nil
}

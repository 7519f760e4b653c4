// Package library keeps the media the course uses: the curriculum's own files (synchronised from
// content/media into the media store at start-up, by checksum) and handouts that vendor admins upload.
// Nothing here is public: files are served only through handlers that check enrolment or staff role.
package library

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/media"
)

// File is a stored media file.
type File struct {
	bun.BaseModel `bun:"table:media_files"`

	Key         string    `bun:"key,pk" json:"-"`
	VendorID    *string   `bun:"vendor_id" json:"vendor_id,omitempty"`
	Name        string    `bun:"name,notnull" json:"name"`
	Checksum    string    `bun:"checksum,notnull" json:"checksum"`
	ContentType string    `bun:"content_type,notnull" json:"content_type"`
	Size        int64     `bun:"size,notnull" json:"size"`
	Source      string    `bun:"source,notnull" json:"source"`
	UploadedBy  *string   `bun:"uploaded_by" json:"-"`
	CreatedAt   time.Time `bun:"created_at,notnull" json:"created_at"`
}

// ID is the file's identifier within its vendor (the last part of its key).
func (f File) ID() string { return path.Base(f.Key) }

// Vendor returns the owning vendor id, or "".
func (f File) Vendor() string {
	if f.VendorID == nil {
		return ""
	}
	return *f.VendorID
}

// SizeLabel formats the size for people.
func (f File) SizeLabel() string {
	switch {
	case f.Size >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(f.Size)/(1<<20))
	case f.Size >= 1<<10:
		return fmt.Sprintf("%d KB", f.Size>>10)
	}
	return fmt.Sprintf("%d bytes", f.Size)
}

// ContentKey is where a curriculum media file lives in the store.
func ContentKey(p string) string { return "content/" + p }

// SyncContent copies every file under media/ in fsys into the store when its checksum changed, and
// records it. It returns how many files were uploaded. Several instances may run it at once: the
// worst case is the same bytes uploaded twice.
func SyncContent(ctx context.Context, db bun.IDB, store media.Store, fsys fs.FS) (int, error) {
	uploaded := 0
	err := fs.WalkDir(fsys, "media", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, "media/")
		key := ContentKey(rel)
		sum := sha256.Sum256(data)
		checksum := hex.EncodeToString(sum[:])
		var have string
		err = db.NewSelect().Model((*File)(nil)).Column("checksum").Where("key = ?", key).Scan(ctx, &have)
		if err != nil && !database.ErrIsNotFound(err) {
			return err
		}
		if have == checksum {
			if _, err := store.Stat(ctx, key); err == nil {
				return nil
			}
		}
		obj, err := store.Put(ctx, key, bytes.NewReader(data), media.PutOptions{})
		if err != nil {
			return fmt.Errorf("media %s: %w", rel, err)
		}
		f := &File{Key: key, Name: path.Base(rel), Checksum: checksum, ContentType: obj.ContentType, Size: obj.Size, Source: "content", CreatedAt: database.Now()}
		if _, err := db.NewInsert().Model(f).On("CONFLICT (key) DO UPDATE").Set("checksum = EXCLUDED.checksum").
			Set("content_type = EXCLUDED.content_type").Set("size = EXCLUDED.size").Exec(ctx); err != nil {
			return err
		}
		uploaded++
		return nil
	})
	return uploaded, err
}

// HandoutTypes are the kinds of file vendor admins may upload.
var HandoutTypes = []string{"application/pdf", "image/png", "image/jpeg", "audio/mpeg", "video/mp4", "video/webm"}

// Upload stores a handout for the actor's vendor.
func Upload(ctx context.Context, db bun.IDB, store media.Store, a audit.Actor, actor *account.User, name string, r io.Reader, maxSize int64) (*File, error) {
	if actor.Role != account.RoleVendorAdmin {
		return nil, apperr.New(apperr.Forbidden, "forbidden", "Only vendor administrators upload handouts.")
	}
	name = strings.TrimSpace(path.Base(strings.ReplaceAll(name, "\\", "/")))
	if name == "" || name == "." || len(name) > 200 {
		return nil, apperr.Field("file", "Choose a file with a name of at most 200 characters.")
	}
	vendor := actor.Vendor()
	key := "vendors/" + vendor + "/files/" + uuid.Must(uuid.NewV7()).String()
	h := sha256.New()
	obj, err := store.Put(ctx, key, io.TeeReader(r, h), media.PutOptions{MaxSize: maxSize, AllowedTypes: HandoutTypes})
	if err != nil {
		switch {
		case errors.Is(err, media.ErrTooLarge):
			return nil, apperr.New(apperr.TooLarge, "too_large", fmt.Sprintf("The file is larger than %d MB.", maxSize>>20))
		case errors.Is(err, media.ErrTypeNotAllowed):
			return nil, &apperr.Error{Kind: apperr.Unsupported, Code: "unsupported_type", Message: "That kind of file is not accepted. Upload a PDF, PNG, JPEG, MP3, MP4 or WebM file.", Fields: map[string]string{"file": "Upload a PDF, PNG, JPEG, MP3, MP4 or WebM file."}}
		case errors.Is(err, media.ErrEmpty):
			return nil, apperr.Field("file", "The file is empty.")
		}
		return nil, err
	}
	f := &File{Key: key, VendorID: &vendor, Name: name, Checksum: hex.EncodeToString(h.Sum(nil)), ContentType: obj.ContentType, Size: obj.Size, Source: "upload", UploadedBy: &actor.ID, CreatedAt: database.Now()}
	err = database.InTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(f).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "media.upload", SubjectType: "media", SubjectID: f.ID(), VendorID: vendor, Details: map[string]any{"type": f.ContentType, "size": f.Size}})
	})
	if err != nil {
		_ = store.Delete(context.WithoutCancel(ctx), key)
		return nil, err
	}
	return f, nil
}

// List returns a vendor's handouts, newest first.
func List(ctx context.Context, db bun.IDB, vendorID string) ([]File, error) {
	var fs []File
	err := db.NewSelect().Model(&fs).Where("vendor_id = ?", vendorID).Where("source = 'upload'").OrderExpr("created_at DESC").Scan(ctx)
	return fs, err
}

// Get returns one of a vendor's handouts.
func Get(ctx context.Context, db bun.IDB, vendorID, id string) (*File, error) {
	f := new(File)
	err := db.NewSelect().Model(f).Where("key = ?", "vendors/"+vendorID+"/files/"+id).Scan(ctx)
	if err != nil {
		if database.ErrIsNotFound(err) {
			return nil, apperr.New(apperr.NotFound, "not_found", "We could not find that file.")
		}
		return nil, err
	}
	return f, nil
}

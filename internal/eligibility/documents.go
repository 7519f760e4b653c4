package eligibility

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/media"
)

var errTooMany = apperr.Field("file", fmt.Sprintf("You can attach at most %d documents. Delete one you no longer need first.", MaxDocuments))

// MediaKey is where a document's file is stored.
func MediaKey(appID, docID string) string { return "applications/" + appID + "/" + docID }

// cleanFilename keeps the last path element of a client's file name, without control characters,
// at most 200 characters; it is only ever shown, never used as a path.
func cleanFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if r := []rune(name); len(r) > 200 {
		name = string(r[len(r)-200:])
	}
	if name == "" || name == "." || name == ".." {
		name = "document"
	}
	return name
}

// mediaErr turns the media store's refusals into safe errors about the "file" field.
func mediaErr(err error) error {
	switch {
	case errors.Is(err, media.ErrTooLarge):
		return &apperr.Error{Kind: apperr.TooLarge, Code: "too_large", Message: "The file is larger than 10 MB. Upload a smaller scan or photo.",
			Fields: map[string]string{"file": "The file is larger than 10 MB."}, Err: err}
	case errors.Is(err, media.ErrTypeNotAllowed):
		return &apperr.Error{Kind: apperr.Unsupported, Code: "unsupported_type", Message: "Upload a PDF, JPEG or PNG file.",
			Fields: map[string]string{"file": "Upload a PDF, JPEG or PNG file."}, Err: err}
	case errors.Is(err, media.ErrEmpty):
		return &apperr.Error{Kind: apperr.Invalid, Code: "empty_file", Message: "The file is empty. Choose the file again.",
			Fields: map[string]string{"file": "The file is empty."}, Err: err}
	}
	return err
}

// UploadDocument stores a supporting document (PDF, JPEG or PNG by its content, at most 10 MB) for
// the candidate's application while it is a draft or needs more information. Refusals: TooLarge (413),
// Unsupported (415, whatever the file name says), Invalid for an empty file or an unknown kind.
func (s *Service) UploadDocument(ctx context.Context, a audit.Actor, candidate *account.User, appID, kind, filename string, r io.Reader) (*Document, error) {
	if !contains(Kinds, kind) {
		return nil, apperr.Field("kind", "Choose what the document shows.")
	}
	app, err := s.get(ctx, s.DB, appID, false)
	if err != nil {
		return nil, err
	}
	if !isOwner(candidate, app) {
		return nil, errNotFound
	}
	if !Editable(app.Status) {
		return nil, errNotEditable
	}
	n, err := s.DB.NewSelect().Model((*Document)(nil)).Where("application_id = ?", app.ID).Where("deleted_at IS NULL").Count(ctx)
	if err != nil {
		return nil, err
	}
	if n >= MaxDocuments {
		return nil, errTooMany
	}
	d := &Document{ID: newID(), ApplicationID: app.ID, Kind: kind, Filename: cleanFilename(filename), UploadedAt: s.now()}
	d.MediaKey = MediaKey(app.ID, d.ID)
	obj, err := s.Media.Put(ctx, d.MediaKey, r, media.PutOptions{MaxSize: MaxDocumentSize, AllowedTypes: AllowedTypes})
	if err != nil {
		return nil, mediaErr(err)
	}
	d.ContentType, d.Size = obj.ContentType, obj.Size
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		app, err := s.get(ctx, tx, appID, true)
		if err != nil {
			return err
		}
		if !Editable(app.Status) { // withdrawn or deleted while the file was uploading
			return errNotEditable
		}
		n, err := tx.NewSelect().Model((*Document)(nil)).Where("application_id = ?", app.ID).Where("deleted_at IS NULL").Count(ctx)
		if err != nil {
			return err
		}
		if n >= MaxDocuments {
			return errTooMany
		}
		if _, err := tx.NewInsert().Model(d).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "document.upload", SubjectType: "application_document", SubjectID: d.ID, VendorID: scope(app),
			Details: map[string]any{"application": app.ID, "kind": d.Kind, "content_type": d.ContentType, "size": d.Size}})
	})
	if err != nil {
		_ = s.Media.Delete(context.WithoutCancel(ctx), d.MediaKey)
		return nil, err
	}
	return d, nil
}

// document reads a document of an application that is not deleted.
func (s *Service) document(ctx context.Context, db bun.IDB, appID, docID string) (*Document, error) {
	d := new(Document)
	err := db.NewSelect().Model(d).Where("id = ?", docID).Where("application_id = ?", appID).Where("deleted_at IS NULL").Scan(ctx)
	if err != nil {
		if database.ErrIsNotFound(err) {
			return nil, errDocNotFound
		}
		return nil, err
	}
	return d, nil
}

// OpenDocument checks that viewer may see the document (exactly as Load: the candidate, or an
// administrator of the vendor once the application was submitted; anyone else gets NotFound) and
// returns its stored object: read it with Media.Get(ctx, obj.Key, offset, length). A vendor
// administrator's view is audited.
func (s *Service) OpenDocument(ctx context.Context, a audit.Actor, viewer *account.User, appID, docID string) (media.Object, error) {
	obj, _, err := s.OpenDocumentFile(ctx, a, viewer, appID, docID)
	return obj, err
}

// OpenDocumentFile is OpenDocument that also returns the file name the candidate uploaded (already
// cleaned at upload), for a download that keeps it.
func (s *Service) OpenDocumentFile(ctx context.Context, a audit.Actor, viewer *account.User, appID, docID string) (media.Object, string, error) {
	obj, d, err := s.openDocument(ctx, a, viewer, appID, docID)
	if err != nil {
		return media.Object{}, "", err
	}
	return obj, d.Filename, nil
}

func (s *Service) openDocument(ctx context.Context, a audit.Actor, viewer *account.User, appID, docID string) (media.Object, *Document, error) {
	app, err := s.get(ctx, s.DB, appID, false)
	if err != nil {
		return media.Object{}, nil, err
	}
	owner, reviewer := isOwner(viewer, app), isReviewer(viewer, app)
	if !owner && !reviewer {
		return media.Object{}, nil, errDocNotFound
	}
	d, err := s.document(ctx, s.DB, app.ID, docID)
	if err != nil {
		return media.Object{}, nil, err
	}
	obj, err := s.Media.Stat(ctx, d.MediaKey)
	if err != nil {
		if errors.Is(err, media.ErrNotFound) {
			return media.Object{}, nil, errDocNotFound
		}
		return media.Object{}, nil, err
	}
	if reviewer {
		if err := audit.Record(ctx, s.DB, a, audit.Entry{Action: "document.view", SubjectType: "application_document", SubjectID: d.ID, VendorID: app.VendorID,
			Details: map[string]any{"application": app.ID, "kind": d.Kind}}); err != nil {
			return media.Object{}, nil, err
		}
	}
	return obj, d, nil
}

// DeleteDocument removes one of the candidate's documents while the application is a draft or needs
// more information.
func (s *Service) DeleteDocument(ctx context.Context, a audit.Actor, candidate *account.User, appID, docID string) error {
	var d *Document
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		app, err := s.get(ctx, tx, appID, true)
		if err != nil {
			return err
		}
		if !isOwner(candidate, app) {
			return errDocNotFound
		}
		if !Editable(app.Status) {
			return errNotEditable
		}
		if d, err = s.document(ctx, tx, app.ID, docID); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*Document)(nil)).Where("id = ?", d.ID).Set("deleted_at = ?", s.now()).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "document.delete", SubjectType: "application_document", SubjectID: d.ID, VendorID: scope(app),
			Details: map[string]any{"application": app.ID, "kind": d.Kind}})
	})
	if err != nil {
		return err
	}
	return s.purgeObject(ctx, d)
}

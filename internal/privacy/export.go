package privacy

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
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
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/page"
	"github.com/peeracademy/peeracademy/internal/urls"
)

var errNoExport = apperr.New(apperr.NotFound, "not_found", "That download does not exist or is not yours.")

// RequestExport asks for a new archive of everything held about u. One request at a time: while an
// earlier one is still being built, that one is returned.
func (s *Service) RequestExport(ctx context.Context, a audit.Actor, u *account.User) (*Export, error) {
	var e *Export
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		var open []Export
		if err := tx.NewSelect().Model(&open).Where("user_id = ? AND status IN (?)", u.ID, bun.In([]string{StatusPending, StatusBuilding})).Scan(ctx); err != nil {
			return err
		}
		if len(open) > 0 {
			e = &open[0]
			return nil
		}
		e = &Export{ID: uuid.Must(uuid.NewV7()).String(), UserID: u.ID, Status: StatusPending, CreatedAt: s.now()}
		if _, err := tx.NewInsert().Model(e).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "data_export.request", SubjectType: "user", SubjectID: u.ID})
	})
	return e, err
}

// Exports lists u's requests, newest first.
func (s *Service) Exports(ctx context.Context, u *account.User) ([]Export, error) {
	p, err := s.ExportsPage(ctx, u, page.Request{Limit: 20})
	return p.Items, err
}

// exportsOrder is the order of a user's archive requests: newest first.
var exportsOrder = page.Order{List: "exports", Keys: []page.Key{{Col: "created_at", Time: true}, {Col: "id"}}, Desc: true}

// ExportsPage is one page of the user's archive requests.
func (s *Service) ExportsPage(ctx context.Context, u *account.User, r page.Request) (page.Page[Export], error) {
	var out []Export
	return page.Fetch(ctx, s.DB.NewSelect().Model(&out).Where("user_id = ?", u.ID), &out, r, exportsOrder, func(e Export) []any { return []any{e.CreatedAt, e.ID} })
}

// BuildPending builds the archives that were asked for (each leased by one instance at a time) and
// deletes ready archives nobody downloaded in time. It returns how many it built.
func (s *Service) BuildPending(ctx context.Context) (int, error) {
	if err := s.expire(ctx); err != nil {
		return 0, err
	}
	built := 0
	for {
		e, err := s.lease(ctx)
		if err != nil || e == nil {
			return built, err
		}
		if err := s.build(ctx, e); err != nil {
			if ctx.Err() != nil {
				return built, ctx.Err()
			}
			_, _ = s.DB.NewUpdate().Model((*Export)(nil)).Set("status = ?, error = ?", StatusFailed, truncate(err.Error(), 500)).Where("id = ?", e.ID).Exec(ctx)
			continue
		}
		built++
	}
}

// lease claims one pending request (or one whose builder died) for ten minutes.
func (s *Service) lease(ctx context.Context) (*Export, error) {
	now := s.now()
	var cand []Export
	err := s.DB.NewSelect().Model(&cand).
		Where("status = ? OR (status = ? AND lease_until < ?)", StatusPending, StatusBuilding, now).OrderExpr("created_at").Limit(1).Scan(ctx)
	if err != nil || len(cand) == 0 {
		return nil, err
	}
	e := cand[0]
	until := now.Add(10 * time.Minute)
	res, err := s.DB.NewUpdate().Model((*Export)(nil)).Set("status = ?, lease_until = ?", StatusBuilding, until).
		Where("id = ? AND status = ? AND (lease_until IS NULL OR lease_until = ?)", e.ID, e.Status, e.LeaseUntil).Exec(ctx)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.lease(ctx) // another instance took it
	}
	e.Status, e.LeaseUntil = StatusBuilding, &until
	return &e, nil
}

func (s *Service) build(ctx context.Context, e *Export) error {
	u, err := s.Accounts.UserByID(ctx, e.UserID)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp("", "peeracademy-export-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := s.writeArchive(ctx, u, tmp); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	key := "exports/" + u.ID + "/" + e.ID + ".zip"
	obj, err := s.Media.Put(ctx, key, tmp, media.PutOptions{})
	if err != nil {
		return err
	}
	now := s.now()
	expires := now.Add(s.keep())
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model((*Export)(nil)).Set("status = ?, object_key = ?, size = ?, ready_at = ?, expires_at = ?, lease_until = NULL", StatusReady, key, obj.Size, now, expires).
			Where("id = ?", e.ID).Exec(ctx); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.System, audit.Entry{Action: "data_export.ready", SubjectType: "user", SubjectID: u.ID, Details: map[string]any{"bytes": obj.Size}}); err != nil {
			return err
		}
		m, err := notify.Compose(u.Email, "privacy_export_ready", map[string]any{"Name": u.Name, "Until": expires.Format("January 2, 2006"), "URL": urls.Base(s.BaseURL).AccountData()})
		if err != nil {
			return err
		}
		return s.Outbox.Enqueue(ctx, tx, m)
	})
}

// Download hands out a ready archive once: the request is marked downloaded before the first byte,
// and the object is deleted when the returned reader is closed.
func (s *Service) Download(ctx context.Context, a audit.Actor, u *account.User, id string) (io.ReadCloser, int64, error) {
	var e Export
	if err := s.DB.NewSelect().Model(&e).Where("id = ? AND user_id = ?", id, u.ID).Scan(ctx); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, 0, errNoExport
		}
		return nil, 0, err
	}
	if e.Status != StatusReady {
		return nil, 0, apperr.New(apperr.Gone, "export_not_ready", "This download is not available: it is still being prepared, was downloaded already or has expired. Ask for a new one.")
	}
	r, obj, err := s.Media.Get(ctx, e.ObjectKey, 0, -1)
	if err != nil {
		return nil, 0, err
	}
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*Export)(nil)).Set("status = ?, downloaded_at = ?", StatusDownloaded, s.now()).Where("id = ? AND status = ?", e.ID, StatusReady).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Gone, "export_not_ready", "This download was just taken in another window.")
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "data_export.download", SubjectType: "user", SubjectID: u.ID})
	})
	if err != nil {
		r.Close()
		return nil, 0, err
	}
	return &deleteOnClose{ReadCloser: r, ctx: context.WithoutCancel(ctx), store: s.Media, key: e.ObjectKey}, obj.Size, nil
}

type deleteOnClose struct {
	io.ReadCloser
	ctx   context.Context
	store media.Store
	key   string
}

func (d *deleteOnClose) Close() error {
	err := d.ReadCloser.Close()
	if derr := d.store.Delete(d.ctx, d.key); err == nil {
		err = derr
	}
	return err
}

// expire deletes ready archives past their date.
func (s *Service) expire(ctx context.Context) error {
	var old []Export
	if err := s.DB.NewSelect().Model(&old).Where("status = ? AND expires_at < ?", StatusReady, s.now()).Scan(ctx); err != nil {
		return err
	}
	for _, e := range old {
		if err := s.Media.Delete(ctx, e.ObjectKey); err != nil {
			return err
		}
		if _, err := s.DB.NewUpdate().Model((*Export)(nil)).Set("status = ?", StatusExpired).Where("id = ? AND status = ?", e.ID, StatusReady).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// writeArchive writes data.json and the person's files into a zip.
func (s *Service) writeArchive(ctx context.Context, u *account.User, w io.Writer) error {
	data, files, err := s.collect(ctx, u)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	jw, err := zw.Create("data.json")
	if err != nil {
		return err
	}
	enc := json.NewEncoder(jw)
	enc.SetIndent("", "  ")
	if err := enc.Encode(data); err != nil {
		return err
	}
	for _, f := range files {
		if err := s.addFile(ctx, zw, f); err != nil {
			return err
		}
	}
	if rw, err := zw.Create("README.txt"); err == nil {
		_, err = io.WriteString(rw, readme)
		if err != nil {
			return err
		}
	}
	return zw.Close()
}

func (s *Service) addFile(ctx context.Context, zw *zip.Writer, f file) error {
	r, _, err := s.Media.Get(ctx, f.key, 0, -1)
	if errors.Is(err, media.ErrNotFound) {
		return nil // purged under retention; data.json still lists the record
	}
	if err != nil {
		return err
	}
	defer r.Close()
	fw, err := zw.Create(f.name)
	if err != nil {
		return err
	}
	_, err = io.Copy(fw, r)
	return err
}

// file is a stored object to put into the archive under name.
type file struct{ name, key string }

func safeName(s string) string {
	s = path.Base(strings.ReplaceAll(s, "\\", "/"))
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`/:*?"<>|`, r) {
			return '_'
		}
		return r
	}, s)
	if s == "" || s == "." || s == ".." {
		return "file"
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

const readme = `This archive holds everything PeerAcademy keeps about you.

data.json     your account, sessions, applications (with the date of birth and statement you gave),
              enrolments, attendance, course progress, written-exam attempts and answers, oral-exam
              bookings and grades, certificates, continuing-education activities, the e-mails the
              platform sent you, and the audit-log entries about you or made by you.
documents/    the documents you uploaded with your applications.
certificates/ your certificate PDFs.
ce-proofs/    the proofs you uploaded for continuing-education activities.

Keep it somewhere safe: it contains private information.
`

package certificate

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/csvsafe"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/page"
	"github.com/peeracademy/peeracademy/internal/sealbox"
	"github.com/peeracademy/peeracademy/internal/urls"
)

// Mailer enqueues email in the caller's transaction; notify.Outbox is one.
type Mailer interface {
	Enqueue(ctx context.Context, db bun.IDB, e notify.Email) error
	EnqueueMany(ctx context.Context, db bun.IDB, es []notify.Email) error
}

// DefaultValidityMonths is how long a certificate is valid when Service.ValidityMonths is 0.
const DefaultValidityMonths = 24

// MaxBatch is the most candidates one Issue call certifies.
const MaxBatch = 100

// Service issues and verifies certificates.
type Service struct {
	DB       *bun.DB
	Media    media.Store
	Keys     *sealbox.Keyring // seals the vendors' private signing keys
	Outbox   Mailer
	Evidence EvidenceSource
	BaseURL  string // public URL: verification links, QR codes, links in email
	Now      func() time.Time
	// ValidityMonths is how long a certificate is valid, and how far Renew extends it (24 if 0).
	ValidityMonths int
	// Rule is the CE rule new certificates follow (ce.Default if its ID is empty).
	Rule ce.Rule
	// EndorsementTitles names the endorsements the catalogue's specialty courses grant (slug ->
	// title), whose achievements are described at AchievementURL(slug).
	EndorsementTitles map[string]string
	// LookupLimit counts public verification look-ups per client address, in the database so every
	// instance shares the count; LookupsPerMinute is the allowance. No limit when LookupLimit.DB is nil.
	LookupLimit      account.Throttle
	LookupsPerMinute int
}

// AllowLookup counts one public look-up (by code or by number) from addr and refuses it once the
// address has used its allowance for the minute.
func (s *Service) AllowLookup(ctx context.Context, addr string) error {
	if s.LookupLimit.DB == nil {
		return nil
	}
	ok, retry, err := s.LookupLimit.Take(ctx, "verify:"+addr, s.LookupsPerMinute)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.TooMany, "too_many_requests", "Too many look-ups from your address. Please wait a minute and try again.").Retry(retry)
	}
	return nil
}

var (
	errNotFound = apperr.New(apperr.NotFound, "not_found", "We could not find that certificate.")
	// errLookup answers an unknown number and a wrong last name alike.
	errLookup = apperr.New(apperr.NotFound, "not_found", "We could not find a certificate with that number and last name. Check both and try again.")
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return database.Now()
}

func (s *Service) validity() int {
	if s.ValidityMonths > 0 {
		return s.ValidityMonths
	}
	return DefaultValidityMonths
}

func (s *Service) rule() ce.Rule {
	if s.Rule.ID != "" {
		return s.Rule
	}
	return ce.Default
}

func (s *Service) urls() urls.Base { return urls.Base(s.BaseURL) }

// VerifyURL is the public verification page of a verify code (BaseURL + "/verify/" + code), the
// address in the QR code.
func (s *Service) VerifyURL(code string) string { return s.urls().Verify(code) }

// HolderURL is the holder's page of a certificate, linked from email.
func (s *Service) HolderURL(certID string) string { return s.urls().Certificate(certID) }

func pdfKey(id string) string { return "certificates/" + id + ".pdf" }

// adminVendor checks that u administers a recognised vendor and returns it.
func (s *Service) adminVendor(ctx context.Context, u *account.User) (*account.Vendor, error) {
	if u == nil || u.Role != account.RoleVendorAdmin || u.Vendor() == "" {
		return nil, apperr.New(apperr.Forbidden, "forbidden", "Only vendor administrators manage certificates.")
	}
	return account.LoadVendor(ctx, s.DB, u.Vendor())
}

func (s *Service) vendor(ctx context.Context, db bun.IDB, id string) (*account.Vendor, error) {
	return account.LoadVendor(ctx, db, id)
}

// canSee: the holder, and the administrators of the issuing vendor.
func canSee(u *account.User, c *Certificate) bool {
	if u == nil {
		return false
	}
	return (u.Role == account.RoleCandidate && u.ID == c.CandidateID) ||
		(u.Role == account.RoleVendorAdmin && u.Vendor() == c.VendorID)
}

func (s *Service) load(ctx context.Context, db bun.IDB, id string, lock bool) (*Certificate, error) {
	c := new(Certificate)
	q := db.NewSelect().Model(c).Where("id = ?", id)
	if lock && database.IsPostgres(db) {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, errNotFound
		}
		return nil, err
	}
	return c, nil
}

// Get returns a certificate to its holder or its vendor's administrators; anyone else gets NotFound.
func (s *Service) Get(ctx context.Context, viewer *account.User, id string) (*Certificate, error) {
	c, err := s.load(ctx, s.DB, id, false)
	if err != nil {
		return nil, err
	}
	if !canSee(viewer, c) {
		return nil, errNotFound
	}
	return c, nil
}

// List returns a candidate's own certificates, or a vendor administrator's vendor's, newest first.
func (s *Service) List(ctx context.Context, viewer *account.User) ([]Certificate, error) {
	p, err := s.ListPage(ctx, viewer, page.All)
	return p.Items, err
}

// listOrder is the certificates list's order: newest first.
var listOrder = page.Order{List: "certificates", Keys: []page.Key{{Col: "issued_at", Time: true}, {Col: "number"}, {Col: "id"}}, Desc: true}

// ListPage is one page of List.
func (s *Service) ListPage(ctx context.Context, viewer *account.User, r page.Request) (page.Page[Certificate], error) {
	var cs []Certificate
	q := s.DB.NewSelect().Model(&cs)
	switch {
	case viewer != nil && viewer.Role == account.RoleCandidate:
		q = q.Where("candidate_id = ?", viewer.ID)
	case viewer != nil && viewer.Role == account.RoleVendorAdmin && viewer.Vendor() != "":
		q = q.Where("vendor_id = ?", viewer.Vendor())
	default:
		return page.Page[Certificate]{}, apperr.New(apperr.Forbidden, "forbidden", "Only holders and vendor administrators list certificates.")
	}
	return page.Fetch(ctx, q, &cs, r, listOrder, func(c Certificate) []any { return []any{c.IssuedAt, c.Number, c.ID} })
}

// ExportCSV writes the administrator's vendor's certificates as CSV: number, holder, state now,
// and the issue and expiry dates as Pennsylvania calendar dates (as printed on the certificate).
func (s *Service) ExportCSV(ctx context.Context, admin *account.User, w io.Writer) error {
	if admin == nil || admin.Role != account.RoleVendorAdmin {
		return apperr.New(apperr.Forbidden, "forbidden", "Only vendor administrators export certificates.")
	}
	cs, err := s.List(ctx, admin)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"number", "holder", "status", "issued", "valid_until", "curriculum_version"})
	now := s.now()
	for i := range cs {
		x := &cs[i]
		_ = cw.Write([]string{x.Number, csvsafe.Cell(x.HolderName), x.State(now), ce.Day(x.IssuedAt).Format(ce.DateLayout),
			ce.Day(x.ExpiresAt).Format(ce.DateLayout), x.CurriculumVersion})
	}
	cw.Flush()
	return cw.Error()
}

// ---- readiness and issue ----

type holder struct{ name, email string }

// holders returns the candidates among ids, with the name their certificate carries: the legal name
// of their latest approved application with the vendor, else their account name.
func (s *Service) holders(ctx context.Context, vendorID string, ids []string) (map[string]holder, error) {
	out := map[string]holder{}
	if len(ids) == 0 {
		return out, nil
	}
	us, err := account.UsersByID(ctx, s.DB, ids, account.RoleCandidate)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		out[u.ID] = holder{name: strings.TrimSpace(u.Name), email: u.Email}
	}
	legal, err := eligibility.LegalNames(ctx, s.DB, vendorID, ids)
	if err != nil {
		return nil, err
	}
	for id, name := range legal {
		if h, ok := out[id]; ok && strings.TrimSpace(name) != "" {
			h.name = strings.TrimSpace(name)
			out[id] = h
		}
	}
	return out, nil
}

func (s *Service) activeHolders(ctx context.Context, db bun.IDB, vendorID string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var have []string
	err := db.NewSelect().Model((*Certificate)(nil)).Column("candidate_id").Where("vendor_id = ?", vendorID).
		Where("status = ?", StatusActive).Where("candidate_id IN (?)", bun.In(ids)).Scan(ctx, &have)
	for _, id := range have {
		out[id] = true
	}
	return out, err
}

// Ready lists the vendor's candidates whose coursework, written exam and oral exam are all passed
// and who hold no active certificate from the vendor, by name, with any certificate the vendor
// revoked from them (the page does not pre-select those).
func (s *Service) Ready(ctx context.Context, admin *account.User) ([]ReadyRow, error) {
	v, err := s.adminVendor(ctx, admin)
	if err != nil {
		return nil, err
	}
	ids, err := s.Evidence.ReadyCandidates(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	ids = dedupe(ids)
	have, err := s.activeHolders(ctx, s.DB, v.ID, ids)
	if err != nil {
		return nil, err
	}
	hs, err := s.holders(ctx, v.ID, ids)
	if err != nil {
		return nil, err
	}
	var revoked []struct {
		CandidateID string `bun:"candidate_id"`
		Number      string `bun:"number"`
	}
	if len(ids) > 0 {
		if err := s.DB.NewSelect().Model((*Certificate)(nil)).Column("candidate_id", "number").Where("vendor_id = ?", v.ID).
			Where("status = ?", StatusRevoked).Where("candidate_id IN (?)", bun.In(ids)).Order("number").Scan(ctx, &revoked); err != nil {
			return nil, err
		}
	}
	evs, err := s.Evidence.Evidence(ctx, v.ID, ids)
	if err != nil {
		return nil, err
	}
	out := []ReadyRow{}
	for _, id := range ids {
		h, ok := hs[id]
		if !ok || have[id] {
			continue
		}
		if ev := evs[id]; ev.Ready() {
			row := ReadyRow{CandidateID: id, Name: h.name, Email: h.email, Evidence: ev}
			for _, r := range revoked {
				if r.CandidateID == id {
					row.Revoked = append(row.Revoked, r.Number)
				}
			}
			out = append(out, row)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return FoldName(out[i].Name) < FoldName(out[j].Name) })
	return out, nil
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Issue certifies candidates of the administrator's vendor, all or none. Each candidate's evidence is
// checked again (an Invalid error with code "not_ready" names each candidate who is not ready, in
// Fields keyed "candidate:<id>"); a candidate who already holds an active certificate from the
// vendor is a Conflict ("already_certified"), also when two administrators issue at the same moment
// (a unique index decides). Each certificate gets the next number of the vendor's year, a validity
// of ValidityMonths, a PDF in the media store, a signed credential, an audit event
// "certificate.issue" and an email to the holder.
func (s *Service) Issue(ctx context.Context, a audit.Actor, admin *account.User, candidateIDs []string) ([]Certificate, error) {
	v, err := s.adminVendor(ctx, admin)
	if err != nil {
		return nil, err
	}
	if !v.Recognised() {
		return nil, apperr.New(apperr.Forbidden, "not_recognised", "Only a recognised training organisation can issue certificates.")
	}
	ids := dedupe(candidateIDs)
	switch {
	case len(ids) == 0:
		return nil, apperr.Field("candidate_ids", "Choose at least one candidate.")
	case len(ids) > MaxBatch:
		return nil, apperr.Field("candidate_ids", fmt.Sprintf("Issue at most %d certificates at once.", MaxBatch))
	}
	hs, err := s.holders(ctx, v.ID, ids)
	if err != nil {
		return nil, err
	}
	evidence, err := s.Evidence.Evidence(ctx, v.ID, ids)
	if err != nil {
		return nil, err
	}
	notReady := apperr.Fields{}
	var why []string
	for _, id := range ids {
		h, ok := hs[id]
		if !ok {
			notReady.Add("candidate:"+id, "There is no candidate with this id.")
			why = append(why, id+": no such candidate")
			continue
		}
		if miss := evidence[id].Missing(); len(miss) > 0 {
			msg := strings.Join(miss, "; ")
			notReady.Add("candidate:"+id, strings.ToUpper(msg[:1])+msg[1:]+".")
			why = append(why, h.name+": "+msg)
		}
	}
	if len(notReady) > 0 {
		return nil, &apperr.Error{Kind: apperr.Invalid, Code: "not_ready", Message: "Not ready for a certificate: " + strings.Join(why, "; ") + ".", Fields: notReady}
	}
	kid, key, err := s.signingKey(ctx, s.DB, v.ID)
	if err != nil {
		return nil, err
	}

	now := s.now()
	issueDay := ce.Day(now)
	expires := ce.Midnight(ce.AddMonths(issueDay, s.validity())).UTC()
	certs := make([]Certificate, 0, len(ids))
	for _, id := range ids {
		h, ev := hs[id], evidence[id]
		cid := uuid.Must(uuid.NewV7()).String()
		issuedBy := admin.ID
		certs = append(certs, Certificate{ID: cid, VerifyCode: newVerifyCode(), CandidateID: id, VendorID: v.ID,
			HolderName: h.name, HolderLastNameNorm: LastNameNorm(h.name), Credential: CredentialName,
			IssuedAt: now, ValidFrom: now, ExpiresAt: expires, Status: StatusActive,
			CurriculumVersion: ev.CurriculumVersion, WrittenAttemptID: ev.WrittenAttemptID, WrittenPercent: ev.WrittenPercent,
			WrittenPassedAt: utc(ev.WrittenPassedAt), OralGradeID: ev.OralGradeID, OralTotal: ev.OralTotal, OralMax: ev.OralMax,
			OralPassedAt: utc(ev.OralPassedAt), TrainingMinutes: ev.TrainingMinutes, CourseStart: ev.CourseStart, CourseEnd: ev.CourseEnd,
			PDFKey: pdfKey(cid), CERule: s.rule().ID, IssuedBy: &issuedBy, CreatedAt: now})
	}

	var stored []string
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		have, err := s.activeHolders(ctx, tx, v.ID, ids)
		if err != nil {
			return err
		}
		if len(have) > 0 {
			var names []string
			for _, c := range certs {
				if have[c.CandidateID] {
					names = append(names, c.HolderName)
				}
			}
			return errAlreadyCertified(names)
		}
		// The whole batch in a fixed number of statements: numbers and status-list positions are
		// reserved in one statement each, and certificates, audit events and mail inserted in one each.
		first, err := nextNumbers(ctx, tx, v.ID, issueDay.Year(), len(certs))
		if err != nil {
			return err
		}
		firstIdx, err := nextStatusIndices(ctx, tx, v.ID, now, len(certs))
		if err != nil {
			return err
		}
		entries := make([]audit.Entry, 0, len(certs))
		mails := make([]notify.Email, 0, len(certs))
		for i := range certs {
			c := &certs[i]
			c.Number = fmt.Sprintf("PA-CPS-%s-%d-%06d", strings.ToUpper(v.Slug), issueDay.Year(), first+i)
			idx := firstIdx + i
			c.StatusIndex = &idx
			if err := s.seal(ctx, c, v, kid, key); err != nil {
				return err
			}
			stored = append(stored, c.PDFKey)
			entries = append(entries, audit.Entry{Action: "certificate.issue", SubjectType: "certificate", SubjectID: c.ID, VendorID: v.ID,
				Details: map[string]any{"number": c.Number, "candidate": c.CandidateID, "expires": ce.Day(c.ExpiresAt).Format(ce.DateLayout)}})
			m, err := notify.Compose(hs[c.CandidateID].email, "certificate_issued", map[string]any{"Holder": c.HolderName, "Vendor": v.Name,
				"Credential": CredentialName, "Number": c.Number, "Until": ce.Day(c.ExpiresAt).Format(humanDate), "HolderURL": s.HolderURL(c.ID), "VerifyURL": s.VerifyURL(c.VerifyCode)})
			if err != nil {
				return err
			}
			m.DedupeKey = "certificate-issued-" + c.ID
			mails = append(mails, m)
		}
		if _, err := tx.NewInsert().Model(&certs).Exec(ctx); err != nil {
			if errors.Is(database.Err(err), database.ErrConflict) {
				names := make([]string, len(certs))
				for i, c := range certs {
					names[i] = c.HolderName
				}
				return errAlreadyCertified(names)
			}
			return err
		}
		if err := audit.RecordMany(ctx, tx, a, entries); err != nil {
			return err
		}
		return s.Outbox.EnqueueMany(ctx, tx, mails)
	})
	if err != nil {
		for _, k := range stored {
			_ = s.Media.Delete(context.WithoutCancel(ctx), k)
		}
		return nil, err
	}
	return certs, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

func errAlreadyCertified(names []string) error {
	return apperr.New(apperr.Conflict, "already_certified", "Already holds an active certificate from your organisation: "+strings.Join(names, ", ")+".")
}

// nextNumbers advances the vendor's sequence for year by n in one atomic statement and returns the
// first of the n numbers reserved. In the issuing transaction: a rolled-back issue gives them back.
func nextNumbers(ctx context.Context, tx bun.IDB, vendorID string, year, n int) (int, error) {
	var last int
	err := tx.NewRaw(`INSERT INTO certificate_sequences (vendor_id, year, last) VALUES (?, ?, ?)
		ON CONFLICT (vendor_id, year) DO UPDATE SET last = certificate_sequences.last + ? RETURNING last`, vendorID, year, n, n).Scan(ctx, &last)
	return last - n + 1, err
}

// seal signs c's credential and stores its PDF (c.PDFKey), from c's current fields.
func (s *Service) seal(ctx context.Context, c *Certificate, v *account.Vendor, kid string, priv ed25519.PrivateKey) error {
	if err := s.sign(c, v, kid, priv); err != nil {
		return err
	}
	doc, err := s.render(ctx, c, v.Name)
	if err != nil {
		return err
	}
	_, err = s.Media.Put(ctx, c.PDFKey, bytes.NewReader(doc), media.PutOptions{AllowedTypes: []string{"application/pdf"}})
	return err
}

// vendorAndKey loads a vendor and its current signing key (outside any transaction: with SQLite's
// single connection a key made on first use must not wait for one).
func (s *Service) vendorAndKey(ctx context.Context, vendorID string) (*account.Vendor, string, ed25519.PrivateKey, error) {
	v, err := s.vendor(ctx, s.DB, vendorID)
	if err != nil {
		return nil, "", nil, err
	}
	kid, key, err := s.signingKey(ctx, s.DB, vendorID)
	return v, kid, key, err
}

// sign sets c's signed credential (c.CredentialJSON) from c's current fields.
func (s *Service) sign(c *Certificate, v *account.Vendor, kid string, priv ed25519.PrivateKey) error {
	payload, err := s.credentialJSON(c, v, priv.Public().(ed25519.PublicKey))
	if err != nil {
		return err
	}
	c.CredentialJSON, err = SignJWS(payload, kid, priv)
	return err
}

func (s *Service) render(ctx context.Context, c *Certificate, vendorName string) ([]byte, error) {
	logo, err := s.logo(ctx, c.VendorID)
	if err != nil {
		return nil, err
	}
	return renderCertificate(certificateView{VendorName: vendorName, HolderName: c.HolderName, Credential: c.Credential, Track: c.Track,
		Number: c.Number, Issued: ce.Day(c.IssuedAt), Expires: ce.Day(c.ExpiresAt), VerifyURL: s.VerifyURL(c.VerifyCode), Logo: logo})
}

// maxLogoBytes matches the upload limit of the Organisation page.
const maxLogoBytes = 2 << 20

// logo reads the vendor's uploaded logo (PNG or JPEG), or nil when there is none.
func (s *Service) logo(ctx context.Context, vendorID string) ([]byte, error) {
	rc, _, err := s.Media.Get(ctx, account.LogoKey(vendorID), 0, -1)
	if errors.Is(err, media.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, maxLogoBytes))
}

// ---- documents ----

// PDF streams the certificate PDF to its holder or its vendor's administrators. A PDF missing from
// the store is drawn again from the certificate and stored.
func (s *Service) PDF(ctx context.Context, viewer *account.User, certID string) (io.ReadCloser, error) {
	c, err := s.Get(ctx, viewer, certID)
	if err != nil {
		return nil, err
	}
	rc, _, err := s.Media.Get(ctx, c.PDFKey, 0, -1)
	if err == nil {
		return rc, nil
	}
	if !errors.Is(err, media.ErrNotFound) {
		return nil, err
	}
	v, err := s.vendor(ctx, s.DB, c.VendorID)
	if err != nil {
		return nil, err
	}
	doc, err := s.render(ctx, c, v.Name)
	if err != nil {
		return nil, err
	}
	if _, err := s.Media.Put(ctx, c.PDFKey, bytes.NewReader(doc), media.PutOptions{AllowedTypes: []string{"application/pdf"}}); err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(doc)), nil
}

// Credential returns the signed credential (a compact JWS, media type application/vc+jwt) to the
// holder or the vendor's administrators.
// A credential signed before status lists is signed again, once, with its status list entry (by the
// vendor's current key; the old one still verifies), so that every credential handed out can be
// checked for revocation.
func (s *Service) Credential(ctx context.Context, viewer *account.User, certID string) ([]byte, error) {
	c, err := s.Get(ctx, viewer, certID)
	if err != nil {
		return nil, err
	}
	if c.StatusIndex == nil || !carriesStatus(c.CredentialJSON) {
		if c, err = s.addStatusEntry(ctx, c); err != nil {
			return nil, err
		}
	}
	return []byte(c.CredentialJSON), nil
}

// carriesStatus reports whether a stored credential has a credentialStatus entry.
func carriesStatus(jws string) bool {
	_, payload, _, err := splitJWS([]byte(jws), maxCredentialJWS)
	if err != nil {
		return false
	}
	var vc struct {
		CredentialStatus *StatusEntry `json:"credentialStatus"`
	}
	return json.Unmarshal(payload, &vc) == nil && vc.CredentialStatus != nil
}

// addStatusEntry gives c a status list position if it has none and signs its credential again with
// the entry; the claims are otherwise unchanged (the PDF is not drawn again).
func (s *Service) addStatusEntry(ctx context.Context, c *Certificate) (*Certificate, error) {
	v, kid, key, err := s.vendorAndKey(ctx, c.VendorID)
	if err != nil {
		return nil, err
	}
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		locked, err := s.load(ctx, tx, c.ID, true)
		if err != nil {
			return err
		}
		c = locked
		if c.StatusIndex != nil && carriesStatus(c.CredentialJSON) {
			return nil // another request did it
		}
		if err := s.ensureStatusIndex(ctx, tx, c); err != nil {
			return err
		}
		if err := s.sign(c, v, kid, key); err != nil {
			return err
		}
		_, err = tx.NewUpdate().Model(c).Column("credential_json").WherePK().Exec(ctx)
		return err
	})
	return c, err
}

// CompletionRecord draws the training-completion record (hours, course dates, exam results and
// dates, curriculum version) for the holder (or the vendor's administrators), to attach to an
// application to the state certification board.
func (s *Service) CompletionRecord(ctx context.Context, viewer *account.User, certID string) ([]byte, error) {
	c, err := s.Get(ctx, viewer, certID)
	if err != nil {
		return nil, err
	}
	v, err := s.vendor(ctx, s.DB, c.VendorID)
	if err != nil {
		return nil, err
	}
	return renderCompletion(c, v.Name, s.VerifyURL(c.VerifyCode), s.now())
}

// ---- public verification ----

func (s *Service) public(ctx context.Context, c *Certificate) (*Public, error) {
	v, err := s.vendor(ctx, s.DB, c.VendorID)
	if err != nil {
		return nil, err
	}
	es, err := s.Endorsements(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	p := &Public{Status: c.State(s.now()), HolderName: c.HolderName, Credential: c.Credential, Number: c.Number,
		VendorName: v.Name, IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt, RevokedAt: c.RevokedAt}
	for _, e := range es {
		p.Endorsements = append(p.Endorsements, PublicEndorsement{Title: e.Title, Since: e.Since, Current: e.Current})
	}
	return p, nil
}

// Verify returns what the public sees of the certificate with a verify code (the QR code's link).
func (s *Service) Verify(ctx context.Context, code string) (*Public, error) {
	code = strings.ToLower(strings.TrimSpace(code))
	if !validVerifyCode(code) {
		return nil, errNotFound
	}
	c := new(Certificate)
	if err := s.DB.NewSelect().Model(c).Where("verify_code = ?", code).Scan(ctx); err != nil {
		if !database.ErrIsNotFound(err) {
			return nil, err
		}
		// An endorsement's own code: its certificate, naming the endorsement.
		e, err := s.endorsementByCode(ctx, code)
		if err != nil {
			return nil, err
		}
		if c, err = s.load(ctx, s.DB, e.CertificateID, false); err != nil {
			return nil, err
		}
		p, err := s.public(ctx, c)
		if err != nil {
			return nil, err
		}
		for i := range p.Endorsements {
			if p.Endorsements[i].Title == e.Title {
				p.Endorsement = &p.Endorsements[i]
			}
		}
		return p, nil
	}
	return s.public(ctx, c)
}

// Lookup finds a certificate by its number and its holder's last name (case, accents, spaces and
// punctuation ignored; a compound last name may be given whole or by its last part). An unknown
// number and a wrong name give the same NotFound, so numbers cannot be matched to people by trying.
func (s *Service) Lookup(ctx context.Context, number, lastName string) (*Public, error) {
	number = strings.ToUpper(strings.TrimSpace(number))
	if number == "" || len(number) > 100 || utf8.RuneCountInString(lastName) > 200 {
		return nil, errLookup
	}
	c := new(Certificate)
	err := s.DB.NewSelect().Model(c).Where("number = ?", number).Scan(ctx)
	if err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	holderName := "\x00" // compare even for an unknown number
	if err == nil {
		holderName = c.HolderName
	}
	if !lastNameMatches(holderName, lastName) || err != nil {
		return nil, errLookup
	}
	return s.public(ctx, c)
}

// ---- revocation, reinstatement, renewal ----

func reasonOf(reason, what string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", apperr.Field("reason", "Give the reason for the "+what+"; it is kept in the audit trail and sent to the holder.")
	case utf8.RuneCountInString(reason) > 1000:
		return "", apperr.Field("reason", "Use at most 1,000 characters.")
	}
	return reason, nil
}

// manage loads a certificate of the administrator's vendor, locked for update.
func (s *Service) manage(ctx context.Context, tx bun.IDB, admin *account.User, certID string) (*Certificate, error) {
	c, err := s.load(ctx, tx, certID, true)
	if err != nil {
		return nil, err
	}
	if admin == nil || admin.Role != account.RoleVendorAdmin || admin.Vendor() != c.VendorID {
		return nil, errNotFound
	}
	return c, nil
}

func (s *Service) holderEmail(ctx context.Context, db bun.IDB, userID string) (string, error) {
	return account.Email(ctx, db, userID)
}

// Revoke withdraws a certificate (a reason is required). Verification shows it as revoked at once,
// and so does the vendor's status list (its bit is set).
func (s *Service) Revoke(ctx context.Context, a audit.Actor, admin *account.User, certID, reason string) error {
	reason, err := reasonOf(reason, "revocation")
	if err != nil {
		return err
	}
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		c, err := s.manage(ctx, tx, admin, certID)
		if err != nil {
			return err
		}
		if c.Status == StatusRevoked {
			return apperr.New(apperr.Conflict, "already_revoked", "This certificate is already revoked.")
		}
		now := s.now()
		if err := s.ensureStatusIndex(ctx, tx, c); err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model((*Certificate)(nil)).Where("id = ?", c.ID).Where("status = ?", StatusActive).
			Set("status = ?", StatusRevoked).Set("revoked_at = ?", now).Set("revoked_reason = ?", reason).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "already_revoked", "This certificate is already revoked.")
		}
		if err := touchStatusList(ctx, tx, c.VendorID, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, a, audit.Entry{Action: "certificate.revoke", SubjectType: "certificate", SubjectID: c.ID, VendorID: c.VendorID,
			Details: map[string]any{"number": c.Number, "reason": reason}}); err != nil {
			return err
		}
		return s.tell(ctx, tx, c, "certificate_revoked", map[string]any{"Reason": reason})
	})
}

// Reinstate makes a revoked certificate active again (a reason is required); its bit in the
// vendor's status list is cleared.
func (s *Service) Reinstate(ctx context.Context, a audit.Actor, admin *account.User, certID, reason string) error {
	reason, err := reasonOf(reason, "reinstatement")
	if err != nil {
		return err
	}
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		c, err := s.manage(ctx, tx, admin, certID)
		if err != nil {
			return err
		}
		if c.Status != StatusRevoked {
			return apperr.New(apperr.Conflict, "not_revoked", "This certificate is not revoked.")
		}
		have, err := s.activeHolders(ctx, tx, c.VendorID, []string{c.CandidateID})
		if err != nil {
			return err
		}
		errOther := apperr.New(apperr.Conflict, "already_certified", "The holder has another active certificate from your organisation; revoke that one first.")
		if have[c.CandidateID] {
			return errOther
		}
		_, err = tx.NewUpdate().Model((*Certificate)(nil)).Where("id = ?", c.ID).Where("status = ?", StatusRevoked).
			Set("status = ?", StatusActive).Set("revoked_at = NULL").Set("revoked_reason = ''").Exec(ctx)
		if err != nil {
			if errors.Is(database.Err(err), database.ErrConflict) {
				return errOther
			}
			return err
		}
		if err := touchStatusList(ctx, tx, c.VendorID, s.now()); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, a, audit.Entry{Action: "certificate.reinstate", SubjectType: "certificate", SubjectID: c.ID, VendorID: c.VendorID,
			Details: map[string]any{"number": c.Number, "reason": reason, "revoked_reason": c.RevokedReason}}); err != nil {
			return err
		}
		return s.tell(ctx, tx, c, "certificate_reinstated", map[string]any{"Reason": reason})
	})
}

// tell emails the holder of c the template name, with data plus the certificate's holder name,
// credential, number and holder page.
func (s *Service) tell(ctx context.Context, tx bun.IDB, c *Certificate, name string, data map[string]any) error {
	email, err := s.holderEmail(ctx, tx, c.CandidateID)
	if err != nil {
		return err
	}
	data["Holder"], data["Credential"], data["Number"], data["HolderURL"] = c.HolderName, c.Credential, c.Number, s.HolderURL(c.ID)
	m, err := notify.Compose(email, name, data)
	if err != nil {
		return err
	}
	return s.Outbox.Enqueue(ctx, tx, m)
}

// monthsFrom counts the calendar months from anchor to day (a date AddMonths reaches from anchor).
func monthsFrom(anchor, day time.Time) int {
	m := (day.Year()-anchor.Year())*12 + int(day.Month()-anchor.Month())
	for d := m - 1; d <= m+1; d++ {
		if ce.AddMonths(anchor, d).Equal(day) {
			return d
		}
	}
	return m
}

// Renew extends a certificate by ValidityMonths once the CE rule is met for every cycle of its
// current validity (a Conflict "ce_not_met" names what is missing otherwise). The new validity
// starts at the old expiry; the PDF and the signed credential are issued again with the new date.
func (s *Service) Renew(ctx context.Context, a audit.Actor, admin *account.User, certID string) (*Certificate, error) {
	c, err := s.load(ctx, s.DB, certID, false)
	if err != nil {
		return nil, err
	}
	if admin == nil || admin.Role != account.RoleVendorAdmin || admin.Vendor() != c.VendorID {
		return nil, errNotFound
	}
	v, kid, key, err := s.vendorAndKey(ctx, c.VendorID)
	if err != nil {
		return nil, err
	}
	var oldKey, newKey string
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		locked, err := s.manage(ctx, tx, admin, certID)
		if err != nil {
			return err
		}
		c = locked
		acts, err := ce.Activities(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		if err := renewalRefusal(c, acts); err != nil {
			return err
		}
		term := ce.TermOf(c.CERule, c.IssuedAt, c.ValidFrom, c.ExpiresAt)
		months := monthsFrom(term.Anchor, term.Until) + s.validity()
		prevExpiry := c.ExpiresAt
		c.ValidFrom = c.ExpiresAt
		c.ExpiresAt = ce.Midnight(ce.AddMonths(term.Anchor, months)).UTC()
		c.LapsedAt = nil
		if err := s.ensureStatusIndex(ctx, tx, c); err != nil {
			return err
		}
		oldKey = c.PDFKey
		c.PDFKey = "certificates/" + c.ID + "-" + ce.Day(c.ExpiresAt).Format("20060102") + ".pdf"
		newKey = c.PDFKey
		if err := s.seal(ctx, c, v, kid, key); err != nil {
			return err
		}
		_, err = tx.NewUpdate().Model(c).Column("valid_from", "expires_at", "lapsed_at", "pdf_key", "credential_json").WherePK().Exec(ctx)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, a, audit.Entry{Action: "certificate.renew", SubjectType: "certificate", SubjectID: c.ID, VendorID: c.VendorID,
			Details: map[string]any{"number": c.Number, "previous_expiry": ce.Day(prevExpiry).Format(ce.DateLayout), "expires": ce.Day(c.ExpiresAt).Format(ce.DateLayout)}}); err != nil {
			return err
		}
		return s.tell(ctx, tx, c, "certificate_renewed", map[string]any{"Until": ce.Day(c.ExpiresAt).Format(humanDate)})
	})
	if err != nil {
		if newKey != "" && newKey != oldKey {
			_ = s.Media.Delete(context.WithoutCancel(ctx), newKey)
		}
		return nil, err
	}
	if oldKey != newKey {
		_ = s.Media.Delete(context.WithoutCancel(ctx), oldKey)
	}
	return c, nil
}

// ---- dashboard ----

// Dashboard counts the vendor's certificates by public status, those expiring within 60 days, and
// CE activities waiting for review.
func (s *Service) Dashboard(ctx context.Context, admin *account.User) (Stats, error) {
	var st Stats
	v, err := s.adminVendor(ctx, admin)
	if err != nil {
		return st, err
	}
	now := s.now()
	soon := now.AddDate(0, 0, 60)
	var row struct {
		Active, Expired, Lapsed, Revoked, Expiring int
	}
	err = s.DB.NewSelect().Model((*Certificate)(nil)).Where("vendor_id = ?", v.ID).
		ColumnExpr("COALESCE(SUM(CASE WHEN status = 'active' AND expires_at > ? AND lapsed_at IS NULL THEN 1 ELSE 0 END), 0) AS active", now).
		ColumnExpr("COALESCE(SUM(CASE WHEN status = 'active' AND expires_at <= ? THEN 1 ELSE 0 END), 0) AS expired", now).
		ColumnExpr("COALESCE(SUM(CASE WHEN status = 'active' AND expires_at > ? AND lapsed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS lapsed", now).
		ColumnExpr("COALESCE(SUM(CASE WHEN status = 'revoked' THEN 1 ELSE 0 END), 0) AS revoked").
		ColumnExpr("COALESCE(SUM(CASE WHEN status = 'active' AND expires_at > ? AND expires_at <= ? THEN 1 ELSE 0 END), 0) AS expiring", now, soon).
		Scan(ctx, &row.Active, &row.Expired, &row.Lapsed, &row.Revoked, &row.Expiring)
	if err != nil {
		return st, err
	}
	n, err := ce.AwaitingReview(ctx, s.DB, v.ID)
	if err != nil {
		return st, err
	}
	return Stats{Active: row.Active, Expired: row.Expired, Lapsed: row.Lapsed, Revoked: row.Revoked, ExpiringIn60Days: row.Expiring, CEAwaitingReview: n}, nil
}

// Current returns the holder's current certificate at now: active (not revoked), not expired,
// the latest issued; nil when there is none. Other packages (the course catalogue) ask it rather
// than reading the certificates table.
func Current(ctx context.Context, db bun.IDB, holderID string, now time.Time) (*Certificate, error) {
	var cs []Certificate
	err := db.NewSelect().Model(&cs).Where("candidate_id = ?", holderID).Where("status = ?", StatusActive).
		Where("expires_at > ?", now.UTC()).OrderExpr("issued_at DESC").Limit(1).Scan(ctx)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return &cs[0], nil
}

package certificate_test

import (
	"bytes"
	"compress/zlib"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

const holderName = "Zoë Nuñez-O'Brien"

var numberRE = regexp.MustCompile(`^PA-CPS-RECOVERY-WORKS-2027-\d{6}$`)

func TestIssueVerifyAndDocuments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		zoe := f.candidate(holderName)
		notYet := f.user(account.RoleCandidate, "", "Nora Notyet")
		ev := f.passed()
		ev.OralPassedAt = nil
		f.ev.set(notYet.ID, ev)

		// Ready lists the candidate who passed everything, not the one without the oral exam.
		rows, err := f.svc.Ready(f.ctx, f.admin)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].CandidateID != zoe.ID || rows[0].Name != holderName || rows[0].Email != zoe.Email {
			t.Fatalf("ready: %+v", rows)
		}
		if _, err := f.svc.Ready(f.ctx, f.trainer); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("trainer sees ready list: %v", err)
		}

		// Not ready: refused clearly, and nothing is issued (all or none).
		_, err = f.svc.Issue(f.ctx, actor(f.admin), f.admin, []string{zoe.ID, notYet.ID})
		e, ok := apperr.As(err)
		if !ok || e.Kind != apperr.Invalid || e.Code != "not_ready" || !strings.Contains(e.Message, "oral exam is not passed") || e.Fields["candidate:"+notYet.ID] == "" {
			t.Fatalf("not ready: %v", err)
		}
		if n, err := f.db.NewSelect().Model((*certificate.Certificate)(nil)).Count(f.ctx); err != nil || n != 0 {
			t.Fatalf("%d certificates after a refused batch", n)
		}
		if _, err := f.svc.Issue(f.ctx, actor(f.admin2), f.trainer, []string{zoe.ID}); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("trainer issued: %v", err)
		}

		c := f.issue(zoe)
		if !numberRE.MatchString(c.Number) || !strings.HasSuffix(c.Number, "-000001") {
			t.Fatalf("number %q", c.Number)
		}
		if c.HolderName != holderName || c.Credential != certificate.CredentialName || c.Status != certificate.StatusActive || c.CERule != "annual18" {
			t.Fatalf("certificate: %+v", c)
		}
		// Valid two years, to the Pennsylvania midnight that starts 2029-03-14.
		if want := time.Date(2029, 3, 14, 4, 0, 0, 0, time.UTC); !c.ExpiresAt.Equal(want) {
			t.Fatalf("expires %s, want %s", c.ExpiresAt, want)
		}
		if len(c.VerifyCode) != certificate.VerifyCodeLength || !regexp.MustCompile(`^[a-z2-7]{20}$`).MatchString(c.VerifyCode) {
			t.Fatalf("verify code %q", c.VerifyCode)
		}
		if f.auditCount("certificate.issue", c.ID) != 1 {
			t.Fatal("issue not audited")
		}
		ms := f.mails(zoe.Email)
		if len(ms) != 1 || !strings.Contains(ms[0].Body, baseURL+"/verify/"+c.VerifyCode) || !strings.Contains(ms[0].Body, baseURL+"/certificates/"+c.ID) {
			t.Fatalf("issue email: %+v", ms)
		}
		// Issued: no longer ready; issuing again is a conflict.
		if rows, err := f.svc.Ready(f.ctx, f.admin); err != nil || len(rows) != 0 {
			t.Fatalf("still ready: %+v", rows)
		}
		if _, err := f.svc.Issue(f.ctx, actor(f.admin), f.admin, []string{zoe.ID}); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("second certificate: %v", err)
		}

		// The PDF: the holder and the vendor's admins, nobody else.
		rc, err := f.svc.PDF(f.ctx, zoe, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := io.ReadAll(rc)
		rc.Close()
		if _, err := f.svc.PDF(f.ctx, f.admin, c.ID); err != nil {
			t.Fatalf("vendor admin PDF: %v", err)
		}
		for _, u := range []*account.User{f.admin2, f.trainer, notYet} {
			if _, err := f.svc.PDF(f.ctx, u, c.ID); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("%s got the PDF: %v", u.Name, err)
			}
		}
		checkCertificatePDF(t, doc, c)

		// The signed credential verifies against the published keys.
		jws, err := f.svc.Credential(f.ctx, zoe, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := f.svc.PublicKeys(f.ctx)
		if err != nil || len(keys) != 1 || keys[0].VendorID != f.vendor.ID || keys[0].VendorName != f.vendor.Name {
			t.Fatalf("public keys: %+v %v", keys, err)
		}
		jwks, err := certificate.JWKS(keys)
		if err != nil {
			t.Fatal(err)
		}
		set, err := certificate.ParseJWKS(jwks)
		if err != nil {
			t.Fatal(err)
		}
		claims, err := certificate.VerifyCredentialAt(jws, set, f.clock())
		if err != nil {
			t.Fatal(err)
		}
		if claims.Number != c.Number || claims.HolderName != holderName || claims.VendorName != f.vendor.Name || claims.Credential != certificate.CredentialName ||
			claims.ID != baseURL+"/verify/"+c.VerifyCode || !claims.ValidUntil.Equal(c.ExpiresAt) || !strings.HasPrefix(claims.IssuerID, "did:key:z6Mk") {
			t.Fatalf("claims: %+v", claims)
		}
		if _, err := f.svc.Credential(f.ctx, f.admin2, c.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("other vendor got the credential: %v", err)
		}

		// Verification by code: the public data, and nothing else.
		pub, err := f.svc.Verify(f.ctx, strings.ToUpper(" "+c.VerifyCode+" "))
		if err != nil {
			t.Fatal(err)
		}
		if pub.Status != certificate.StateActive || pub.HolderName != holderName || pub.Number != c.Number || pub.VendorName != f.vendor.Name || pub.RevokedAt != nil {
			t.Fatalf("public: %+v", pub)
		}
		assertPublicKeys(t, pub)
		for _, code := range []string{"", "nope", strings.Repeat("a", 20), c.VerifyCode + "a"} {
			if _, err := f.svc.Verify(f.ctx, code); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("verify %q: %v", code, err)
			}
		}

		// Lookup by number needs the holder's last name; case, accents and punctuation are folded.
		for _, last := range []string{"Nuñez-O'Brien", "nunez-obrien", "NUÑEZ O’BRIEN", "O'Brien", "obrien", "Zoe Nunez-OBrien"} {
			p, err := f.svc.Lookup(f.ctx, strings.ToLower(c.Number), last)
			if err != nil || p.Number != c.Number {
				t.Fatalf("lookup with %q: %v", last, err)
			}
		}
		_, errWrongName := f.svc.Lookup(f.ctx, c.Number, "Zoë")
		_, errEmpty := f.svc.Lookup(f.ctx, c.Number, "")
		_, errUnknown := f.svc.Lookup(f.ctx, "PA-CPS-RECOVERY-WORKS-2027-999999", "Nuñez-O'Brien")
		_, errPrefix := f.svc.Lookup(f.ctx, c.Number, "Brien")
		for _, err := range []error{errWrongName, errEmpty, errUnknown, errPrefix} {
			if !apperr.Is(err, apperr.NotFound) || err.Error() != errUnknown.Error() {
				t.Fatalf("lookup failures differ: %v vs %v", err, errUnknown)
			}
		}

		// Completion record for the state application.
		rec, err := f.svc.CompletionRecord(f.ctx, zoe, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(rec, []byte("%PDF-")) {
			t.Fatal("completion record is not a PDF")
		}
		if _, err := f.svc.CompletionRecord(f.ctx, f.admin2, c.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("other vendor got the completion record: %v", err)
		}
		text := pdfText(t, rec)
		for _, want := range []string{holderName, c.Number, "cv-2027a", "75 hours", "January 11, 2027 to January 22, 2027", "86.7%", "27 of 32", "Written examination", "Oral examination"} {
			if !strings.Contains(text, want) {
				t.Errorf("completion record lacks %q:\n%s", want, text)
			}
		}
		// No long fractions and no internal ids of the attempt or the grade.
		for _, no := range []string{"86.67", "att-", "oral-", "attempt", "grade "} {
			if strings.Contains(text, no) {
				t.Errorf("completion record shows %q:\n%s", no, text)
			}
		}

		// Lists.
		if cs, err := f.svc.List(f.ctx, zoe); err != nil || len(cs) != 1 {
			t.Fatalf("holder list: %v %v", cs, err)
		}
		if cs, err := f.svc.List(f.ctx, f.admin2); err != nil || len(cs) != 0 {
			t.Fatalf("other vendor list: %v %v", cs, err)
		}
	})
}

// checkCertificatePDF looks into the certificate PDF: the embedded font, the verify link, and with
// poppler the text and the QR code as rendered.
func checkCertificatePDF(t *testing.T, doc []byte, c certificate.Certificate) {
	t.Helper()
	url := baseURL + "/verify/" + c.VerifyCode
	if !bytes.HasPrefix(doc, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", doc[:min(20, len(doc))])
	}
	if !bytes.Contains(doc, []byte("/FontFile2")) || !bytes.Contains(doc, []byte("/ToUnicode")) {
		t.Fatal("no embedded TrueType font with a ToUnicode map")
	}
	if !bytes.Contains(doc, []byte("/MediaBox [0 0 792.00 612.00]")) {
		t.Fatalf("not US Letter landscape: %s", regexp.MustCompile(`/MediaBox \[[^\]]*\]`).Find(doc))
	}
	if !bytes.Contains(doc, []byte("/URI ("+url+")")) {
		t.Fatal("no link to the verify URL")
	}
	if !bytes.Contains(inflateAll(doc), []byte("/verify-qr")) && !bytes.Contains(doc, []byte("/Subtype /Image")) {
		t.Fatal("no image in the PDF")
	}

	// The QR code drawn into the PDF, decoded from the image itself.
	qrPNG, err := certificate.QRCodePNG(url)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(qrPNG))
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeQR(t, img); got != url {
		t.Fatalf("QR image says %q, want %q", got, url)
	}

	text := pdfText(t, doc)
	norm := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{holderName, "Recovery Works Training", certificate.CredentialName, c.Number, "March 14, 2027", "March 14, 2029",
		"Authorised signatory", "Verify this certificate at " + url} {
		if !strings.Contains(norm, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
	// And the QR code as printed: render the page and decode the code's corner of it.
	page := pdfImage(t, doc, 300) // 150 dpi left some random codes undecodable (a flaky failure)
	b := page.Bounds()
	corner := image.Rect(b.Dx()*55/100, b.Dy()*50/100, b.Dx(), b.Dy())
	sub := page.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(corner)
	if got := decodeQR(t, sub); got != url {
		t.Fatalf("printed QR says %q, want %q", got, url)
	}
}

// inflateAll concatenates a PDF's Flate streams, decompressed.
func inflateAll(doc []byte) []byte {
	var out bytes.Buffer
	for _, m := range regexp.MustCompile(`(?s)stream\r?\n(.*?)endstream`).FindAllSubmatch(doc, -1) {
		r, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(r)
		out.Write(b)
	}
	return out.Bytes()
}

// assertPublicKeys: the public view marshals to exactly the allowed keys.
func assertPublicKeys(t *testing.T, p *certificate.Public) {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"status": true, "holder_name": true, "credential": true, "number": true, "vendor_name": true,
		"issued_at": true, "expires_at": true, "revoked_at": true}
	var keys []string
	for k := range m {
		keys = append(keys, k)
		if !allowed[k] {
			t.Errorf("public data reveals %q", k)
		}
	}
	sort.Strings(keys)
	for _, private := range []string{"@", "example.org", "cv-2027a", "att-", "oral-", "86.67", "candidate"} {
		if strings.Contains(string(b), private) {
			t.Errorf("public data contains %q: %s", private, b)
		}
	}
	if len(keys) < 7 {
		t.Errorf("public data keys %v", keys)
	}
}

func TestConcurrentIssueNumbering(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		var cands []*account.User
		for i := 0; i < 20; i++ {
			cands = append(cands, f.candidate("Candidate Number"+string(rune('A'+i))))
		}
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			numbers []string
			errs    []error
		)
		for _, u := range cands {
			wg.Add(1)
			go func(u *account.User) {
				defer wg.Done()
				cs, err := f.svc.Issue(f.ctx, actor(f.admin), f.admin, []string{u.ID})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				numbers = append(numbers, cs[0].Number)
			}(u)
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("errors: %v", errs)
		}
		sort.Strings(numbers)
		for i, n := range numbers {
			if want := fmt.Sprintf("PA-CPS-RECOVERY-WORKS-2027-%06d", i+1); n != want {
				t.Fatalf("numbers %v: #%d is %s, want %s", numbers, i, n, want)
			}
		}
		// Another vendor counts from 1; a batch takes consecutive numbers.
		o1, o2 := f.candidate("Olga One"), f.candidate("Otto Two")
		cs, err := f.svc.Issue(f.ctx, actor(f.admin2), f.admin2, []string{o1.ID, o2.ID})
		if err != nil {
			t.Fatal(err)
		}
		if cs[0].Number != "PA-CPS-OTHER-ORG-2027-000001" || cs[1].Number != "PA-CPS-OTHER-ORG-2027-000002" {
			t.Fatalf("batch numbers %s %s", cs[0].Number, cs[1].Number)
		}
		// A new year starts again at 1.
		f.setNow(time.Date(2028, 1, 2, 15, 0, 0, 0, time.UTC))
		next := f.candidate("Nia Newyear")
		if c := f.issue(next); c.Number != "PA-CPS-RECOVERY-WORKS-2028-000001" {
			t.Fatalf("new year number %s", c.Number)
		}
	})
}

func TestConcurrentIssueSameCandidate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		u := f.candidate("Sam Same")
		admin3 := f.user(account.RoleVendorAdmin, f.vendor.ID, "Second Admin")
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			ok        int
			conflicts int
			other     []error
		)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(admin *account.User) {
				defer wg.Done()
				_, err := f.svc.Issue(f.ctx, actor(admin), admin, []string{u.ID})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case apperr.Is(err, apperr.Conflict):
					conflicts++
				default:
					other = append(other, err)
				}
			}([]*account.User{f.admin, admin3}[i%2])
		}
		wg.Wait()
		if ok != 1 || conflicts != 7 || len(other) > 0 {
			t.Fatalf("ok=%d conflicts=%d other=%v", ok, conflicts, other)
		}
		n, err := f.db.NewSelect().Model((*certificate.Certificate)(nil)).Where("candidate_id = ?", u.ID).Count(f.ctx)
		if err != nil || n != 1 {
			t.Fatalf("%d certificates (%v)", n, err)
		}
		// The database itself refuses a second active certificate (the backstop the race relies on).
		var c certificate.Certificate
		if err := f.db.NewSelect().Model(&c).Where("candidate_id = ?", u.ID).Scan(f.ctx); err != nil {
			t.Fatal(err)
		}
		dup := c
		dup.ID, dup.Number, dup.VerifyCode, dup.PDFKey = uuid.NewString(), c.Number+"-X", "dupdupdupdupdupdupdu", "certificates/dup.pdf"
		dup.StatusIndex = nil // a copy may not share the original's status list position either
		if _, err := f.db.NewInsert().Model(&dup).Exec(f.ctx); !errors.Is(database.Err(err), database.ErrConflict) {
			t.Fatalf("second active row: %v", err)
		}
		dup.Status, dup.RevokedAt = certificate.StatusRevoked, &c.IssuedAt
		if _, err := f.db.NewInsert().Model(&dup).Exec(f.ctx); err != nil {
			t.Fatalf("a revoked row beside the active one: %v", err)
		}
		// The losers gave their numbers back: the next certificate is number 2.
		if c := f.issue(f.candidate("Next One")); !strings.HasSuffix(c.Number, "-000002") {
			t.Fatalf("next number %s", c.Number)
		}
		// Each PDF in the store belongs to a certificate.
		objs, err := f.store.List(f.ctx, "certificates/")
		if err != nil || len(objs) != 2 {
			t.Fatalf("stored PDFs: %d (%v)", len(objs), err)
		}
	})
}

func TestVerifyCodes(t *testing.T) {
	func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		seen := map[string]bool{}
		var cands []string
		for i := 0; i < 30; i++ {
			cands = append(cands, f.candidate("Vera Code").ID)
		}
		cs, err := f.svc.Issue(f.ctx, actor(f.admin), f.admin, cands)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			// Each code is new (its form, 20 characters of a 32-letter alphabet = 100 bits, is checked above).
			if seen[c.VerifyCode] {
				t.Fatalf("verify code %q", c.VerifyCode)
			}
			seen[c.VerifyCode] = true
		}
	}(t, dbtest.SQLite)
}

func TestFoldName(t *testing.T) {
	for in, want := range map[string]string{
		"Nuñez-O'Brien": "nunezobrien", "NUÑEZ O’BRIEN": "nunezobrien", "Zoë": "zoe", "Øster": "oster",
		"Straße": "strasse", "  ": "", "Łukasz": "lukasz", "Ĳssel": "ijssel",
	} {
		if got := certificate.FoldName(in); got != want {
			t.Errorf("FoldName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := certificate.LastNameNorm(holderName); got != "obrien" {
		t.Errorf("last name norm %q", got)
	}
}

func TestHolderNameFromApprovedApplication(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		u := f.candidate("Zoe N")
		now := time.Now().UTC().Truncate(time.Microsecond)
		for _, app := range []struct{ status, name string }{{"approved", "Zoë Nuñez-O'Brien"}, {"withdrawn", "Someone Else"}} {
			if _, err := f.db.NewRaw("INSERT INTO applications (id, candidate_id, vendor_id, status, legal_name, decided_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				uuid.NewString(), u.ID, f.vendor.ID, app.status, app.name, now, now, now).Exec(f.ctx); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := f.svc.Ready(f.ctx, f.admin)
		if err != nil || len(rows) != 1 || rows[0].Name != holderName {
			t.Fatalf("ready: %+v %v", rows, err)
		}
		if c := f.issue(u); c.HolderName != holderName {
			t.Fatalf("holder name %q", c.HolderName)
		}
		// With another vendor (no application there) the account name is used.
		cs, err := f.svc.Issue(f.ctx, actor(f.admin2), f.admin2, []string{u.ID})
		if err != nil || cs[0].HolderName != "Zoe N" {
			t.Fatalf("other vendor: %+v %v", cs, err)
		}
	})
}

// The CSV export shows dates as printed on the certificate (Pennsylvania calendar dates, not UTC),
// defuses formula-like names, and is for vendor administrators only.
func TestExportCSV(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		f.setNow(time.Date(2027, 3, 15, 2, 0, 0, 0, time.UTC)) // 22:00 on March 14 in Pennsylvania
		c := f.issue(f.candidate("=HYPERLINK(\"http://x\") Smith"))
		var buf bytes.Buffer
		if err := f.svc.ExportCSV(f.ctx, f.admin, &buf); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[1][0] != c.Number {
			t.Fatalf("rows %q", rows)
		}
		if got := rows[1]; !strings.HasPrefix(got[1], "'=") || got[2] != certificate.StateActive || got[3] != "2027-03-14" || got[4] != "2029-03-14" {
			t.Fatalf("row %q: want a defused name, active, issued 2027-03-14, valid until 2029-03-14", got)
		}
		if err := f.svc.ExportCSV(f.ctx, f.trainer, &bytes.Buffer{}); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("trainer export: %v", err)
		}
	})
}

package certificate_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/sealbox"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

var proofPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// at is a time in Pennsylvania.
func at(y int, m time.Month, d, hour int) time.Time {
	return time.Date(y, m, d, hour, 0, 0, 0, ce.Pennsylvania)
}

func (f *fixture) record(holder *account.User, certID, date, hours string, c ce.Category) *ce.Activity {
	f.t.Helper()
	a, err := f.ces.Record(f.ctx, actor(holder), holder, certID, ce.ActivityInput{Title: "Workshop " + date, Provider: "PA Peer Network", Date: date, Hours: hours, Category: c}, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func (f *fixture) verify(acts ...*ce.Activity) {
	f.t.Helper()
	for _, a := range acts {
		if err := f.ces.Review(f.ctx, actor(f.admin), f.admin, a.ID, true, ""); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fixture) status(c certificate.Certificate) string {
	f.t.Helper()
	p, err := f.svc.Verify(f.ctx, c.VerifyCode)
	if err != nil {
		f.t.Fatal(err)
	}
	return p.Status
}

func TestRevokeAndReinstate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		zoe := f.candidate(holderName)
		c := f.issue(zoe)
		if err := f.svc.Revoke(f.ctx, actor(f.admin), f.admin, c.ID, "  "); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("revoke without reason: %v", err)
		}
		for _, u := range []*account.User{f.admin2, f.trainer, zoe} {
			if err := f.svc.Revoke(f.ctx, actor(u), u, c.ID, "no"); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("%s revoked: %v", u.Name, err)
			}
		}
		if err := f.svc.Revoke(f.ctx, actor(f.admin), f.admin, c.ID, "Issued to the wrong person"); err != nil {
			t.Fatal(err)
		}
		pub, err := f.svc.Verify(f.ctx, c.VerifyCode)
		if err != nil || pub.Status != certificate.StateRevoked || pub.RevokedAt == nil {
			t.Fatalf("after revoke: %+v %v", pub, err)
		}
		assertPublicKeys(t, pub)
		if p, err := f.svc.Lookup(f.ctx, c.Number, "O'Brien"); err != nil || p.Status != certificate.StateRevoked {
			t.Fatalf("lookup after revoke: %+v %v", p, err)
		}
		if err := f.svc.Revoke(f.ctx, actor(f.admin), f.admin, c.ID, "again"); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("revoked twice: %v", err)
		}
		if _, err := f.svc.Renew(f.ctx, actor(f.admin), f.admin, c.ID); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("renewed a revoked certificate: %v", err)
		}
		if _, err := f.ces.Record(f.ctx, actor(zoe), zoe, c.ID, ce.ActivityInput{Title: "x", Provider: "y", Date: "2027-03-14", Hours: "1", Category: ce.General}, nil); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("CE on a revoked certificate: %v", err)
		}
		st, err := f.svc.Dashboard(f.ctx, f.admin)
		if err != nil || st.Revoked != 1 || st.Active != 0 {
			t.Fatalf("dashboard after revoke: %+v %v", st, err)
		}

		if err := f.svc.Reinstate(f.ctx, actor(f.admin), f.admin, c.ID, ""); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("reinstate without reason: %v", err)
		}
		if err := f.svc.Reinstate(f.ctx, actor(f.admin2), f.admin2, c.ID, "x"); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("other vendor reinstated: %v", err)
		}
		if err := f.svc.Reinstate(f.ctx, actor(f.admin), f.admin, c.ID, "Identity confirmed"); err != nil {
			t.Fatal(err)
		}
		pub, _ = f.svc.Verify(f.ctx, c.VerifyCode)
		if pub.Status != certificate.StateActive || pub.RevokedAt != nil {
			t.Fatalf("after reinstate: %+v", pub)
		}
		if err := f.svc.Reinstate(f.ctx, actor(f.admin), f.admin, c.ID, "again"); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("reinstated twice: %v", err)
		}
		if f.auditCount("certificate.revoke", c.ID) != 1 || f.auditCount("certificate.reinstate", c.ID) != 1 {
			t.Fatal("revoke/reinstate not audited once each")
		}
		var revokedMail bool
		for _, m := range f.mails(zoe.Email) {
			if strings.Contains(m.Subject, "revoked") && strings.Contains(m.Body, "Issued to the wrong person") {
				revokedMail = true
			}
		}
		if !revokedMail {
			t.Fatal("holder not told of the revocation")
		}

		// Reinstating while the holder has since been given another active certificate is refused.
		if err := f.svc.Revoke(f.ctx, actor(f.admin), f.admin, c.ID, "Replaced"); err != nil {
			t.Fatal(err)
		}
		// The holder is ready again (a replacement is how a certificate is corrected) but flagged, so the
		// page does not pre-select them.
		rows, err := f.svc.Ready(f.ctx, f.admin)
		if err != nil || len(rows) != 1 || rows[0].CandidateID != zoe.ID || len(rows[0].Revoked) != 1 || rows[0].Revoked[0] != c.Number {
			t.Fatalf("ready after revocation: %+v %v", rows, err)
		}
		c2 := f.issue(zoe)
		if err := f.svc.Reinstate(f.ctx, actor(f.admin), f.admin, c.ID, "oops"); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("two active certificates: %v", err)
		}
		if f.status(c2) != certificate.StateActive {
			t.Fatal("replacement not active")
		}
	})
}

func TestRecordReviewRenew(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		f.setNow(at(2027, 3, 14, 11))
		zoe := f.candidate(holderName)
		stranger := f.candidate("Sam Stranger")
		c := f.issue(zoe)

		_, err := f.svc.Renew(f.ctx, actor(f.admin), f.admin, c.ID)
		if e, ok := apperr.As(err); !ok || e.Code != "ce_not_met" || !strings.Contains(e.Message, "18 hours more in total (0 of 18)") ||
			!strings.Contains(e.Message, "March 14, 2027 to March 13, 2028") || !strings.Contains(e.Message, "March 14, 2028 to March 13, 2029") {
			t.Fatalf("renew without CE: %v", err)
		}
		if _, err := f.svc.Renew(f.ctx, actor(f.admin2), f.admin2, c.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("other vendor renewed: %v", err)
		}
		renewable := func() bool {
			t.Helper()
			cs, err := f.svc.List(f.ctx, f.admin)
			if err != nil {
				t.Fatal(err)
			}
			ok, err := f.svc.Renewable(f.ctx, cs)
			if err != nil {
				t.Fatal(err)
			}
			return ok[c.ID]
		}
		if renewable() {
			t.Error("Renewable without CE")
		}

		// Field validation.
		f.setNow(at(2027, 9, 1, 10))
		good := ce.ActivityInput{Title: "Trauma-informed peer support", Provider: "PA Peer Network", Date: "2027-08-01", Hours: "12", Category: ce.PeerSupportRecovery}
		bad := map[string]func(*ce.ActivityInput){
			"date":      func(in *ce.ActivityInput) { in.Date = "2027-09-02" },   // future
			"hours":     func(in *ce.ActivityInput) { in.Hours = "0" },           // not more than 0
			"category":  func(in *ce.ActivityInput) { in.Category = "wellness" }, // unknown
			"title":     func(in *ce.ActivityInput) { in.Title = " " },           // required
			"provider":  func(in *ce.ActivityInput) { in.Provider = "a\nb" },     // control character
			"date ":     func(in *ce.ActivityInput) { in.Date = "2027-03-13" },   // before the issue date
			"hours ":    func(in *ce.ActivityInput) { in.Hours = "40.5" },        // over 40
			"hours  ":   func(in *ce.ActivityInput) { in.Hours = "-2" },          // negative
			"hours   ":  func(in *ce.ActivityInput) { in.Hours = "1.234" },       // too precise
			" date":     func(in *ce.ActivityInput) { in.Date = "01/08/2027" },   // format
			"hours    ": func(in *ce.ActivityInput) { in.Hours = "twelve" },      // not a number
		}
		for field, mutate := range bad {
			in := good
			mutate(&in)
			_, err := f.ces.Record(f.ctx, actor(zoe), zoe, c.ID, in, nil)
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid || e.Fields[strings.TrimSpace(field)] == "" {
				t.Fatalf("%s: %v", field, err)
			}
		}
		_, err = f.ces.Record(f.ctx, actor(zoe), zoe, c.ID, good, strings.NewReader("just some text, not a document"))
		if e, ok := apperr.As(err); !ok || e.Fields["proof"] == "" {
			t.Fatalf("text proof: %v", err)
		}
		if _, err := f.ces.Record(f.ctx, actor(zoe), zoe, c.ID, good, io.MultiReader(bytes.NewReader(proofPDF), bytes.NewReader(make([]byte, ce.MaxProofSize)))); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("proof over 10 MB: %v", err)
		}
		if _, err := f.ces.Record(f.ctx, actor(stranger), stranger, c.ID, good, nil); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("stranger recorded: %v", err)
		}
		if _, err := f.ces.Record(f.ctx, actor(f.admin), f.admin, c.ID, good, nil); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("admin recorded as holder: %v", err)
		}
		if n, err := f.db.NewSelect().Model((*ce.Activity)(nil)).Count(f.ctx); err != nil || n != 0 {
			t.Fatalf("%d activities stored by failed calls", n)
		}

		a1, err := f.ces.Record(f.ctx, actor(zoe), zoe, c.ID, good, bytes.NewReader(proofPDF))
		if err != nil {
			t.Fatal(err)
		}
		if !a1.HasProof() || a1.Status != ce.StatusSubmitted || a1.Hours() != 12 {
			t.Fatalf("activity: %+v", a1)
		}
		a2 := f.record(zoe, c.ID, "2027-08-15", "6", ce.General)
		rc, obj, err := f.ces.Proof(f.ctx, f.admin, a1.ID)
		if err != nil || obj.ContentType != "application/pdf" {
			t.Fatalf("proof for admin: %v", err)
		}
		rc.Close()
		if _, _, err := f.ces.Proof(f.ctx, f.admin2, a1.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("other vendor saw the proof: %v", err)
		}
		if _, _, err := f.ces.Proof(f.ctx, stranger, a1.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("stranger saw the proof: %v", err)
		}
		ps, err := f.ces.Progress(f.ctx, zoe, c.ID)
		if err != nil || len(ps) != 2 || ps[0].Total != 0 || ps[0].Pending != 18 || ps[0].Met {
			t.Fatalf("progress before review: %+v %v", ps, err)
		}
		if _, err := f.ces.Progress(f.ctx, f.admin2, c.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("other vendor saw progress: %v", err)
		}
		q, err := f.ces.Queue(f.ctx, f.admin)
		if err != nil || len(q) != 2 || q[0].CertificateNumber != c.Number || q[0].HolderName != holderName {
			t.Fatalf("queue: %+v %v", q, err)
		}
		if q, err := f.ces.Queue(f.ctx, f.admin2); err != nil || len(q) != 0 {
			t.Fatalf("other vendor's queue: %+v", q)
		}
		if st, _ := f.svc.Dashboard(f.ctx, f.admin); st.CEAwaitingReview != 2 || st.Active != 1 {
			t.Fatalf("dashboard: %+v", st)
		}

		// Review: the vendor's admins only; rejecting needs a reason.
		if err := f.ces.Review(f.ctx, actor(f.admin2), f.admin2, a1.ID, true, ""); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("other vendor reviewed: %v", err)
		}
		if err := f.ces.Review(f.ctx, actor(zoe), zoe, a1.ID, true, ""); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("holder reviewed: %v", err)
		}
		if err := f.ces.Review(f.ctx, actor(f.admin), f.admin, a2.ID, false, ""); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("reject without reason: %v", err)
		}
		if err := f.ces.Review(f.ctx, actor(f.admin), f.admin, a2.ID, false, "No certificate of attendance"); err != nil {
			t.Fatal(err)
		}
		f.verify(a1)
		if err := f.ces.Review(f.ctx, actor(f.admin), f.admin, a1.ID, true, ""); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("verified twice: %v", err)
		}
		ps, _ = f.ces.Progress(f.ctx, zoe, c.ID)
		if ps[0].Total != 12 || ps[0].Met || !strings.Contains(strings.Join(ps[0].Unmet, ";"), "6 hours more in total") {
			t.Fatalf("after reject: %+v", ps[0])
		}
		f.verify(a2) // a correction: verified after all
		ps, _ = f.ces.Progress(f.ctx, zoe, c.ID)
		if !ps[0].Met || ps[1].Met {
			t.Fatalf("after verifying: %+v", ps)
		}
		if f.auditCount("ce.verify", a2.ID) != 1 || f.auditCount("ce.reject", a2.ID) != 1 || f.auditCount("ce.record", a1.ID) != 1 {
			t.Fatal("CE not audited")
		}

		// The second cycle is still short: renewal names it.
		_, err = f.svc.Renew(f.ctx, actor(f.admin), f.admin, c.ID)
		if e, ok := apperr.As(err); !ok || e.Code != "ce_not_met" || strings.Contains(e.Message, "March 14, 2027 to") || !strings.Contains(e.Message, "March 14, 2028 to March 13, 2029") {
			t.Fatalf("renew with one cycle met: %v", err)
		}
		if renewable() {
			t.Error("Renewable with one cycle met")
		}

		f.setNow(at(2028, 9, 1, 10))
		f.verify(f.record(zoe, c.ID, "2028-03-14", "12", ce.PeerSupportRecovery), f.record(zoe, c.ID, "2028-08-30", "6", ce.Ethics))
		oldCred := c.CredentialJSON
		if !renewable() {
			t.Error("not Renewable with every cycle met")
		}
		r, err := f.svc.Renew(f.ctx, actor(f.admin), f.admin, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := at(2031, 3, 14, 0).UTC(); !r.ExpiresAt.Equal(want) || !r.ValidFrom.Equal(c.ExpiresAt) || r.Number != c.Number || r.VerifyCode != c.VerifyCode {
			t.Fatalf("renewed: expires %s valid from %s", r.ExpiresAt, r.ValidFrom)
		}
		if f.auditCount("certificate.renew", c.ID) != 1 {
			t.Fatal("renewal not audited")
		}
		// New credential and PDF with the new date; the old PDF is gone.
		jws, _ := f.svc.Credential(f.ctx, zoe, c.ID)
		if string(jws) == oldCred {
			t.Fatal("credential not signed again")
		}
		keys, _ := f.svc.PublicKeys(f.ctx)
		jwks, _ := certificate.JWKS(keys)
		set, _ := certificate.ParseJWKS(jwks)
		claims, err := certificate.VerifyCredentialAt(jws, set, at(2030, 6, 1, 0))
		if err != nil || !claims.ValidUntil.Equal(r.ExpiresAt) || !claims.ValidFrom.Equal(c.IssuedAt.Truncate(time.Second)) {
			t.Fatalf("renewed credential: %+v %v", claims, err)
		}
		if _, err := f.store.Stat(f.ctx, c.PDFKey); err != media.ErrNotFound {
			t.Fatalf("old PDF still stored: %v", err)
		}
		rc, err = f.svc.PDF(f.ctx, zoe, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := io.ReadAll(rc)
		rc.Close()
		if text := pdfText(t, doc); !strings.Contains(text, "March 14, 2031") {
			t.Fatalf("renewed PDF:\n%s", text)
		}
		// The new validity's cycles are empty: no second renewal yet.
		if _, err := f.svc.Renew(f.ctx, actor(f.admin), f.admin, c.ID); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("renewed twice: %v", err)
		}
		ps, _ = f.ces.Progress(f.ctx, zoe, c.ID)
		if len(ps) != 2 || ps[0].Start.Format(ce.DateLayout) != "2029-03-14" || ps[1].End.Format(ce.DateLayout) != "2031-03-14" {
			t.Fatalf("cycles after renewal: %+v", ps)
		}
		// A PDF lost from the store is drawn again.
		if err := f.store.Delete(f.ctx, r.PDFKey); err != nil {
			t.Fatal(err)
		}
		rc, err = f.svc.PDF(f.ctx, f.admin, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ = io.ReadAll(rc)
		rc.Close()
		if !bytes.HasPrefix(doc, []byte("%PDF-")) {
			t.Fatal("redrawn PDF")
		}
	})
}

func TestLapseAndReactivation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		f.setNow(at(2027, 3, 14, 11))
		zoe := f.candidate(holderName)
		c := f.issue(zoe)
		keen := f.candidate("Kim Keen")
		ck := f.issue(keen)
		grace := 30 * 24 * time.Hour

		// The first cycle ends at the start of 2028-03-14; within the grace period nothing lapses.
		f.setNow(at(2027, 12, 1, 9))
		f.verify(f.record(keen, ck.ID, "2027-11-30", "18", ce.PeerSupportRecovery))
		for _, now := range []time.Time{at(2028, 3, 1, 0), at(2028, 3, 20, 0), at(2028, 4, 13, 0)} {
			if l, cl, err := f.svc.UpdateLapses(f.ctx, now, grace); err != nil || l != 0 || cl != 0 {
				t.Fatalf("at %s: lapsed %d cleared %d %v", now, l, cl, err)
			}
		}
		// Past the grace period, two workers at once: the certificate lapses once.
		now := at(2028, 4, 14, 1)
		f.setNow(now)
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, _, err := f.svc.UpdateLapses(context.Background(), now, grace)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += l
				mu.Unlock()
			}()
		}
		wg.Wait()
		if total != 1 || f.auditCount("certificate.lapse", c.ID) != 1 {
			t.Fatalf("lapsed %d times, audited %d", total, f.auditCount("certificate.lapse", c.ID))
		}
		if f.status(c) != certificate.StateLapsed || f.status(ck) != certificate.StateActive {
			t.Fatalf("statuses %s %s", f.status(c), f.status(ck))
		}
		if st, _ := f.svc.Dashboard(f.ctx, f.admin); st.Lapsed != 1 || st.Active != 1 {
			t.Fatalf("dashboard: %+v", st)
		}
		lapseMails := 0
		for _, m := range f.mails(zoe.Email) {
			if strings.Contains(m.Subject, "lapsed") {
				lapseMails++
			}
		}
		if lapseMails != 1 {
			t.Fatalf("%d lapse emails", lapseMails)
		}
		if l, cl, err := f.svc.UpdateLapses(f.ctx, now.Add(time.Hour), grace); err != nil || l != 0 || cl != 0 {
			t.Fatal("lapsed again")
		}

		// Activities from the missed cycle, verified later, reactivate it.
		a1 := f.record(zoe, c.ID, "2028-02-10", "12", ce.PeerSupportRecovery)
		a2 := f.record(zoe, c.ID, "2028-03-13", "5.5", ce.General)
		f.verify(a1, a2)
		if _, cl, err := f.svc.UpdateLapses(f.ctx, now.Add(2*time.Hour), grace); err != nil || cl != 0 {
			t.Fatal("cleared with 17.5 hours")
		}
		f.verify(f.record(zoe, c.ID, "2027-06-01", "0.5", ce.Ethics))
		if _, cl, err := f.svc.UpdateLapses(f.ctx, now.Add(3*time.Hour), grace); err != nil || cl != 1 {
			t.Fatalf("cleared %d %v", cl, err)
		}
		if f.status(c) != certificate.StateActive || f.auditCount("certificate.lapse_clear", c.ID) != 1 {
			t.Fatalf("after the rule is met: %s", f.status(c))
		}
		f.setNow(at(2029, 2, 1, 0))
		if st, _ := f.svc.Dashboard(f.ctx, f.admin); st.ExpiringIn60Days != 2 || st.Active != 2 {
			t.Fatalf("dashboard before expiry: %+v", st)
		}
		// Expiry outranks everything; revocation outranks expiry.
		f.setNow(at(2029, 3, 14, 0))
		if f.status(c) != certificate.StateExpired {
			t.Fatalf("at expiry: %s", f.status(c))
		}
		if err := f.svc.Revoke(f.ctx, actor(f.admin), f.admin, ck.ID, "Misconduct"); err != nil {
			t.Fatal(err)
		}
		if f.status(ck) != certificate.StateRevoked {
			t.Fatal("revoked and expired shows as expired")
		}
		if st, _ := f.svc.Dashboard(f.ctx, f.admin); st.Expired != 1 || st.Revoked != 1 || st.Active != 0 || st.Lapsed != 0 {
			t.Fatalf("dashboard at expiry: %+v", st)
		}
	})
}

func TestReminders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		f.setNow(at(2027, 3, 14, 11))
		zoe := f.candidate(holderName)
		c := f.issue(zoe)
		done := f.candidate("Dana Done")
		cd := f.issue(done)
		f.setNow(at(2027, 10, 1, 9))
		f.verify(f.record(done, cd.ID, "2027-09-30", "18", ce.PeerSupportRecovery))
		f.verify(f.record(zoe, c.ID, "2027-09-30", "10", ce.PeerSupportRecovery))

		reminders := func(u *account.User) []notify.Message {
			var out []notify.Message
			for _, m := range f.mails(u.Email) {
				if strings.HasPrefix(m.Subject, "Continuing education") {
					out = append(out, m)
				}
			}
			return out
		}
		both := func(now time.Time) {
			var wg sync.WaitGroup
			for i := 0; i < 2; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := f.svc.SendCEReminders(context.Background(), now); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
		}
		both(at(2028, 1, 13, 8)) // 61 days before the cycle ends (2028-03-14)
		if n := len(reminders(zoe)); n != 0 {
			t.Fatalf("%d reminders 61 days ahead", n)
		}
		both(at(2028, 1, 14, 8)) // 60 days
		both(at(2028, 1, 20, 8))
		rs := reminders(zoe)
		if len(rs) != 1 || !strings.Contains(rs[0].Body, c.Number) || !strings.Contains(rs[0].Body, "8 hours more in total (10 of 18)") ||
			!strings.Contains(rs[0].Body, baseURL+"/certificates/"+c.ID) {
			t.Fatalf("60-day reminder: %+v", rs)
		}
		both(at(2028, 2, 13, 8)) // 30 days
		both(at(2028, 3, 13, 20))
		if rs := reminders(zoe); len(rs) != 2 {
			t.Fatalf("%d reminders after the 30-day one", len(rs))
		}
		if rs := reminders(done); len(rs) != 0 {
			t.Fatalf("reminded a holder whose rule is met: %+v", rs)
		}
		// The next cycle has its own reminders (mail is listed newest first).
		both(at(2029, 1, 20, 8))
		if rs := reminders(zoe); len(rs) != 3 || !strings.Contains(rs[0].Body, "March 14, 2029") {
			t.Fatalf("next cycle: %d", len(rs))
		}
		if rs := reminders(done); len(rs) != 1 {
			t.Fatalf("the other holder's second cycle: %d", len(rs))
		}
		var keys []string
		if err := f.db.NewSelect().Model((*notify.Message)(nil)).Column("dedupe_key").Where("dedupe_key LIKE ?", "ce-"+c.ID+"-%").Order("dedupe_key").Scan(f.ctx, &keys); err != nil {
			t.Fatal(err)
		}
		want := []string{"ce-" + c.ID + "-2028-03-14-30", "ce-" + c.ID + "-2028-03-14-60", "ce-" + c.ID + "-2029-03-14-60"}
		if strings.Join(keys, ",") != strings.Join(want, ",") {
			t.Fatalf("dedupe keys %v, want %v", keys, want)
		}
	})
}

// After an encryption-key rotation, Reseal moves vendor signing keys to the new key; certificates
// are then still issued (and signed with the same vendor key) with the old encryption key removed.
func TestResealVendorKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		first := f.issue(f.candidate(holderName)) // creates the vendor's signing key, sealed under k1
		rotated, err := sealbox.NewKeyring("k2", map[string][]byte{"k1": bytes.Repeat([]byte{9}, 32), "k2": bytes.Repeat([]byte{5}, 32)})
		if err != nil {
			t.Fatal(err)
		}
		f.svc.Keys = rotated
		if n, err := f.svc.Reseal(f.ctx); n != 1 || err != nil {
			t.Fatalf("reseal: %d %v; want 1", n, err)
		}
		f.svc.Keys, _ = sealbox.NewKeyring("k2", map[string][]byte{"k2": bytes.Repeat([]byte{5}, 32)})
		if n, err := f.svc.Reseal(f.ctx); n != 0 || err != nil {
			t.Fatalf("second reseal: %d %v", n, err)
		}
		second := f.issue(f.candidate("Sam Second"))
		keys, err := f.svc.PublicKeys(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, k := range keys {
			if k.VendorID == f.vendor.ID {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("the vendor has %d signing keys after resealing; want the same one", n)
		}
		// Both credentials name the same key: resealing kept the signing key, it did not replace it.
		kidOf := func(jws string) string {
			h, _, _ := strings.Cut(jws, ".")
			b, err := base64.RawURLEncoding.DecodeString(h)
			if err != nil {
				t.Fatal(err)
			}
			var hdr struct {
				Kid string `json:"kid"`
			}
			if err := json.Unmarshal(b, &hdr); err != nil {
				t.Fatal(err)
			}
			return hdr.Kid
		}
		if a, b := kidOf(first.CredentialJSON), kidOf(second.CredentialJSON); a == "" || a != b {
			t.Fatalf("signed with %q before resealing and %q after; want the same key", a, b)
		}
	})
}

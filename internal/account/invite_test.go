package account_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

func actorOf(u *account.User) audit.Actor {
	return audit.Actor{UserID: u.ID, Role: u.Role, VendorID: u.Vendor(), IP: actor.IP}
}

func TestInviteAndAccept(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		va := f.vendor("harbour", true)
		other := f.vendor("elsewhere", true)
		admin := f.user(account.RoleVendorAdmin, va.ID)

		// The vendor id in the input is ignored for a vendor admin: always their own vendor.
		if err := f.svc.Invite(f.ctx, actorOf(admin), admin, account.InviteInput{Email: " New.Trainer@Example.ORG ", Role: account.RoleTrainer, VendorID: other.ID}); err != nil {
			t.Fatal(err)
		}
		m := f.lastMail("new.trainer@example.org")
		if m.Subject != "You are invited to PeerAcademy" || !strings.Contains(m.Body, "Harbour Training") || !strings.Contains(m.Body, admin.Name) {
			t.Fatalf("invitation %q:\n%s", m.Subject, m.Body)
		}
		tok := tokenIn(t, m.Body, "/invite")
		inv, err := f.svc.CheckInvite(f.ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if *inv != (account.Invitation{Email: "new.trainer@example.org", Role: account.RoleTrainer, VendorName: "Harbour Training"}) {
			t.Fatalf("invitation %+v", inv)
		}
		if n := f.count((*audit.Event)(nil), "action = ? AND vendor_id = ?", "user.invite", va.ID); n != 1 {
			t.Fatalf("user.invite events for the vendor: %d", n)
		}

		// Bad input spends nothing.
		for _, bad := range []struct{ name, pw, field string }{
			{"", "lantern over the quiet harbour", "name"},
			{"New Trainer", "short", "password"},
			{"New Trainer", "new.trainer 4 ever!", "password"},
		} {
			_, err := f.svc.AcceptInvite(f.ctx, actor, tok, bad.name, bad.pw)
			wantField(t, err, bad.field)
		}
		if _, err := f.svc.CheckInvite(f.ctx, tok); err != nil {
			t.Fatalf("refused input spent the invitation: %v", err)
		}

		u, err := f.svc.AcceptInvite(f.ctx, actor, tok, "  New Trainer ", "lantern over the quiet harbour")
		if err != nil {
			t.Fatal(err)
		}
		got := f.reload(u.ID)
		if got.Email != "new.trainer@example.org" || got.Name != "New Trainer" || got.Role != account.RoleTrainer ||
			got.Vendor() != va.ID || got.EmailVerifiedAt == nil || got.MFAEnabled() {
			t.Fatalf("accepted user %+v", got)
		}
		if n := f.auditCount("user.accept_invite", u.ID); n != 1 {
			t.Fatalf("accept_invite events %d", n)
		}
		_, err = f.svc.AcceptInvite(f.ctx, actor, tok, "Someone Else", "another fine passphrase")
		wantErr(t, err, account.ErrTokenInvalid)
		_, err = f.svc.CheckInvite(f.ctx, tok)
		wantErr(t, err, account.ErrTokenInvalid)

		// The new trainer signs in and must enrol an authenticator first.
		au, err := f.svc.Authenticate(f.ctx, actor, "new.trainer@example.org", "lantern over the quiet harbour")
		if err != nil {
			t.Fatal(err)
		}
		if _, s := f.session(au, account.KindWeb); s.Stage != account.StageMFASetup {
			t.Fatalf("stage %q, want mfa_setup", s.Stage)
		}
	})
}

func TestInviteRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		rec := f.vendor("recognised", true)
		unrec := f.vendor("pending", false)
		adminRec := f.user(account.RoleVendorAdmin, rec.ID)
		adminUnrec := f.user(account.RoleVendorAdmin, unrec.ID)
		trainer := f.user(account.RoleTrainer, rec.ID)
		cand := f.user(account.RoleCandidate, "", withEmail("taken@example.org"))
		platform := f.user(account.RolePlatformAdmin, "")

		cases := []struct {
			name  string
			actor *account.User
			in    account.InviteInput
			check func(t *testing.T, err error) // nil: allowed
		}{
			{"unrecognised vendor's admin", adminUnrec, account.InviteInput{Email: "a1@example.org", Role: account.RoleTrainer}, func(t *testing.T, err error) {
				wantKind(t, err, apperr.Forbidden, "vendor_not_recognised")
			}},
			{"existing account", adminRec, account.InviteInput{Email: " TAKEN@example.org", Role: account.RoleTrainer}, func(t *testing.T, err error) { wantField(t, err, "email") }},
			{"existing staff account", adminRec, account.InviteInput{Email: trainer.Email, Role: account.RoleVendorAdmin}, func(t *testing.T, err error) { wantField(t, err, "email") }},
			{"bad email", adminRec, account.InviteInput{Email: "nope", Role: account.RoleTrainer}, func(t *testing.T, err error) { wantField(t, err, "email") }},
			{"role candidate", adminRec, account.InviteInput{Email: "a2@example.org", Role: account.RoleCandidate}, func(t *testing.T, err error) { wantField(t, err, "role") }},
			{"role platform admin", platform, account.InviteInput{Email: "a3@example.org", Role: account.RolePlatformAdmin, VendorID: rec.ID}, func(t *testing.T, err error) { wantField(t, err, "role") }},
			{"trainer", trainer, account.InviteInput{Email: "a4@example.org", Role: account.RoleTrainer}, func(t *testing.T, err error) { wantKind(t, err, apperr.Forbidden, "forbidden") }},
			{"candidate", cand, account.InviteInput{Email: "a5@example.org", Role: account.RoleTrainer}, func(t *testing.T, err error) { wantKind(t, err, apperr.Forbidden, "forbidden") }},
			{"platform admin without vendor", platform, account.InviteInput{Email: "a6@example.org", Role: account.RoleVendorAdmin}, func(t *testing.T, err error) { wantField(t, err, "vendor_id") }},
			{"platform admin, unknown vendor", platform, account.InviteInput{Email: "a7@example.org", Role: account.RoleVendorAdmin, VendorID: "no-such-vendor"}, func(t *testing.T, err error) { wantKind(t, err, apperr.NotFound, "") }},
			{"vendor admin invites a fellow admin", adminRec, account.InviteInput{Email: "fellow@example.org", Role: account.RoleVendorAdmin}, nil},
			{"platform admin invites to an unrecognised vendor", platform, account.InviteInput{Email: "first@example.org", Role: account.RoleVendorAdmin, VendorID: unrec.ID}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := f.count((*account.Token)(nil), "purpose = ?", account.PurposeInvite)
				mailsBefore := f.count((*notify.Message)(nil), "1 = 1")
				err := f.svc.Invite(f.ctx, actorOf(tc.actor), tc.actor, tc.in)
				after := f.count((*account.Token)(nil), "purpose = ?", account.PurposeInvite)
				if tc.check != nil {
					tc.check(t, err)
					if after != before {
						t.Fatal("a refused invitation issued a token")
					}
					if n := f.count((*notify.Message)(nil), "1 = 1"); n != mailsBefore {
						t.Fatalf("a refused invitation sent %d mails", n-mailsBefore)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if after != before+1 {
					t.Fatal("no invitation token issued")
				}
				tok := tokenIn(t, f.lastMail(tc.in.Email).Body, "/invite")
				inv, err := f.svc.CheckInvite(f.ctx, tok)
				if err != nil || inv.Role != tc.in.Role {
					t.Fatalf("invitation %+v %v", inv, err)
				}
			})
		}
	})
}

func TestInviteExpiryAndDoubleAccept(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		v := f.vendor("double", true)
		admin := f.user(account.RoleVendorAdmin, v.ID)
		invite := func() string {
			t.Helper()
			if err := f.svc.Invite(f.ctx, actorOf(admin), admin, account.InviteInput{Email: "twice@example.org", Role: account.RoleTrainer}); err != nil {
				t.Fatal(err)
			}
			return tokenIn(t, f.lastMail("twice@example.org").Body, "/invite")
		}
		first, second := invite(), invite()

		// Two open invitations for one address: the first acceptance wins, the second is a conflict.
		if _, err := f.svc.AcceptInvite(f.ctx, actor, first, "Twice", "lantern over the quiet harbour"); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.AcceptInvite(f.ctx, actor, second, "Twice Again", "lantern over the quiet harbour")
		wantKind(t, err, apperr.Conflict, "email_taken")
		if n := f.count((*account.User)(nil), "email = ?", "twice@example.org"); n != 1 {
			t.Fatalf("%d users", n)
		}

		// An expired invitation is refused.
		if err := f.svc.Invite(f.ctx, actorOf(admin), admin, account.InviteInput{Email: "late@example.org", Role: account.RoleTrainer}); err != nil {
			t.Fatal(err)
		}
		tok := tokenIn(t, f.lastMail("late@example.org").Body, "/invite")
		f.set((*account.Token)(nil), "expires_at", database.Now().Add(-time.Second), "email = ?", "late@example.org")
		_, err = f.svc.CheckInvite(f.ctx, tok)
		wantErr(t, err, account.ErrTokenInvalid)
		_, err = f.svc.AcceptInvite(f.ctx, actor, tok, "Late", "lantern over the quiet harbour")
		wantErr(t, err, account.ErrTokenInvalid)
		if n := f.count((*account.User)(nil), "email = ?", "late@example.org"); n != 0 {
			t.Fatal("an expired invitation created a user")
		}
	})
}

func TestFirstAdminSetup(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		link1, err := f.svc.SetupLink(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		tok1 := tokenIn(t, link1, "/setup")
		if err := f.svc.CheckSetupToken(f.ctx, tok1); err != nil {
			t.Fatalf("fresh setup token: %v", err)
		}
		// A new link supersedes the older one.
		link2, err := f.svc.SetupLink(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		tok2 := tokenIn(t, link2, "/setup")
		if tok1 == tok2 {
			t.Fatal("SetupLink returned the same token twice")
		}
		wantErr(t, f.svc.CheckSetupToken(f.ctx, tok1), account.ErrTokenInvalid)
		if err := f.svc.CheckSetupToken(f.ctx, tok2); err != nil {
			t.Fatalf("newest setup token: %v", err)
		}
		in := account.RegisterInput{Email: "Root@Example.org", Name: "First Admin", Password: "lantern over the quiet harbour"}
		_, err = f.svc.CompleteSetup(f.ctx, actor, tok1, in)
		wantErr(t, err, account.ErrTokenInvalid)

		// Invalid input is refused without spending the token.
		_, err = f.svc.CompleteSetup(f.ctx, actor, tok2, account.RegisterInput{Email: "root@example.org", Name: "First Admin", Password: "Password1234!"})
		wantField(t, err, "password")
		if err := f.svc.CheckSetupToken(f.ctx, tok2); err != nil {
			t.Fatalf("refused input spent the token: %v", err)
		}

		u, err := f.svc.CompleteSetup(f.ctx, actor, tok2, in)
		if err != nil {
			t.Fatal(err)
		}
		got := f.reload(u.ID)
		if got.Role != account.RolePlatformAdmin || got.Email != "root@example.org" || got.EmailVerifiedAt == nil || got.VendorID != nil {
			t.Fatalf("setup user %+v", got)
		}
		if n := f.auditCount("platform.setup", u.ID); n != 1 {
			t.Fatalf("platform.setup events %d", n)
		}

		link3, err := f.svc.SetupLink(f.ctx)
		if err != nil || link3 != "" {
			t.Fatalf("SetupLink with an admin present = %q, %v; want \"\"", link3, err)
		}
		wantErr(t, f.svc.CheckSetupToken(f.ctx, tok2), account.ErrTokenInvalid)
		_, err = f.svc.CompleteSetup(f.ctx, actor, tok2, account.RegisterInput{Email: "second@example.org", Name: "Second", Password: "lantern over the quiet harbour"})
		wantErr(t, err, account.ErrTokenInvalid)
		if n := f.count((*account.User)(nil), "role = ?", account.RolePlatformAdmin); n != 1 {
			t.Fatalf("%d platform admins", n)
		}
	})
}

func TestSetupTokenRefusedOnceAnAdminExists(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		link, err := f.svc.SetupLink(f.ctx)
		if err != nil || link == "" {
			t.Fatalf("SetupLink: %q %v", link, err)
		}
		// An admin appears by another route (the command line) while the link is unused.
		f.user(account.RolePlatformAdmin, "")
		_, err = f.svc.CompleteSetup(f.ctx, actor, tokenIn(t, link, "/setup"), account.RegisterInput{Email: "late@example.org", Name: "Late", Password: "lantern over the quiet harbour"})
		if !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("CompleteSetup with an admin present: %v", err)
		}
		if n := f.count((*account.User)(nil), "role = ?", account.RolePlatformAdmin); n != 1 {
			t.Fatalf("%d platform admins", n)
		}
	})
}

func TestCreateUserAndVendors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		v := f.vendor("create", true)
		cases := []struct {
			name  string
			in    account.CreateUserInput
			field string // "" when allowed
		}{
			{"trainer without vendor", account.CreateUserInput{Email: "t1@example.org", Name: "T", Role: account.RoleTrainer, Password: fixturePassword}, "vendor"},
			{"candidate with vendor", account.CreateUserInput{Email: "c1@example.org", Name: "C", Role: account.RoleCandidate, VendorID: v.ID, Password: fixturePassword}, "vendor"},
			{"unknown role", account.CreateUserInput{Email: "x1@example.org", Name: "X", Role: "superuser", Password: fixturePassword}, "role"},
			{"weak password", account.CreateUserInput{Email: "x2@example.org", Name: "X", Role: account.RoleCandidate, Password: "password"}, "password"},
			{"trainer", account.CreateUserInput{Email: " T2@Example.org", Name: "T", Role: account.RoleTrainer, VendorID: v.ID, Password: fixturePassword}, ""},
			{"same email again", account.CreateUserInput{Email: "t2@example.org", Name: "T", Role: account.RoleCandidate, Password: fixturePassword}, "email"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				u, err := f.svc.CreateUser(f.ctx, audit.System, tc.in)
				if tc.field != "" {
					wantField(t, err, tc.field)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := f.reload(u.ID); got.Email != "t2@example.org" || got.EmailVerifiedAt == nil || got.Vendor() != v.ID {
					t.Fatalf("created %+v", got)
				}
			})
		}

		// Vendors: slug rules and uniqueness, recognition on and off.
		_, err := f.svc.CreateVendor(f.ctx, audit.System, account.VendorInput{Name: "Dup", Slug: "create"})
		wantField(t, err, "slug")
		for _, in := range []account.VendorInput{
			{Name: "", Slug: "ok"},
			{Name: "X", Slug: "Not A Slug"},
			{Name: "X", Slug: "trailing-"},
			{Name: "X", Slug: "ok2", Timezone: "Mars/Olympus"},
			{Name: "X", Slug: "ok3", Timezone: "UTC"},
			{Name: "X", Slug: "ok4", ContactEmail: "nope"},
		} {
			if _, err := f.svc.CreateVendor(f.ctx, audit.System, in); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("CreateVendor(%+v) = %v, want Invalid", in, err)
			}
		}
		nv, err := f.svc.CreateVendor(f.ctx, audit.System, account.VendorInput{Name: " Quiet Harbour ", Slug: " Quiet-Harbour ", ContactEmail: "Hello@QH.org"})
		if err != nil {
			t.Fatal(err)
		}
		if nv.Slug != "quiet-harbour" || nv.Name != "Quiet Harbour" || nv.Timezone != "America/New_York" || nv.ContactEmail != "hello@qh.org" || nv.Recognised() {
			t.Fatalf("vendor %+v", nv)
		}
		if got, err := f.svc.SetRecognised(f.ctx, audit.System, nv.ID, true); err != nil || !got.Recognised() {
			t.Fatalf("recognise: %+v %v", got, err)
		}
		if got, err := f.svc.SetRecognised(f.ctx, audit.System, nv.ID, false); err != nil || got.Recognised() {
			t.Fatalf("withdraw: %+v %v", got, err)
		}
		if bySlug, err := f.svc.VendorBySlug(f.ctx, "quiet-harbour"); err != nil || bySlug.ID != nv.ID {
			t.Fatalf("VendorBySlug: %v", err)
		}
		recognised, err := f.svc.ListVendors(f.ctx, true)
		if err != nil || len(recognised) != 1 || recognised[0].ID != v.ID {
			t.Fatalf("recognised vendors %+v %v", recognised, err)
		}
		all, _ := f.svc.ListVendors(f.ctx, false)
		if len(all) != 2 {
			t.Fatalf("%d vendors", len(all))
		}
	})
}

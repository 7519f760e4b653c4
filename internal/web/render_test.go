package web

import (
	"html/template"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/certificate"
)

// RenderShared reuses a page across users of a role only when the page does not show who is signed
// in: the account page does, so each user must get their own, never the first visitor's.
func TestRenderSharedNeverSharesAPageThatShowsItsUser(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	users := []*account.User{
		{ID: "u-1", Email: "ann.o'brien@example.org", Name: "Ann O'Brien", Role: account.RoleCandidate},
		{ID: "u-2", Email: "bea@example.org", Name: "Bea Smith", Role: account.RoleCandidate},
	}
	app := fiber.New()
	app.Get("/:n", func(c *fiber.Ctx) error {
		u := users[c.Params("n")[0]-'0']
		p := &Page{Title: "Your account", User: u, CSRF: "token-" + u.ID}
		return r.RenderShared(c, 200, "account", "same-key", p, func() (any, error) { return map[string]any{}, nil })
	})
	for i, u := range users {
		resp, err := app.Test(httptest.NewRequest("GET", "/"+string(rune('0'+i)), nil))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		page := string(b)
		if !strings.Contains(page, "token-"+u.ID) {
			t.Errorf("%s: own CSRF token missing", u.Name)
		}
		for _, other := range users {
			if other != u && (strings.Contains(page, template.HTMLEscapeString(other.Email)) || strings.Contains(page, "token-"+other.ID)) {
				t.Errorf("%s was shown %s's page", u.Name, other.Name)
			}
		}
	}
}

// A page that is the same for everyone is rendered once and each request gets its own token.
func TestRenderSharedSplicesEachRequestsToken(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	renders := 0
	app := fiber.New()
	app.Get("/:tok", func(c *fiber.Ctx) error {
		p := &Page{Title: "Privacy", User: &account.User{ID: "u-x", Email: "x@example.org", Name: "Xavier Q", Role: account.RoleCandidate}, CSRF: c.Params("tok")}
		return r.RenderShared(c, 200, "privacy", "k", p, func() (any, error) { renders++; return nil, nil })
	})
	for _, tok := range []string{"first-token", "second-token"} {
		resp, err := app.Test(httptest.NewRequest("GET", "/"+tok, nil))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if page := string(b); !strings.Contains(page, `value="`+tok+`"`) || strings.Contains(page, r.sentinel) {
			t.Fatalf("%s: token not spliced in", tok)
		}
	}
	if renders != 1 {
		t.Fatalf("rendered %d times; want once", renders)
	}
}

// A candidate whose certificate the vendor revoked is listed as ready (issuing again is how a
// certificate is replaced) but not pre-selected, and the page says why.
func TestReadyListDoesNotPreselectRevokedHolders(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New()
	app.Get("/", func(c *fiber.Ctx) error {
		p := &Page{Title: "Certificates", User: &account.User{ID: "a", Role: account.RoleVendorAdmin}, CSRF: "t",
			Data: map[string]any{"Ready": []certificate.ReadyRow{
				{CandidateID: "c-new", Name: "New Holder", Email: "new@example.org"},
				{CandidateID: "c-rev", Name: "Revoked Holder", Email: "rev@example.org", Revoked: []string{"PA-CPS-X-2026-000001"}},
			}}}
		return r.Render(c, 200, "certificates_admin", p)
	})
	resp, err := app.Test(httptest.NewRequest("GET", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	page := string(b)
	if !strings.Contains(page, `value="c-new" checked>`) {
		t.Error("an ordinary ready candidate is not pre-selected")
	}
	if strings.Contains(page, `value="c-rev" checked`) || !strings.Contains(page, `value="c-rev">`) {
		t.Error("a candidate with a revoked certificate is pre-selected or missing")
	}
	if !strings.Contains(page, "PA-CPS-X-2026-000001") {
		t.Error("the revoked certificate is not named")
	}
}

package app_test

import (
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// "Renew" is offered only when the certificate service would renew: a new certificate, with no
// continuing education yet, shows why instead of a button that ends in an error.
func TestRenewOnlyWhenPossible(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	p, cert := env.Certified("renewbtn")
	page := apptest.Body(get(env, "/vendor/certificates", cookie(env, p.Admin)))
	if !strings.Contains(page, cert.Number) {
		t.Fatalf("the certificate is not listed")
	}
	if strings.Contains(page, `/vendor/certificates/`+cert.ID+`/renew"`) || !strings.Contains(page, "Renewal opens once its continuing education is met.") {
		t.Error("Renew offered for a certificate whose CE is not met")
	}
}

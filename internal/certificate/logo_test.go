package certificate_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"testing"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// The logo a vendor uploads on the Organisation page is drawn on the certificates it issues.
func TestCertificateCarriesTheVendorLogo(t *testing.T) {
	f := newFixture(t, dbtest.SQLite)
	images := func(u *account.User) int {
		t.Helper()
		c := f.issue(u)
		rc, err := f.svc.PDF(f.ctx, u, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		doc, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Count(doc, []byte("/Subtype /Image"))
	}
	without := images(f.candidate("Noah Nologo"))

	img := image.NewGray(image.Rect(0, 0, 120, 40))
	for x := 0; x < 120; x++ {
		img.Set(x, x/3, color.Gray{Y: 0})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Put(f.ctx, account.LogoKey(f.vendor.ID), &buf, media.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if with := images(f.candidate("Lena Logo")); with != without+1 {
		t.Fatalf("certificate has %d images with a logo uploaded, %d without; want one more", with, without)
	}
}

package certificate

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/boombuler/barcode/qr"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/peeracademy/peeracademy/internal/ce"
)

// The PDFs embed the Go fonts (golang.org/x/image/font/gofont, BSD licence) as TrueType, so any name
// renders (WGL4 coverage: "Zoë Nuñez-O’Brien"); fpdf embeds only the glyphs used.
const fontFamily = "Go"

const humanDate = "January 2, 2006"

// QRCodePNG draws content as a QR code (error correction M) with a four-module quiet zone, 8 pixels
// per module, as a grayscale PNG.
func QRCodePNG(content string) ([]byte, error) {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return nil, err
	}
	const scale, quiet = 8, 4
	n := code.Bounds().Dx()
	size := (n + 2*quiet) * scale
	img := image.NewGray(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if !isDark(code.At(x, y)) {
				continue
			}
			for dy := 0; dy < scale; dy++ {
				row := ((y+quiet)*scale + dy) * img.Stride
				for dx := 0; dx < scale; dx++ {
					img.Pix[row+(x+quiet)*scale+dx] = 0
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func isDark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x8000
}

func newPDF(orientation string) *fpdf.Fpdf {
	pdf := fpdf.New(orientation, "mm", "Letter", "")
	pdf.AddUTF8FontFromBytes(fontFamily, "", goregular.TTF)
	pdf.AddUTF8FontFromBytes(fontFamily, "B", gobold.TTF)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCreator("PeerAcademy", true)
	return pdf
}

// fitFont picks the largest size up to size (down to minSize) at which s fits in width.
func fitFont(pdf *fpdf.Fpdf, style string, size, minSize, width float64, s string) {
	for ; size > minSize; size -= 1 {
		pdf.SetFont(fontFamily, style, size)
		if pdf.GetStringWidth(s) <= width {
			return
		}
	}
	pdf.SetFont(fontFamily, style, minSize)
}

// certificateView is what the certificate PDF shows.
type certificateView struct {
	VendorName, HolderName, Credential, Track, Number string
	Issued, Expires                                   time.Time // Pennsylvania dates
	VerifyURL                                         string
	Logo                                              []byte // the vendor's logo, PNG or JPEG; nil for none
}

// renderCertificate draws the certificate: US Letter, landscape.
func renderCertificate(v certificateView) ([]byte, error) {
	qrPNG, err := QRCodePNG(v.VerifyURL)
	if err != nil {
		return nil, err
	}
	pdf := newPDF("L")
	pdf.SetTitle(v.Credential+" certificate "+v.Number, true)
	pdf.SetAuthor(v.VendorName, true)
	pdf.SetSubject(v.Credential+": "+v.HolderName, true)
	pdf.SetCreationDate(v.Issued)
	pdf.AddPage()
	w, h := pdf.GetPageSize() // 279.4 x 215.9
	ink := func() { pdf.SetTextColor(28, 43, 51) }
	accent := func() { pdf.SetDrawColor(31, 95, 91); pdf.SetTextColor(31, 95, 91) }

	// Frame.
	accent()
	pdf.SetLineWidth(1.4)
	pdf.Rect(9, 9, w-18, h-18, "D")
	pdf.SetLineWidth(0.35)
	pdf.Rect(13, 13, w-26, h-26, "D")

	center := func(y float64, style string, size float64, s string) {
		fitFont(pdf, style, size, 9, w-50, s)
		pdf.SetXY(25, y)
		pdf.CellFormat(w-50, size*0.45, s, "", 0, "C", false, 0, "")
	}
	if typ := logoType(v.Logo); typ != "" {
		// The vendor's logo above its name, at most 18 mm tall and 60 mm wide, centred.
		opt := fpdf.ImageOptions{ImageType: typ}
		info := pdf.RegisterImageOptionsReader("vendor-logo", opt, bytes.NewReader(v.Logo))
		if pdf.Ok() && info != nil && info.Width() > 0 && info.Height() > 0 {
			lh := 10.0
			lw := lh * info.Width() / info.Height()
			if lw > 60 {
				lw, lh = 60, 60*info.Height()/info.Width()
			}
			pdf.ImageOptions("vendor-logo", (w-lw)/2, 15, lw, lh, false, opt, 0, "")
		}
		pdf.ClearError() // a logo that does not decode is left out rather than failing the certificate
	}
	accent()
	center(26, "B", 22, v.VendorName)
	ink()
	center(40, "", 13, "Pennsylvania Certified Peer Specialist training")
	center(58, "", 14, "This certifies that")
	center(70, "B", 34, v.HolderName)
	pdf.SetDrawColor(120, 130, 135)
	pdf.SetLineWidth(0.3)
	pdf.Line(60, 88, w-60, 88)
	center(94, "", 13, "completed the Certified Peer Specialist training, passed its written and oral examinations,")
	center(101, "", 13, "and holds the credential")
	accent()
	center(113, "B", 26, v.Credential)
	ink()
	y := 128.0
	if v.Track != "" {
		center(y, "", 13, "Specialisation: "+v.Track)
		y += 8
	}

	// Details, left column.
	pdf.SetFont(fontFamily, "", 11.5)
	rows := [][2]string{
		{"Certificate number", v.Number},
		{"Issued", v.Issued.Format(humanDate)},
		{"Expires", v.Expires.Format(humanDate)},
	}
	for i, r := range rows {
		pdf.SetXY(30, y+6+float64(i)*7)
		pdf.SetFont(fontFamily, "", 11.5)
		pdf.CellFormat(42, 6, r[0], "", 0, "L", false, 0, "")
		pdf.SetFont(fontFamily, "B", 11.5)
		pdf.CellFormat(110, 6, r[1], "", 0, "L", false, 0, "")
	}

	// Signature block.
	pdf.SetDrawColor(28, 43, 51)
	pdf.SetLineWidth(0.4)
	pdf.Line(30, 178, 130, 178)
	pdf.SetXY(30, 180)
	fitFont(pdf, "B", 12, 8, 100, v.VendorName)
	pdf.CellFormat(100, 6, v.VendorName, "", 0, "L", false, 0, "")
	pdf.SetXY(30, 186)
	pdf.SetFont(fontFamily, "", 10.5)
	pdf.CellFormat(100, 5, "Authorised signatory", "", 0, "L", false, 0, "")

	// QR code and verification link.
	const qrSize = 44.0
	qx, qy := w-30-qrSize, 134.0
	pdf.RegisterImageOptionsReader("verify-qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qrPNG))
	pdf.ImageOptions("verify-qr", qx, qy, qrSize, qrSize, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, v.VerifyURL)
	pdf.SetXY(qx-20, qy+qrSize+1)
	pdf.SetFont(fontFamily, "", 8.5)
	pdf.CellFormat(qrSize+40, 4, "Scan to verify", "", 0, "C", false, 0, "")
	line := "Verify this certificate at " + v.VerifyURL
	fitFont(pdf, "", 9.5, 6, w-50, line)
	pdf.SetXY(25, h-22)
	pdf.CellFormat(w-50, 5, line, "", 0, "C", false, 0, v.VerifyURL)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("certificate: render PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// logoType is fpdf's image type for an uploaded logo, or "" when it is neither PNG nor JPEG.
func logoType(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "PNG"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "JPG"
	}
	return ""
}

// renderCompletion draws the training-completion record (US Letter, portrait) a holder attaches to
// an application to the state certification board.
func renderCompletion(c *Certificate, vendorName, verifyURL string, now time.Time) ([]byte, error) {
	pdf := newPDF("P")
	pdf.SetTitle("Training completion record "+c.Number, true)
	pdf.SetAuthor(vendorName, true)
	pdf.SetCreationDate(now)
	pdf.AddPage()
	w, _ := pdf.GetPageSize()
	left, width := 22.0, w-44

	pdf.SetTextColor(31, 95, 91)
	pdf.SetXY(left, 20)
	fitFont(pdf, "B", 18, 10, width, vendorName)
	pdf.CellFormat(width, 8, vendorName, "", 1, "L", false, 0, "")
	pdf.SetTextColor(28, 43, 51)
	pdf.SetX(left)
	pdf.SetFont(fontFamily, "B", 15)
	pdf.CellFormat(width, 9, "Training completion record: Certified Peer Specialist", "", 1, "L", false, 0, "")
	pdf.SetDrawColor(31, 95, 91)
	pdf.SetLineWidth(0.5)
	pdf.Line(left, pdf.GetY()+2, left+width, pdf.GetY()+2)
	pdf.Ln(7)

	section := func(title string) {
		pdf.Ln(3)
		pdf.SetX(left)
		pdf.SetFont(fontFamily, "B", 12)
		pdf.CellFormat(width, 7, title, "", 1, "L", false, 0, "")
	}
	row := func(label, value string) {
		pdf.SetX(left)
		pdf.SetFont(fontFamily, "", 10.5)
		pdf.CellFormat(58, 6, label, "", 0, "L", false, 0, "")
		pdf.SetFont(fontFamily, "B", 10.5)
		pdf.MultiCell(width-58, 6, value, "", "L", false)
	}
	date := func(t *time.Time) string {
		if t == nil {
			return "not recorded"
		}
		return ce.Day(*t).Format(humanDate)
	}

	section("Participant")
	row("Name", c.HolderName)
	row("Certificate number", c.Number)
	row("Certificate issued", ce.Day(c.IssuedAt).Format(humanDate))
	row("Certificate expires", ce.Day(c.ExpiresAt).Format(humanDate))

	section("Training")
	row("Training organisation", vendorName)
	row("Course", "Pennsylvania Certified Peer Specialist training (ten days)")
	if c.TrainingMinutes > 0 {
		row("Hours completed", formatMinutes(c.TrainingMinutes)+" hours (attendance and make-up work)")
	} else {
		row("Hours completed", "all required hours")
	}
	if c.CourseStart != "" && c.CourseEnd != "" {
		row("Course dates", isoToHuman(c.CourseStart)+" to "+isoToHuman(c.CourseEnd))
	}
	row("Coursework", "complete: every module and the required hours")
	if c.CurriculumVersion != "" {
		row("Curriculum version", c.CurriculumVersion)
	}

	section("Examinations")
	written := "passed on " + date(c.WrittenPassedAt)
	if c.WrittenPercent > 0 {
		written += ", score " + formatPercent(c.WrittenPercent)
	}
	row("Written examination", written)
	oral := "passed on " + date(c.OralPassedAt)
	if c.OralMax > 0 {
		oral += fmt.Sprintf(", score %d of %d", c.OralTotal, c.OralMax)
	} else if c.OralTotal > 0 {
		oral += fmt.Sprintf(", score %d", c.OralTotal)
	}
	row("Oral examination", oral)

	pdf.Ln(6)
	pdf.SetX(left)
	pdf.SetFont(fontFamily, "", 10)
	pdf.MultiCell(width, 5.5, "This record was produced by PeerAcademy on "+ce.Day(now).Format(humanDate)+" for "+vendorName+
		", from its training and examination records. The certificate's current status is shown at "+verifyURL, "", "L", false)

	pdf.SetDrawColor(28, 43, 51)
	pdf.SetLineWidth(0.4)
	y := pdf.GetY() + 22
	pdf.Line(left, y, left+90, y)
	pdf.SetXY(left, y+2)
	fitFont(pdf, "B", 11, 8, 90, vendorName)
	pdf.CellFormat(90, 6, vendorName, "", 1, "L", false, 0, "")
	pdf.SetX(left)
	pdf.SetFont(fontFamily, "", 10)
	pdf.CellFormat(90, 5, "Authorised signatory", "", 1, "L", false, 0, "")

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("certificate: render completion record: %w", err)
	}
	return buf.Bytes(), nil
}

// formatPercent writes a score for people, to one decimal place at most: 98.3333… -> "98.3%", 90 -> "90%".
// (The record is for a certification board: internal ids of the attempt and the grade mean nothing there.)
func formatPercent(p float64) string {
	s := strconv.FormatFloat(p, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + "%"
}

func formatMinutes(min int) string {
	s := strconv.FormatFloat(float64(min)/60, 'f', 2, 64)
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}

func isoToHuman(s string) string {
	t, err := time.Parse(ce.DateLayout, s)
	if err != nil {
		return s
	}
	return t.Format(humanDate)
}

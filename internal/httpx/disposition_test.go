package httpx

import "testing"

func TestAttachmentKeepsTheNameSafely(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"id card.pdf", `attachment; filename="id card.pdf"; filename*=UTF-8''id%20card.pdf`},
		{"Zoë's diploma (2019).pdf", `attachment; filename="Zo_'s diploma (2019).pdf"; filename*=UTF-8''Zo%C3%AB%27s%20diploma%20%282019%29.pdf`},
		{`C:\Users\zoe\"evil";x=1.png`, `attachment; filename="evil_x=1.png"; filename*=UTF-8''evil%3Bx%3D1.png`},
		{"../../etc/passwd", `attachment; filename="passwd"; filename*=UTF-8''passwd`},
		{"a\r\nSet-Cookie: x.pdf", `attachment; filename="aSet-Cookie: x.pdf"; filename*=UTF-8''aSet-Cookie%3A%20x.pdf`},
		{"..", `attachment; filename="document"; filename*=UTF-8''document`},
		{"", `attachment; filename="document"; filename*=UTF-8''document`},
		{"100%.pdf", `attachment; filename="100_.pdf"; filename*=UTF-8''100%25.pdf`},
	} {
		if got := Attachment(tc.name, "document"); got != tc.want {
			t.Errorf("Attachment(%q)\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

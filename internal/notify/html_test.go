package notify_test

import (
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/notify"
)

func TestHTMLBodyEscapesAndLinks(t *testing.T) {
	h, err := notify.HTMLBody("A <b> subject", "Hello Zoë <script>,\n\nOpen https://academy.example.org/verify?a=1&b=2.\nThanks")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<title>A &lt;b&gt; subject</title>", "Hello Zoë &lt;script&gt;,</p>",
		`<a href="https://academy.example.org/verify?a=1&amp;b=2" style="color:#1f5f8b">https://academy.example.org/verify?a=1&amp;b=2</a>.<br>`, "Thanks</p>"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q:\n%s", want, h)
		}
	}
	if strings.Contains(h, "<script>") {
		t.Error("text was not escaped")
	}
}

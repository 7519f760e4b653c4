package urls

import "testing"

// A trailing slash on the base URL never doubles the path's own.
func TestAddresses(t *testing.T) {
	for _, b := range []Base{"https://academy.example.org", "https://academy.example.org/"} {
		for got, want := range map[string]string{
			b.Home():           "https://academy.example.org",
			b.Learn():          "https://academy.example.org/learn",
			b.OralFeed("t0k"):  "https://academy.example.org/oral/feed/t0k.ics",
			b.Certificate("c"): "https://academy.example.org/certificates/c",
		} {
			if got != want {
				t.Errorf("%q: got %q, want %q", b, got, want)
			}
		}
	}
}

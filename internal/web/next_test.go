package web

import "testing"

func TestSafeNext(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/dashboard"},
		{"/learn/day-01", "/learn/day-01"},
		{"/audit?before=abc&x=1#top", "/audit?before=abc&x=1#top"},
		{"/certificates/%2F%2Fevil.example", "/certificates/%2F%2Fevil.example"},
		{"//evil.example/", "/dashboard"},
		{"/\\evil.example/", "/dashboard"},
		{"/\t/evil.example/", "/dashboard"},
		{"/\n/evil.example/", "/dashboard"},
		{"/\r/evil.example/", "/dashboard"},
		{"/ /evil.example/", "/ /evil.example/"}, // a space is not dropped by browsers: a same-site path
		{"/\x00/evil.example/", "/dashboard"},
		{"/\x7f/evil.example/", "/dashboard"},
		{"/\u0085/evil.example/", "/dashboard"},
		{"/a\\b", "/dashboard"},
		{"https://evil.example/", "/dashboard"},
		{"javascript:alert(1)", "/dashboard"},
		{"evil.example", "/dashboard"},
		{"/\xff/evil", "/dashboard"},
		{"/%", "/dashboard"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.in); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

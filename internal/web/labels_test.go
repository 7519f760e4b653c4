package web

import "testing"

func TestPluralAndWords(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{plural(1, "slot"), "1 slot"},
		{plural(0, "slot"), "0 slots"},
		{plural(8, "slot"), "8 slots"},
		{plural(1, "person|people"), "1 person"},
		{plural(2, "person|people"), "2 people"},
		{statusWords("no_show"), "no-show"},
		{statusWords("submitted"), "waiting for review"},
		{statusWords("some_new_code"), "some new code"},
		{bookingWords("active"), "booked"},
	} {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
}

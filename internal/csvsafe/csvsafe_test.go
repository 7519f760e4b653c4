package csvsafe

import "testing"

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"Zoë Nuñez-O'Brien": "Zoë Nuñez-O'Brien", "": "", "=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
		"+1": "'+1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\tcmd": "'\tcmd", "\rx": "'\rx", "a=b": "a=b",
	} {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

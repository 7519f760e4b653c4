package curriculum

import (
	"cmp"
	"fmt"
	"slices"
)

// Problem is one rule a content file breaks. File is the path inside the content file system
// (for example "curriculum/day-01/01-welcome.md"); Line is 1-based, or 0 when the problem concerns
// the file or folder as a whole.
type Problem struct {
	File string
	Line int
	Msg  string
}

// String formats the problem as "file:line: msg", or "file: msg" when Line is 0.
func (p Problem) String() string {
	if p.Line <= 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// SortProblems orders problems by file, then line, then message, in place.
func SortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Msg, b.Msg))
	})
}

// problems collects problems for one file.
type problems struct {
	file string
	list *[]Problem
}

func (p problems) add(line int, format string, args ...any) {
	*p.list = append(*p.list, Problem{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

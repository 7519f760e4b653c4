package web

import (
	"strconv"
	"strings"
	"time"
)

// plural writes a count with its noun: plural(1, "slot") is "1 slot", plural(3, "slot") "3 slots".
// A noun whose plural is not formed with -s is given as "person|people".
func plural(n int, noun string) string {
	one, many, ok := strings.Cut(noun, "|")
	if !ok {
		many = one + "s"
	}
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// codeLabels are the words people read for codes stored in the database; statusWords falls back to
// the code with underscores as spaces, never the raw code.
var codeLabels = map[string]string{
	// continuing-education activities
	"submitted": "waiting for review",
	"verified":  "verified",
	"rejected":  "rejected",
	// oral exam bookings
	"no_show":   "no-show",
	"completed": "completed",
	"cancelled": "cancelled",
	// delivery
	"in_person": "in person",
	"virtual":   "virtual",
}

// statusWords is the label of a stored code, in lower case (for use inside a sentence).
func statusWords(code string) string {
	if l, ok := codeLabels[code]; ok {
		return l
	}
	return strings.ReplaceAll(code, "_", " ")
}

// bookingWords is the label of an oral booking's status: an active booking is "booked".
func bookingWords(code string) string {
	if code == "active" {
		return "booked"
	}
	return statusWords(code)
}

// age says how long ago since was, in whole days, at now: "today", "1 day", "12 days".
func age(since, now time.Time) string {
	d := int(now.Sub(since).Hours() / 24)
	if d < 1 {
		return "today"
	}
	return plural(d, "day")
}

// optionLetter names an answer option as the exam shows it: 0 -> "A", 1 -> "B".
func optionLetter(i int) string {
	if i < 0 || i > 25 {
		return strconv.Itoa(i + 1)
	}
	return string(rune('A' + i))
}

// Package padate holds the Pennsylvania calendar: the dates that the eligibility rule, certificate
// validity and the continuing-education cycles are counted in, whatever the viewer's time zone.
package padate

import (
	"time"
	_ "time/tzdata" // the zone is needed on machines without a zone database
)

// Location is Pennsylvania's time zone.
var Location = func() *time.Location {
	l, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return l
}()

// Layout is how dates are written and stored.
const Layout = "2006-01-02"

// DateOf is t's calendar date (in t's own location) as midnight UTC.
func DateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Day is the Pennsylvania calendar date of the instant t, as midnight UTC.
func Day(t time.Time) time.Time { return DateOf(t.In(Location)) }

// Midnight is the instant at which the Pennsylvania calendar date day begins.
func Midnight(day time.Time) time.Time {
	y, m, d := day.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Location)
}

// AddMonths adds calendar months to a date (as time.AddDate does).
func AddMonths(day time.Time, months int) time.Time { return day.AddDate(0, months, 0) }

package catalog

// The rules that decide a catalogue course, kept apart from the service's queries so that they can
// be tested (and mutation-tested, scripts/mutation.sh) without a database: whether the holder may
// sit the assessment, and when the course is complete (a CE course's completion is what credits its
// hours, ce.CreditCourse).

// MayAttempt reports whether a holder may start or resume an attempt at the assessment: never once
// an attempt passed; an open attempt is always resumed; otherwise while attempts are left (allowed
// 0 is no limit, used counts every attempt started).
func MayAttempt(passed, open bool, used, allowed int) bool {
	return !passed && (open || allowed == 0 || used < allowed)
}

// CompletesCourse reports whether an enrolment is complete: every module done and an attempt passed.
func CompletesCourse(modulesDone, modules int, passed bool) bool {
	return passed && modulesDone >= modules
}

// PassingAttempt is the id of the attempt that passed ("" when none did); the last one if, in data
// older than the rule that stops attempts after a pass, several did.
func PassingAttempt(attempts []Attempt) string {
	id := ""
	for _, at := range attempts {
		if at.Passed {
			id = at.ID
		}
	}
	return id
}

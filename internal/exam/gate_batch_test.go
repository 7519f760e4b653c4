package exam_test

import (
	"testing"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// Starts that arrive together read their gates in one statement (gate_batch.go). It must give every
// candidate exactly the facts the single statement gives, whatever their situation.
func TestGateFactsReadTogetherAgree(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		f.settings(12)
		fnd := f.bank.ByDomain("foundations")
		must(t, f.svc.RetireItem(f.ctx, actor(f.admin), f.admin, fnd[0].ID, "Ambiguous key"))
		must(t, f.svc.RetireItem(f.ctx, actor(f.admin), f.admin, fnd[1].ID, "Out of date"))

		failed := f.candidate(true) // one finished attempt, failed
		s := f.start(failed)
		f.answerAll(failed, s.ID, wrong)
		_, err := f.svc.Submit(f.ctx, actor(failed), failed, s.ID)
		must(t, err)

		open := f.candidate(true) // an attempt in progress, with extra time
		must(t, f.svc.GrantAccommodation(f.ctx, actor(f.admin), f.admin, open.ID, 30, "Extended time for a documented disability"))
		f.start(open)

		passed := f.candidate(true)
		s = f.start(passed)
		f.answerAll(passed, s.ID, keyed)
		_, err = f.svc.Submit(f.ctx, actor(passed), passed, s.ID)
		must(t, err)

		overridden := f.candidate(false) // coursework incomplete, admitted by an override
		must(t, f.svc.OverrideGate(f.ctx, actor(f.admin), f.admin, overridden.ID, "Completed the course with us in 2026"))

		loner := f.candidate(false) // not enrolled as far as the coursework says: only an override's vendor counts
		f.course.set(loner.ID, courseState{})
		must(t, f.svc.OverrideGate(f.ctx, actor(f.admin), f.admin, loner.ID, "Transferred from a closed vendor"))
		nobody := f.user(account.RoleCandidate, "") // not enrolled, no override
		fresh := f.candidate(true)                  // nothing yet

		keys := [][2]string{
			{failed.ID, f.vendor.ID}, {open.ID, f.vendor.ID}, {passed.ID, f.vendor.ID}, {overridden.ID, f.vendor.ID},
			{loner.ID, ""}, {nobody.ID, ""}, {fresh.ID, f.vendor.ID},
			{failed.ID, f.other.ID}, // enrolled with another vendor: its attempts with the first do not count as used
			{overridden.ID, ""},     // the same candidate read both ways in one batch
		}
		together, alone, err := f.svc.GateFactsTogether(f.ctx, keys)
		must(t, err)
		for i := range keys {
			if together[i] != alone[i] {
				t.Errorf("candidate %d (%v):\n together %s\n alone    %s", i, keys[i], together[i], alone[i])
			}
		}
		// The facts differ from one candidate to the next (the comparison above is not of empty rows).
		seen := map[string]bool{}
		for _, s := range alone {
			seen[s] = true
		}
		if len(seen) < 7 {
			t.Fatalf("only %d different gates among %d candidates:\n%v", len(seen), len(keys), alone)
		}
	})
}

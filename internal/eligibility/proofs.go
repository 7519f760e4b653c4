package eligibility

// Proof requirement codes: a document the training organisation needs before it can review a claim.
const (
	ReqProofEducation  = "proof_education"
	ReqProofExperience = "proof_experience"
)

// MissingProofs lists the documents the training organisation needs to confirm what the application
// claims, given the rule's result res on it, that are not attached yet:
//   - a copy of the diploma or GED, once the candidate says they have one;
//   - once the experience requirement is met, a letter confirming the work or volunteering, or a
//     college transcript (either one, when both count).
//
// A claim that is not made yet (or experience not yet enough) asks for no proof: the rule's own
// message comes first.
func MissingProofs(v *View, res Result) []Requirement {
	has := map[string]bool{}
	for _, d := range v.Documents {
		has[d.Kind] = true
	}
	var out []Requirement
	if (v.Education == EducationDiploma || v.Education == EducationGED) && !has[KindDiploma] {
		out = append(out, Requirement{ReqProofEducation, "Upload a copy of your high-school diploma or GED (as \"" + KindLabel(KindDiploma) + "\")."})
	}
	if !res.Has(ReqExperience) {
		byWork, byCredits := res.WorkDays >= RequiredWorkDays, res.Credits >= RequiredCredits
		switch {
		case has[KindWork] && byWork, has[KindEducation] && byCredits:
		case byWork && byCredits:
			out = append(out, Requirement{ReqProofExperience, "Upload a letter confirming your work or volunteering (as \"" + KindLabel(KindWork) + "\") or your college transcript (as \"" + KindLabel(KindEducation) + "\")."})
		case byWork:
			out = append(out, Requirement{ReqProofExperience, "Upload a letter from an employer or organisation confirming your work or volunteering (as \"" + KindLabel(KindWork) + "\")."})
		case byCredits:
			out = append(out, Requirement{ReqProofExperience, "Upload your college transcript (as \"" + KindLabel(KindEducation) + "\")."})
		}
	}
	return out
}

// withProofs adds the missing proofs to the rule's result.
func withProofs(v *View, res Result) Result {
	res.Unmet = append(res.Unmet, MissingProofs(v, res)...)
	res.Eligible = len(res.Unmet) == 0
	return res
}

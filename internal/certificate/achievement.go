package certificate

import "github.com/peeracademy/peeracademy/internal/apperr"

// AchievementSlug names the achievement every certificate attests; its public description is at
// AchievementURL(AchievementSlug).
const AchievementSlug = "certified-peer-specialist"

// AchievementURL is the public address of an achievement's description: the achievement.id of
// credentials that attest it.
func (s *Service) AchievementURL(slug string) string { return s.urls().Credential(slug) }

func (s *Service) achievement() Achievement {
	var a Achievement
	a.ID = s.AchievementURL(AchievementSlug)
	a.Type = []string{"Achievement"}
	a.AchievementType = "Certificate"
	a.Name = CredentialName
	a.Description = "Pennsylvania Certified Peer Specialist: trained and examined to provide peer support services."
	a.Criteria.Narrative = "Completed the Pennsylvania Certified Peer Specialist training and passed its written and oral examinations."
	return a
}

// Achievement returns the public description of the achievement named slug, as a standalone Open
// Badges 3.0 Achievement (with its @context), for the page at AchievementURL.
func (s *Service) Achievement(slug string) (*Achievement, error) {
	var a Achievement
	switch title, ok := s.EndorsementTitles[slug]; {
	case slug == AchievementSlug:
		a = s.achievement()
	case ok:
		a = s.endorsementAchievement(slug, title)
	default:
		return nil, apperr.New(apperr.NotFound, "not_found", "There is no such credential.")
	}
	a.Context = []string{contextVC, contextOB3}
	return &a, nil
}

package account

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/batch"
)

// Session look-ups that miss the cache and arrive together (2,000 candidates pressing Start in the
// same second, each with a session no request has read yet) are read together: one SELECT of the
// sessions and their users for many ids (batch.Loader), instead of a statement and a connection each.

const (
	sessionReadFlushers  = 2
	sessionReadBatchSize = 200
)

func (s *Service) sessionReads() *batch.Loader[string, *Session] {
	s.sessionReadsOnce.Do(func() {
		s.sessionReadsL = &batch.Loader[string, *Session]{Flushers: sessionReadFlushers, Size: sessionReadBatchSize, Load: s.readSessions}
	})
	return s.sessionReadsL
}

// readSessions reads the sessions of ids (hashed secrets) with their users.
func (s *Service) readSessions(ctx context.Context, ids []string) (map[string]*Session, error) {
	var got []*Session
	if err := s.DB.NewSelect().Model(&got).Relation("User").Where("session.id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	m := make(map[string]*Session, len(got))
	for _, sess := range got {
		m[sess.ID] = sess
	}
	return m, nil
}

package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/sealbox"
)

// keyring builds the keys that seal sensitive application fields. Configured keys are used as given.
// Without configuration (development only; production refuses to start) one key is generated once and
// kept in the settings table, so that the embedded default works with no setup and every instance
// sharing the database can open what another sealed. That key protects nothing against someone who
// can read the database, which is why production must configure PEERACADEMY_ENCRYPTION_KEYS.
func keyring(ctx context.Context, db *bun.DB, cfg config.Config, log *slog.Logger) (*sealbox.Keyring, error) {
	if len(cfg.EncryptionKeys) > 0 {
		return sealbox.NewKeyring(cfg.EncryptionKeyID, cfg.EncryptionKeys)
	}
	b := make([]byte, sealbox.KeySize)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if _, err := db.NewRaw(`INSERT INTO settings (key, value) VALUES ('dev_seal_key', ?) ON CONFLICT (key) DO NOTHING`, base64.StdEncoding.EncodeToString(b)).Exec(ctx); err != nil {
		return nil, err
	}
	var v string
	if err := db.NewRaw(`SELECT value FROM settings WHERE key = 'dev_seal_key'`).Scan(ctx, &v); err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, err
	}
	log.Warn("PEERACADEMY_ENCRYPTION_KEYS is not set: using a development key stored in the database; configure keys before real use")
	return sealbox.NewKeyring("dev", map[string][]byte{"dev": key})
}

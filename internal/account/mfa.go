package account

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/sealbox"
)

// Issuer names PeerAcademy in authenticator apps.
const Issuer = "PeerAcademy"

// TOTPEnrolment is what the set-up page shows.
type TOTPEnrolment struct {
	Secret  string // base32, for typing in by hand
	URL     string // otpauth:// URL
	QRImage string // data: URL of a PNG QR code
}

// BeginTOTP creates (or re-shows) a pending authenticator secret for u.
func (s *Service) BeginTOTP(ctx context.Context, u *User) (*TOTPEnrolment, error) {
	if u.MFAEnabled() {
		return nil, apperr.New(apperr.Conflict, "mfa_enabled", "Two-factor sign-in is already set up.")
	}
	secret, err := s.totpSecret(u)
	if err != nil {
		return nil, err
	}
	if secret == "" {
		raw := make([]byte, 20)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		secret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)
		stored, err := s.sealTOTP(u.ID, secret)
		if err != nil {
			return nil, err
		}
		if _, err := s.DB.NewUpdate().Model((*User)(nil)).Set("totp_secret = ?", stored).Set("updated_at = ?", database.Now()).
			Where("id = ?", u.ID).Where("totp_enabled_at IS NULL").Exec(ctx); err != nil {
			return nil, err
		}
		u.TOTPSecret = stored
	}
	raw, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	key, err := totp.Generate(totp.GenerateOpts{Issuer: Issuer, AccountName: u.Email, Secret: raw})
	if err != nil {
		return nil, err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return &TOTPEnrolment{Secret: key.Secret(), URL: key.URL(), QRImage: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// totpAAD binds a sealed authenticator secret to its user, so a value copied to another row does not open.
func totpAAD(userID string) string { return "totp|" + userID }

// sealTOTP returns the stored form of an authenticator secret: sealed when the service has keys.
func (s *Service) sealTOTP(userID, secret string) (string, error) {
	if s.Keys == nil {
		return secret, nil
	}
	return s.Keys.Seal([]byte(secret), totpAAD(userID))
}

// totpSecret returns u's authenticator secret in the clear ("" if none). Values stored before
// secrets were sealed are plain base32 (no key id) and are returned as they are.
func (s *Service) totpSecret(u *User) (string, error) {
	if u.TOTPSecret == "" || sealbox.KeyID(u.TOTPSecret) == "" {
		return u.TOTPSecret, nil
	}
	if s.Keys == nil {
		return "", fmt.Errorf("account: the authenticator secret of %s is sealed but no keys are configured", u.ID)
	}
	b, err := s.Keys.Open(u.TOTPSecret, totpAAD(u.ID))
	if err != nil {
		return "", fmt.Errorf("account: open the authenticator secret of %s: %w", u.ID, err)
	}
	return string(b), nil
}

// ErrBadCode is the answer to a wrong authenticator or recovery code.
var ErrBadCode = apperr.Field("code", "That code is not right. Enter the current 6-digit code from your authenticator app, or a recovery code.")

// checkTOTP accepts a code for the current 30-second step or one either side, and only once: a step
// is recorded when used and later codes must be newer (replay protection across instances).
func (s *Service) checkTOTP(ctx context.Context, db bun.IDB, u *User, code string) (bool, error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	secret, err := s.totpSecret(u)
	if err != nil {
		return false, err
	}
	if len(code) != 6 || secret == "" {
		return false, nil
	}
	now := time.Now()
	for _, d := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(d) * 30 * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return false, err
		}
		if want != code {
			continue
		}
		step := t.Unix() / 30
		q := db.NewUpdate().Model((*User)(nil)).Set("totp_last_step = ?", step).Where("id = ?", u.ID).Where("totp_last_step < ?", step)
		if s.Keys != nil && sealbox.KeyID(u.TOTPSecret) == "" {
			// Stored before secrets were sealed: seal it now that it is in hand.
			stored, err := s.sealTOTP(u.ID, secret)
			if err != nil {
				return false, err
			}
			q = q.Set("totp_secret = ?", stored)
		}
		res, err := q.Exec(ctx)
		if err != nil {
			return false, err
		}
		n, _ := res.RowsAffected()
		return n == 1, nil
	}
	return false, nil
}

// ConfirmTOTP enables two-factor sign-in once the user proves the app works, and returns ten
// recovery codes to show once.
func (s *Service) ConfirmTOTP(ctx context.Context, a audit.Actor, u *User, code string) ([]string, error) {
	if u.MFAEnabled() {
		return nil, apperr.New(apperr.Conflict, "mfa_enabled", "Two-factor sign-in is already set up.")
	}
	if err := s.mfaThrottle(ctx, u); err != nil {
		return nil, err
	}
	var codes []string
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		ok, err := s.checkTOTP(ctx, tx, u, code)
		if err != nil {
			return err
		}
		if !ok {
			return ErrBadCode
		}
		now := database.Now()
		if _, err := tx.NewUpdate().Model((*User)(nil)).Set("totp_enabled_at = ?", now).Set("updated_at = ?", now).
			Where("id = ?", u.ID).Exec(ctx); err != nil {
			return err
		}
		codes, err = s.replaceRecoveryCodes(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "user.mfa_enable", SubjectType: "user", SubjectID: u.ID, VendorID: u.Vendor()})
	})
	if err == nil {
		_ = s.Throttle.Reset(ctx, "mfa:"+u.ID)
	}
	return codes, err
}

// mfaThrottle counts a code attempt before the code is checked (see Authenticate), and refuses it once
// over the limit. A correct code resets the count.
func (s *Service) mfaThrottle(ctx context.Context, u *User) error {
	ok, retry, err := s.Throttle.Take(ctx, "mfa:"+u.ID, s.MaxFailuresPerAccount)
	if err != nil {
		return err
	}
	if !ok {
		return ErrThrottled.Retry(retry)
	}
	return nil
}

type recoveryCode struct {
	bun.BaseModel `bun:"table:recovery_codes"`
	UserID        string     `bun:"user_id,pk"`
	CodeHash      string     `bun:"code_hash,pk"`
	UsedAt        *time.Time `bun:"used_at"`
}

func (s *Service) replaceRecoveryCodes(ctx context.Context, tx bun.IDB, userID string) ([]string, error) {
	if _, err := tx.NewDelete().Model((*recoveryCode)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return nil, err
	}
	codes := make([]string, 10)
	rows := make([]recoveryCode, 10)
	for i := range codes {
		raw := make([]byte, 10)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		c := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw))
		codes[i] = c[:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16]
		rows[i] = recoveryCode{UserID: userID, CodeHash: HashSecret(codes[i])}
	}
	_, err := tx.NewInsert().Model(&rows).Exec(ctx)
	return codes, err
}

// useRecoveryCode spends a recovery code (once).
func (s *Service) useRecoveryCode(ctx context.Context, db bun.IDB, userID, code string) (bool, error) {
	code = strings.ToLower(strings.TrimSpace(code))
	res, err := db.NewUpdate().Model((*recoveryCode)(nil)).Set("used_at = ?", database.Now()).
		Where("user_id = ?", userID).Where("code_hash = ?", HashSecret(code)).Where("used_at IS NULL").Exec(ctx)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RemainingRecoveryCodes counts unused recovery codes.
func (s *Service) RemainingRecoveryCodes(ctx context.Context, userID string) (int, error) {
	n, err := s.DB.NewSelect().Model((*recoveryCode)(nil)).Where("user_id = ?", userID).Where("used_at IS NULL").Count(ctx)
	return int(n), err
}

// VerifySecondFactor checks an authenticator or recovery code for u.
func (s *Service) VerifySecondFactor(ctx context.Context, a audit.Actor, u *User, code string) error {
	if err := s.mfaThrottle(ctx, u); err != nil {
		return err
	}
	ok, err := s.checkTOTP(ctx, s.DB, u, code)
	if err != nil {
		return err
	}
	if !ok && strings.Contains(code, "-") {
		if ok, err = s.useRecoveryCode(ctx, s.DB, u.ID, code); err != nil {
			return err
		}
		if ok {
			_ = audit.Record(ctx, s.DB, a, audit.Entry{Action: "user.recovery_code_used", SubjectType: "user", SubjectID: u.ID, VendorID: u.Vendor()})
		}
	}
	if !ok {
		return ErrBadCode
	}
	_ = s.Throttle.Reset(ctx, "mfa:"+u.ID)
	return nil
}

// CompleteSignIn replaces a partly signed-in session (after the second factor, or after enrolling one)
// with a fully signed-in session under a new id, and returns the new token.
func (s *Service) CompleteSignIn(ctx context.Context, a audit.Actor, oldSecret string, u *User, userAgent string) (string, error) {
	var secret string
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*Session)(nil)).Where("id = ?", HashSecret(oldSecret)).Exec(ctx); err != nil {
			return err
		}
		var err error
		secret, _, err = s.createSession(ctx, tx, a, u, KindWeb, StageFull, userAgent)
		return err
	})
	return secret, err
}

// IssueAPIToken signs in over the API: email, password and (where required) an authenticator code.
func (s *Service) IssueAPIToken(ctx context.Context, a audit.Actor, email, password, code, userAgent string) (string, *Session, *User, error) {
	u, err := s.Authenticate(ctx, a, email, password)
	if err != nil {
		return "", nil, nil, err
	}
	if u.MFARequired() && !u.MFAEnabled() {
		return "", nil, nil, apperr.New(apperr.Forbidden, "mfa_setup_required", "Set up two-factor sign-in in the browser before using the API.")
	}
	if u.MFAEnabled() {
		if code == "" {
			return "", nil, nil, apperr.Field("totp_code", "This account uses two-factor sign-in: send the current authenticator code as totp_code.")
		}
		if err := s.VerifySecondFactor(ctx, a, u, code); err != nil {
			return "", nil, nil, err
		}
	}
	secret, sess, err := s.createSession(ctx, s.DB, a, u, KindAPI, StageFull, userAgent)
	return secret, sess, u, err
}

// ResealTOTP seals every authenticator secret under the current key: those under an older key, and
// those still stored in the clear (see eligibility.Service.Reseal). It returns how many it changed.
func (s *Service) ResealTOTP(ctx context.Context) (int, error) {
	if s.Keys == nil {
		return 0, errors.New("account: no keyring to seal authenticator secrets")
	}
	return s.Keys.ResealRows(ctx, s.DB, sealbox.Columns{Table: "users", Key: "id", AADColumn: "id", Sealed: []string{"totp_secret"},
		AAD: func(userID, _ string) string { return totpAAD(userID) }, SealPlain: true})
}

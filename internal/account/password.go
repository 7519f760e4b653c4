package account

import (
	"context"
	_ "embed"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"golang.org/x/sync/semaphore"

	"github.com/peeracademy/peeracademy/internal/apperr"
)

// Password length rules.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 128
)

//go:embed common-passwords.txt
var commonPasswordsFile string

var (
	commonOnce sync.Once
	common     map[string]struct{}
)

func commonPasswords() map[string]struct{} {
	commonOnce.Do(func() {
		common = make(map[string]struct{}, 8000)
		for _, line := range strings.Split(commonPasswordsFile, "\n") {
			line = strings.TrimSpace(line)
			if line != "" && !strings.HasPrefix(line, "#") {
				common[line] = struct{}{}
			}
		}
	})
	return common
}

// argon2id parameters: RFC 9106's second recommended option, tuned down in memory for a 2-core host.
var hashParams = &argon2id.Params{Memory: 64 * 1024, Iterations: 2, Parallelism: 2, SaltLength: 16, KeyLength: 32}

// HashPassword returns a PHC-format argon2id hash.
func HashPassword(pw string) (string, error) { return argon2id.CreateHash(pw, hashParams) }

// dummyHash is compared against when no user matches, so timing does not reveal which emails exist.
var dummyHash = func() string { h, _ := HashPassword("peeracademy-no-such-user-padding"); return h }()

// CheckPassword reports whether pw matches hash.
func CheckPassword(pw, hash string) bool {
	ok, err := argon2id.ComparePasswordAndHash(pw, hash)
	return err == nil && ok
}

// HashMemory is the memory one argon2id hash holds while it runs.
const HashMemory = 64 << 20

// Hasher bounds the argon2id hashes in flight. Each holds HashMemory, and registration, sign-in and
// password reset hash for any caller, so without a bound a burst of requests exhausts memory. A
// request waits briefly for a slot, then is refused with ErrBusy (503 with Retry-After).
type Hasher struct {
	sem  *semaphore.Weighted
	wait time.Duration
}

// NewHasher allows n hashes at once; a request waits at most wait for a slot.
func NewHasher(n int, wait time.Duration) *Hasher {
	return &Hasher{sem: semaphore.NewWeighted(int64(max(1, n))), wait: wait}
}

// ErrBusy is returned when every hashing slot stayed taken for the whole wait.
var ErrBusy = apperr.New(apperr.Unavailable, "busy", "We are handling many sign-ins right now. Please try again in a few seconds.")

// hashRetry is the Retry-After sent with ErrBusy.
const hashRetry = 5 * time.Second

// run runs fn in a slot (at once when h is nil: package tests and command-line tools).
func (h *Hasher) run(ctx context.Context, fn func()) error {
	if h == nil {
		fn()
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, h.wait)
	defer cancel()
	if err := h.sem.Acquire(wctx, 1); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return ErrBusy.Retry(hashRetry)
	}
	defer h.sem.Release(1)
	fn()
	return nil
}

// hashPassword hashes pw in one of the service's hashing slots.
func (s *Service) hashPassword(ctx context.Context, pw string) (hash string, err error) {
	if rerr := s.Hasher.run(ctx, func() { hash, err = HashPassword(pw) }); rerr != nil {
		return "", rerr
	}
	return hash, err
}

// checkPassword compares pw with hash in one of the service's hashing slots.
func (s *Service) checkPassword(ctx context.Context, pw, hash string) (ok bool, err error) {
	err = s.Hasher.run(ctx, func() { ok = CheckPassword(pw, hash) })
	return ok, err
}

// ValidatePassword applies the password policy: 12 to 128 characters, not a common password (or a
// common password dressed up with digits and symbols), not built from the email address.
func ValidatePassword(pw, email string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		return apperr.Field("password", "Use at least 12 characters. A few unrelated words make a strong, memorable password.")
	case n > MaxPasswordLen:
		return apperr.Field("password", "Use at most 128 characters.")
	}
	if IsCommonPassword(pw) {
		return apperr.Field("password", "This password is too common and easy to guess. Choose something less predictable.")
	}
	if local, _, ok := strings.Cut(strings.ToLower(email), "@"); ok && len(local) >= 4 && strings.Contains(strings.ToLower(pw), local) {
		return apperr.Field("password", "Do not build your password from your email address.")
	}
	return nil
}

// IsCommonPassword reports whether pw is on the shipped list of common passwords, ignoring case,
// surrounding digits and symbols, and simple repetition ("passwordpassword").
func IsCommonPassword(pw string) bool {
	list := commonPasswords()
	p := strings.ToLower(pw)
	if _, ok := list[p]; ok {
		return true
	}
	core := strings.TrimFunc(p, func(r rune) bool { return !(r >= 'a' && r <= 'z') })
	if _, ok := list[core]; ok && len(core) >= 4 {
		return true
	}
	// Runs along the digits or the keyboard ("123456789012", "qwertyuiopas").
	for _, run := range []string{"01234567890123456789", "98765432109876543210", "qwertyuiopasdfghjklzxcvbnm", "abcdefghijklmnopqrstuvwxyz"} {
		if strings.Contains(run, p) {
			return true
		}
	}
	// One character or one short unit repeated.
	for unit := 1; unit <= len(p)/2; unit++ {
		if len(p)%unit == 0 && strings.Repeat(p[:unit], len(p)/unit) == p {
			if unit < 4 {
				return true
			}
			if _, ok := list[p[:unit]]; ok {
				return true
			}
		}
	}
	return false
}

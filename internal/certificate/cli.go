package certificate

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/peeracademy/peeracademy/internal/ce"
)

// VerifyUsage is the usage line of the offline verification command.
const VerifyUsage = "usage: peeracademy certificate verify FILE [-keys JWKS_FILE] [-offline]   (FILE - reads standard input)"

// maxCredentialFile bounds what the command reads.
const maxCredentialFile = 1 << 20

// RunVerify is "certificate verify FILE [-keys JWKS_FILE] [-offline]" (args exclude "certificate
// verify"): it checks a signed credential against the published vendor keys (a JWKS file) or,
// without -keys, against the issuer key the credential names (which proves it intact, not who issued
// it). It prints "valid: <number> issued to <name> by <vendor>, valid until <date>". Then, unless
// -offline, it fetches the credential's status list, checks the list's signature with the same keys
// and reads the credential's bit: a revoked credential is an error; otherwise it prints a
// "revocation:" line saying the list was checked, or clearly that it could not be and why. It needs
// no configuration or database.
func RunVerify(args []string, stdin io.Reader, stdout, stderr io.Writer, now time.Time) error {
	var file, keysFile string
	offline := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-offline" || a == "--offline":
			offline = true
		case a == "-keys" || a == "--keys":
			if i+1 >= len(args) {
				return errors.New("-keys needs a file; " + VerifyUsage)
			}
			i++
			keysFile = args[i]
		case strings.HasPrefix(a, "-keys=") || strings.HasPrefix(a, "--keys="):
			_, keysFile, _ = strings.Cut(a, "=")
		case a == "-h" || a == "-help" || a == "--help":
			fmt.Fprintln(stdout, VerifyUsage)
			return nil
		case strings.HasPrefix(a, "-") && a != "-":
			return fmt.Errorf("unknown flag %s; %s", a, VerifyUsage)
		case file == "":
			file = a
		default:
			return fmt.Errorf("unexpected argument %q; %s", a, VerifyUsage)
		}
	}
	if file == "" {
		return errors.New(VerifyUsage)
	}
	var src io.Reader = stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		src = f
	}
	raw, err := io.ReadAll(io.LimitReader(src, maxCredentialFile+1))
	if err != nil {
		return err
	}
	if len(raw) > maxCredentialFile {
		return fmt.Errorf("%s is too large to be a credential", file)
	}
	jws := bytes.TrimSpace(raw)
	var keys map[string]ed25519.PublicKey
	if keysFile != "" {
		b, err := os.ReadFile(keysFile)
		if err != nil {
			return err
		}
		if keys, err = ParseJWKS(b); err != nil {
			return fmt.Errorf("%s: %w", keysFile, err)
		}
	} else {
		if keys, err = EmbeddedKey(jws); err != nil {
			return fmt.Errorf("invalid credential: %w", err)
		}
	}
	c, err := VerifyCredentialAt(jws, keys, now)
	if err != nil {
		return fmt.Errorf("invalid credential: %w", err)
	}
	fmt.Fprintf(stdout, "valid: %s issued to %s by %s, valid until %s\n", c.Number, c.HolderName, c.VendorName, ce.Day(c.ValidUntil).Format(ce.DateLayout))
	if keysFile == "" {
		fmt.Fprintf(stderr, "note: checked against the key the credential names (%s); pass -keys with the published key set to confirm it is the vendor's key.\n", c.IssuerID)
	}
	switch {
	case offline:
		fmt.Fprintf(stdout, "revocation: not checked (-offline); the current status is at %s\n", c.ID)
	case c.Status == nil:
		fmt.Fprintf(stdout, "revocation: not checked: the credential carries no status list entry (issued before status lists); the current status is at %s\n", c.ID)
	default:
		ctx, cancel := context.WithTimeout(context.Background(), statusFetchTimeout)
		defer cancel()
		revoked, err := CheckStatus(ctx, statusClient, c, keys, keysFile == "", now)
		switch {
		case err != nil:
			fmt.Fprintf(stdout, "revocation: NOT CHECKED: %v; the current status is at %s\n", err, c.ID)
		case revoked:
			return fmt.Errorf("revoked: the issuer's status list %s marks %s as revoked (details at %s)", c.Status.StatusListCredential, c.Number, c.ID)
		default:
			fmt.Fprintf(stdout, "revocation: not revoked, according to the issuer's signed status list %s\n", c.Status.StatusListCredential)
		}
	}
	return nil
}

const statusFetchTimeout = 15 * time.Second

var statusClient = &http.Client{Timeout: statusFetchTimeout}

// ErrNoStatus: the credential carries no status list entry.
var ErrNoStatus = errors.New("the credential carries no status list entry")

// CheckStatus reads a verified credential's revocation bit: it fetches the status list credential
// its credentialStatus names, checks the list's signature against keys and reads the bit at the
// credential's index (true: revoked). A list signed by another key of the issuer than keys holds
// (the vendor rotated its key since) is checked, when fetchKeys, against the key set published at
// the list's origin (/.well-known/jwks.json), provided that set also holds the key the credential
// was signed with. Any failure to fetch, verify or read the list is an error: the status is unknown.
func CheckStatus(ctx context.Context, client *http.Client, c *Claims, keys map[string]ed25519.PublicKey, fetchKeys bool, now time.Time) (bool, error) {
	st := c.Status
	if st == nil {
		return false, ErrNoStatus
	}
	if st.Type != "BitstringStatusListEntry" || st.StatusPurpose != StatusPurposeRevocation {
		return false, fmt.Errorf("unsupported status entry %s with purpose %q", st.Type, st.StatusPurpose)
	}
	index, err := strconv.Atoi(st.StatusListIndex)
	if err != nil || index < 0 || strconv.Itoa(index) != st.StatusListIndex {
		return false, fmt.Errorf("malformed statusListIndex %q", st.StatusListIndex)
	}
	u, err := url.Parse(st.StatusListCredential)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return false, fmt.Errorf("the status list address %q is not a web address", st.StatusListCredential)
	}
	body, err := fetch(ctx, client, u.String(), "application/vc+jwt", maxStatusListJWS)
	if err != nil {
		return false, fmt.Errorf("could not fetch the status list: %w", err)
	}
	list, err := VerifyStatusList(bytes.TrimSpace(body), keys, now)
	if errors.Is(err, ErrUnknownKey) && fetchKeys {
		var published map[string]ed25519.PublicKey
		published, err = publishedKeys(ctx, client, u, c.KeyID, keys[c.KeyID])
		if err == nil {
			list, err = VerifyStatusList(bytes.TrimSpace(body), published, now)
		}
	}
	if err != nil {
		return false, fmt.Errorf("the status list does not verify: %w", err)
	}
	if list.ID != "" && list.ID != st.StatusListCredential {
		return false, fmt.Errorf("the status list at %s says it is %s", st.StatusListCredential, list.ID)
	}
	if !contains(list.Purposes, st.StatusPurpose) {
		return false, fmt.Errorf("the status list is not for %s", st.StatusPurpose)
	}
	return list.Bit(index)
}

// publishedKeys fetches the key set published at the origin of u and keeps it only if it holds the
// key (kid, pub) the credential was signed with: that ties the origin's keys to the credential's
// issuer.
func publishedKeys(ctx context.Context, client *http.Client, u *url.URL, kid string, pub ed25519.PublicKey) (map[string]ed25519.PublicKey, error) {
	jwksURL := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/.well-known/jwks.json"}).String()
	b, err := fetch(ctx, client, jwksURL, "application/jwk-set+json", maxCredentialFile)
	if err != nil {
		return nil, fmt.Errorf("the list is signed by another key and the published keys could not be fetched: %w", err)
	}
	keys, err := ParseJWKS(b)
	if err != nil {
		return nil, err
	}
	if pub == nil || !keys[kid].Equal(pub) {
		return nil, fmt.Errorf("%w: the key set at %s does not hold the credential's key", ErrUnknownKey, jwksURL)
	}
	return keys, nil
}

func fetch(ctx context.Context, client *http.Client, u, accept string, max int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s", u, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: the answer is too large", u)
	}
	return b, nil
}

package certificate

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/peeracademy/peeracademy/internal/ce"
)

// VerifyUsage is the usage line of the offline verification command.
const VerifyUsage = "usage: peeracademy certificate verify FILE [-keys JWKS_FILE]   (FILE - reads standard input)"

// maxCredentialFile bounds what the command reads.
const maxCredentialFile = 1 << 20

// RunVerify is "certificate verify FILE [-keys JWKS_FILE]" (args exclude "certificate verify"): it
// checks a signed credential offline, against the published vendor keys (a JWKS file) or, without
// -keys, against the issuer key the credential names (which proves it intact, not who issued it).
// It prints "valid: <number> issued to <name> by <vendor>, valid until <date>" and returns nil, or
// returns the reason it is not valid. It needs no configuration or database.
func RunVerify(args []string, stdin io.Reader, stdout, stderr io.Writer, now time.Time) error {
	var file, keysFile string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
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
		fmt.Fprintf(stderr, "note: checked against the key the credential names (%s); pass -keys with the published key set to confirm it is the vendor's key.\n"+
			"The credential does not show revocation: its current status is at %s\n", c.IssuerID, c.ID)
	} else {
		fmt.Fprintf(stderr, "note: revocation is not part of the credential; its current status is at %s\n", c.ID)
	}
	return nil
}

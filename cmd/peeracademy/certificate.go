package main

import (
	"fmt"
	"io"
	"time"

	"github.com/peeracademy/peeracademy/internal/certificate"
)

const certificateUsage = "usage: peeracademy certificate verify FILE [-keys JWKS_FILE] [-offline]"

// certificateCmd runs "peeracademy certificate verify FILE [-keys JWKS_FILE] [-offline]" (args exclude
// the word "certificate"). It checks a signed credential (the compact JWS a holder downloads) against
// the published vendor keys in JWKS_FILE or, without -keys, against the issuer key the credential
// names, then (unless -offline) its issuer's signed revocation list. It prints "valid: <number> issued
// to <name> by <vendor>, valid until <date>" and a "revocation:" line, or returns why the credential
// is not valid. It needs no configuration or database.
func certificateCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, certificateUsage)
		return fmt.Errorf("%s", certificateUsage)
	}
	return certificate.RunVerify(args[1:], stdin, stdout, stderr, time.Now())
}

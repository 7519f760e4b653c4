package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// envOf returns a getenv over a fixed map, so tests never see the real process environment.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

const hexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func TestDefaultsWithEmptyEnvironment(t *testing.T) {
	c, err := LoadFrom(envOf(nil))
	if err != nil {
		t.Fatalf("empty environment: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"DatabaseURL", c.DatabaseURL, "./data/peeracademy.db"},
		{"ListenAddr", c.ListenAddr, "127.0.0.1:8080"},
		{"BaseURL", c.BaseURL, "http://127.0.0.1:8080"},
		{"Env", c.Env, "development"},
		{"LogLevel", c.LogLevel, "info"},
		{"ShutdownGrace", c.ShutdownGrace, 20 * time.Second},
		{"TrustedProxies", len(c.TrustedProxies), 0},
		{"HashConcurrency", c.HashConcurrency, DefaultHashConcurrency()},
		{"HashWait", c.HashWait, 2 * time.Second},
		{"RegisterPerHour", c.RegisterPerHour, 20},
		{"ResetPerHour", c.ResetPerHour, 20},
		{"ConfirmMailPerHour", c.ConfirmMailPerHour, 20},
		{"CookieSecure", c.CookieSecure, false},
		{"SecretKey length", len(c.SecretKey), 0},
		{"Media.Dir", c.Media.Dir, "./data/media"},
		{"Media.S3Endpoint", c.Media.S3Endpoint, ""},
		{"Media.S3Bucket", c.Media.S3Bucket, "peeracademy"},
		{"Media.S3Region", c.Media.S3Region, "us-east-1"},
		{"Media.S3UseTLS", c.Media.S3UseTLS, true},
		{"Mail.Mode", c.Mail.Mode, "log"},
		{"Mail.Host", c.Mail.Host, ""},
		{"Mail.Port", c.Mail.Port, 587},
		{"Mail.TLS", c.Mail.TLS, "starttls"},
		{"Mail.From", c.Mail.From, "PeerAcademy <no-reply@peeracademy.local>"},
		{"SessionIdle", c.SessionIdle, 30 * time.Minute},
		{"SessionAbsolute", c.SessionAbsolute, 12 * time.Hour},
		{"LoginMaxPerAccount", c.LoginMaxPerAccount, 5},
		{"LoginMaxPerIP", c.LoginMaxPerIP, 30},
		{"LoginWindow", c.LoginWindow, 15 * time.Minute},
		{"MaxUploadBytes", c.MaxUploadBytes, int64(10 << 20)},
		{"UsesPostgres", c.UsesPostgres(), false},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %#v, want %#v", ck.name, ck.got, ck.want)
		}
	}
}

func TestValidValues(t *testing.T) {
	env := map[string]string{
		"PEERACADEMY_DATABASE_URL":             "postgres://u:p@db:5432/pa?sslmode=disable",
		"PEERACADEMY_LISTEN_ADDR":              "0.0.0.0:9000",
		"PEERACADEMY_BASE_URL":                 "https://academy.example.org/",
		"PEERACADEMY_ENV":                      "Production",
		"PEERACADEMY_LOG_LEVEL":                "debug",
		"PEERACADEMY_TRUSTED_PROXIES":          "10.0.0.0/8, 192.0.2.10,2001:db8::/32",
		"PEERACADEMY_HASH_CONCURRENCY":         "3",
		"PEERACADEMY_HASH_WAIT":                "500ms",
		"PEERACADEMY_SESSION_IDLE_TIMEOUT":     "10m",
		"PEERACADEMY_SESSION_ABSOLUTE_TIMEOUT": "8h",
		"PEERACADEMY_LOGIN_MAX_PER_ACCOUNT":    "7",
		"PEERACADEMY_LOGIN_MAX_PER_IP":         "99",
		"PEERACADEMY_LOGIN_WINDOW":             "1h",
		"PEERACADEMY_MAX_UPLOAD_MB":            " 25 ",
		"PEERACADEMY_SMTP_HOST":                "smtp.example.org",
		"PEERACADEMY_SMTP_PORT":                "465",
		"PEERACADEMY_SMTP_TLS":                 "TLS",
		"PEERACADEMY_SMTP_USERNAME":            "mailer",
		"PEERACADEMY_SMTP_PASSWORD":            "  s3cret  ",
		"PEERACADEMY_SECRET_KEY":               hexKey,
		"PEERACADEMY_S3_ENDPOINT":              "minio:9000",
		"PEERACADEMY_S3_ACCESS_KEY":            "AK",
		"PEERACADEMY_S3_SECRET_KEY":            "SK",
		"PEERACADEMY_S3_TLS":                   "false",
		"PEERACADEMY_ENCRYPTION_KEYS":          "k1:" + strings.Repeat("A", 43) + "=,k2:" + strings.Repeat("B", 43) + "=",
		"PEERACADEMY_ENCRYPTION_KEY_ID":        "k2",
		"PEERACADEMY_DOCUMENT_RETENTION_DAYS":  "30",
		"PEERACADEMY_DRAFT_RETENTION_DAYS":     "60",
	}
	c, err := LoadFrom(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"UsesPostgres", c.UsesPostgres(), true},
		{"EncryptionKeyID", c.EncryptionKeyID, "k2"},
		{"EncryptionKeys", len(c.EncryptionKeys), 2},
		{"DocumentRetention", c.DocumentRetention, 30 * 24 * time.Hour},
		{"DraftRetention", c.DraftRetention, 60 * 24 * time.Hour},
		{"ListenAddr", c.ListenAddr, "0.0.0.0:9000"},
		{"BaseURL (trailing slash trimmed)", c.BaseURL, "https://academy.example.org"},
		{"CookieSecure (https default)", c.CookieSecure, true},
		{"Env (lower-cased)", c.Env, "production"},
		{"LogLevel", c.LogLevel, "debug"},
		{"TrustedProxies", fmt.Sprint(c.TrustedProxies), "[10.0.0.0/8 192.0.2.10/32 2001:db8::/32]"},
		{"HashConcurrency", c.HashConcurrency, 3},
		{"HashWait", c.HashWait, 500 * time.Millisecond},
		{"SessionIdle", c.SessionIdle, 10 * time.Minute},
		{"SessionAbsolute", c.SessionAbsolute, 8 * time.Hour},
		{"LoginMaxPerAccount", c.LoginMaxPerAccount, 7},
		{"LoginMaxPerIP", c.LoginMaxPerIP, 99},
		{"LoginWindow", c.LoginWindow, time.Hour},
		{"MaxUploadBytes", c.MaxUploadBytes, int64(25 << 20)},
		{"Mail.Mode (smtp when host set)", c.Mail.Mode, "smtp"},
		{"Mail.Host", c.Mail.Host, "smtp.example.org"},
		{"Mail.Port", c.Mail.Port, 465},
		{"Mail.TLS", c.Mail.TLS, "tls"},
		{"Mail.Username", c.Mail.Username, "mailer"},
		{"Mail.Password (trimmed)", c.Mail.Password, "s3cret"},
		{"SecretKey length", len(c.SecretKey), 32},
		{"Media.S3Endpoint", c.Media.S3Endpoint, "minio:9000"},
		{"Media.S3AccessKey", c.Media.S3AccessKey, "AK"},
		{"Media.S3SecretKey", c.Media.S3SecretKey, "SK"},
		{"Media.S3UseTLS", c.Media.S3UseTLS, false},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %#v, want %#v", ck.name, ck.got, ck.want)
		}
	}
	if c.SecretKey[0] != 0x00 || c.SecretKey[31] != 0x1f {
		t.Errorf("hex secret key decoded wrongly: %x", c.SecretKey)
	}
}

func TestSecretKeyEncodings(t *testing.T) {
	cases := []struct {
		name, value string
		wantLen     int
	}{
		{"hex 32 bytes", hexKey, 32},
		{"hex 48 bytes", strings.Repeat("ab", 48), 48},
		{"base64 32 bytes", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 32},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadFrom(envOf(map[string]string{"PEERACADEMY_SECRET_KEY": tc.value}))
			if err != nil {
				t.Fatal(err)
			}
			if len(c.SecretKey) != tc.wantLen {
				t.Fatalf("key length %d, want %d", len(c.SecretKey), tc.wantLen)
			}
		})
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		wantVar string // the variable the error must name
		wantMsg string // another fragment the message must contain
	}{
		{"upload size not a number", map[string]string{"PEERACADEMY_MAX_UPLOAD_MB": "abc"}, "PEERACADEMY_MAX_UPLOAD_MB", `"abc"`},
		{"upload size zero", map[string]string{"PEERACADEMY_MAX_UPLOAD_MB": "0"}, "PEERACADEMY_MAX_UPLOAD_MB", "from 1 to 2048"},
		{"encryption key too short", map[string]string{"PEERACADEMY_ENCRYPTION_KEYS": "k1:c2hvcnQ=", "PEERACADEMY_ENCRYPTION_KEY_ID": "k1"}, "PEERACADEMY_ENCRYPTION_KEYS", "32 random bytes"},
		{"encryption key id unknown", map[string]string{"PEERACADEMY_ENCRYPTION_KEYS": "k1:" + strings.Repeat("A", 43) + "=", "PEERACADEMY_ENCRYPTION_KEY_ID": "k9"}, "PEERACADEMY_ENCRYPTION_KEY_ID", "must name one of the keys"},
		{"no encryption keys in production", map[string]string{"PEERACADEMY_ENV": "production"}, "PEERACADEMY_ENCRYPTION_KEYS", "required in production"},
		{"retention not a number", map[string]string{"PEERACADEMY_DOCUMENT_RETENTION_DAYS": "forever"}, "PEERACADEMY_DOCUMENT_RETENTION_DAYS", "whole number"},
		{"upload size too large", map[string]string{"PEERACADEMY_MAX_UPLOAD_MB": "4096"}, "PEERACADEMY_MAX_UPLOAD_MB", "from 1 to 2048"},
		{"negative idle timeout", map[string]string{"PEERACADEMY_SESSION_IDLE_TIMEOUT": "-5m"}, "PEERACADEMY_SESSION_IDLE_TIMEOUT", "positive duration"},
		{"zero absolute timeout", map[string]string{"PEERACADEMY_SESSION_ABSOLUTE_TIMEOUT": "0s"}, "PEERACADEMY_SESSION_ABSOLUTE_TIMEOUT", "positive duration"},
		{"idle longer than absolute", map[string]string{"PEERACADEMY_SESSION_IDLE_TIMEOUT": "2h", "PEERACADEMY_SESSION_ABSOLUTE_TIMEOUT": "1h"}, "PEERACADEMY_SESSION_IDLE_TIMEOUT", "must not exceed"},
		{"duration without unit", map[string]string{"PEERACADEMY_LOGIN_WINDOW": "15"}, "PEERACADEMY_LOGIN_WINDOW", "positive duration"},
		{"shutdown grace garbage", map[string]string{"PEERACADEMY_SHUTDOWN_GRACE": "soon"}, "PEERACADEMY_SHUTDOWN_GRACE", "positive duration"},
		{"login max per account zero", map[string]string{"PEERACADEMY_LOGIN_MAX_PER_ACCOUNT": "0"}, "PEERACADEMY_LOGIN_MAX_PER_ACCOUNT", "whole number"},
		{"login max per ip fractional", map[string]string{"PEERACADEMY_LOGIN_MAX_PER_IP": "2.5"}, "PEERACADEMY_LOGIN_MAX_PER_IP", "whole number"},
		{"ftp base URL", map[string]string{"PEERACADEMY_BASE_URL": "ftp://x"}, "PEERACADEMY_BASE_URL", "http(s)"},
		{"relative base URL", map[string]string{"PEERACADEMY_BASE_URL": "academy.example.org"}, "PEERACADEMY_BASE_URL", "http(s)"},
		{"base URL without host", map[string]string{"PEERACADEMY_BASE_URL": "https://"}, "PEERACADEMY_BASE_URL", "http(s)"},
		{"unknown env", map[string]string{"PEERACADEMY_ENV": "staging"}, "PEERACADEMY_ENV", "development, production"},
		{"unknown log level", map[string]string{"PEERACADEMY_LOG_LEVEL": "trace"}, "PEERACADEMY_LOG_LEVEL", "debug, info, warn, error"},
		{"bad boolean", map[string]string{"PEERACADEMY_COOKIE_SECURE": "maybe"}, "PEERACADEMY_COOKIE_SECURE", "true or false"},
		{"removed trust-proxy switch", map[string]string{"PEERACADEMY_TRUST_PROXY": "true"}, "PEERACADEMY_TRUST_PROXY", "PEERACADEMY_TRUSTED_PROXIES"},
		{"trusted proxy not a network", map[string]string{"PEERACADEMY_TRUSTED_PROXIES": "10.0.0.0/8,lb.internal"}, "PEERACADEMY_TRUSTED_PROXIES", "10.0.0.0/8"},
		{"hash concurrency zero", map[string]string{"PEERACADEMY_HASH_CONCURRENCY": "0"}, "PEERACADEMY_HASH_CONCURRENCY", "whole number"},
		{"bad cookie flag", map[string]string{"PEERACADEMY_COOKIE_SECURE": "yes please"}, "PEERACADEMY_COOKIE_SECURE", "true or false"},
		{"smtp mode without host", map[string]string{"PEERACADEMY_MAIL_MODE": "smtp"}, "PEERACADEMY_SMTP_HOST", "MAIL_MODE=smtp"},
		{"unknown mail mode", map[string]string{"PEERACADEMY_MAIL_MODE": "pigeon"}, "PEERACADEMY_MAIL_MODE", "smtp, log"},
		{"unknown smtp tls", map[string]string{"PEERACADEMY_SMTP_TLS": "ssl"}, "PEERACADEMY_SMTP_TLS", "starttls, tls, none"},
		{"smtp port out of range", map[string]string{"PEERACADEMY_SMTP_PORT": "70000"}, "PEERACADEMY_SMTP_PORT", "from 1 to 65535"},
		{"s3 endpoint without keys", map[string]string{"PEERACADEMY_S3_ENDPOINT": "minio:9000"}, "PEERACADEMY_S3_ACCESS_KEY", "PEERACADEMY_S3_SECRET_KEY"},
		{"s3 endpoint with only access key", map[string]string{"PEERACADEMY_S3_ENDPOINT": "minio:9000", "PEERACADEMY_S3_ACCESS_KEY": "AK"}, "PEERACADEMY_S3_ACCESS_KEY", "PEERACADEMY_S3_SECRET_KEY"},
		{"s3 endpoint with scheme", map[string]string{"PEERACADEMY_S3_ENDPOINT": "https://minio:9000", "PEERACADEMY_S3_ACCESS_KEY": "AK", "PEERACADEMY_S3_SECRET_KEY": "SK"}, "PEERACADEMY_S3_ENDPOINT", "without a scheme"},
		{"bad s3 tls flag", map[string]string{"PEERACADEMY_S3_TLS": "secure"}, "PEERACADEMY_S3_TLS", "true or false"},
		{"secret key too short (hex)", map[string]string{"PEERACADEMY_SECRET_KEY": "abcdef0123456789"}, "PEERACADEMY_SECRET_KEY", "at least 32"},
		{"secret key too short (base64)", map[string]string{"PEERACADEMY_SECRET_KEY": "c2hvcnQ="}, "PEERACADEMY_SECRET_KEY", "at least 32"},
		{"secret key not encoded", map[string]string{"PEERACADEMY_SECRET_KEY": "this is not hex nor base64 at all!!"}, "PEERACADEMY_SECRET_KEY", "at least 32"},
		{"secret key and file both set", map[string]string{"PEERACADEMY_SECRET_KEY": hexKey, "PEERACADEMY_SECRET_KEY_FILE": "/nonexistent"}, "PEERACADEMY_SECRET_KEY", "not both"},
		{"smtp password and file both set", map[string]string{"PEERACADEMY_SMTP_PASSWORD": "x", "PEERACADEMY_SMTP_PASSWORD_FILE": "/nonexistent"}, "PEERACADEMY_SMTP_PASSWORD", "not both"},
		{"s3 secret and file both set", map[string]string{"PEERACADEMY_S3_SECRET_KEY": "x", "PEERACADEMY_S3_SECRET_KEY_FILE": "/nonexistent"}, "PEERACADEMY_S3_SECRET_KEY", "not both"},
		{"secret file missing", map[string]string{"PEERACADEMY_SECRET_KEY_FILE": "/nonexistent/peeracademy/secret"}, "PEERACADEMY_SECRET_KEY_FILE", "cannot read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadFrom(envOf(tc.env))
			if err == nil {
				t.Fatalf("no error; config %+v", c)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.wantVar) {
				t.Errorf("error %q does not name %s", msg, tc.wantVar)
			}
			if !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("error %q does not contain %q", msg, tc.wantMsg)
			}
			if c.DatabaseURL != "" || c.ListenAddr != "" || c.SecretKey != nil {
				t.Errorf("a failed load returned a partly filled Config: %+v", c)
			}
		})
	}
}

func TestAllErrorsReportedTogether(t *testing.T) {
	_, err := LoadFrom(envOf(map[string]string{
		"PEERACADEMY_MAX_UPLOAD_MB": "abc",
		"PEERACADEMY_BASE_URL":      "ftp://x",
		"PEERACADEMY_MAIL_MODE":     "smtp",
	}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, v := range []string{"PEERACADEMY_MAX_UPLOAD_MB", "PEERACADEMY_BASE_URL", "PEERACADEMY_SMTP_HOST"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error %q does not mention %s", err, v)
		}
	}
}

func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := map[string]string{
		"PEERACADEMY_SECRET_KEY_FILE":    write("secret_key", hexKey+"\n"),
		"PEERACADEMY_SMTP_HOST":          "smtp.example.org",
		"PEERACADEMY_SMTP_PASSWORD_FILE": write("smtp_password", "  mail-pass\n"),
		"PEERACADEMY_S3_ENDPOINT":        "minio:9000",
		"PEERACADEMY_S3_ACCESS_KEY_FILE": write("s3_access", "AKIAFILE\n"),
		"PEERACADEMY_S3_SECRET_KEY_FILE": write("s3_secret", "s3-secret-from-file\r\n"),
	}
	c, err := LoadFrom(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 32)
	for i := range want {
		want[i] = byte(i)
	}
	if !bytes.Equal(c.SecretKey, want) {
		t.Errorf("SecretKey = %x, want %x", c.SecretKey, want)
	}
	if c.Mail.Password != "mail-pass" {
		t.Errorf("Mail.Password = %q", c.Mail.Password)
	}
	if c.Media.S3AccessKey != "AKIAFILE" || c.Media.S3SecretKey != "s3-secret-from-file" {
		t.Errorf("S3 keys = %q, %q", c.Media.S3AccessKey, c.Media.S3SecretKey)
	}

	// A key file holding a short key is refused, naming the variable.
	env["PEERACADEMY_SECRET_KEY_FILE"] = write("short_key", "abcd\n")
	if _, err := LoadFrom(envOf(env)); err == nil || !strings.Contains(err.Error(), "PEERACADEMY_SECRET_KEY") {
		t.Errorf("short key from file: %v", err)
	}
}

func TestIsPostgresURL(t *testing.T) {
	cases := map[string]bool{
		"postgres://u@h/db":             true,
		"postgresql://u@h/db":           true,
		"./data/peeracademy.db":         false,
		"file:/tmp/x.db":                false,
		"sqlite:///tmp/x.db":            false,
		"mysql://u@h/db":                false,
		"/var/lib/postgres/peeracademy": false,
	}
	for u, want := range cases {
		if got := IsPostgresURL(u); got != want {
			t.Errorf("IsPostgresURL(%q) = %v, want %v", u, got, want)
		}
	}
}

func TestLoadReadsProcessEnvironment(t *testing.T) {
	t.Setenv("PEERACADEMY_LISTEN_ADDR", "127.0.0.1:9999")
	t.Setenv("PEERACADEMY_DATABASE_URL", "")
	t.Setenv("PEERACADEMY_BASE_URL", "")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr != "127.0.0.1:9999" || c.BaseURL != "http://127.0.0.1:9999" {
		t.Fatalf("Load ignored the environment: %+v", c)
	}
}

// TestPprofAddr: the profiler is off by default and only ever listens on a loopback address.
func TestPprofAddr(t *testing.T) {
	if c, err := LoadFrom(envOf(nil)); err != nil || c.PprofAddr != "" {
		t.Fatalf("default: %q %v", c.PprofAddr, err)
	}
	for _, ok := range []string{"127.0.0.1:6060", "[::1]:6060", "localhost:6060"} {
		if c, err := LoadFrom(envOf(map[string]string{"PEERACADEMY_PPROF_ADDR": ok})); err != nil || c.PprofAddr != ok {
			t.Errorf("%s: %q %v", ok, c.PprofAddr, err)
		}
	}
	for _, bad := range []string{"0.0.0.0:6060", ":6060", "10.0.0.5:6060", "example.org:6060", "6060"} {
		if _, err := LoadFrom(envOf(map[string]string{"PEERACADEMY_PPROF_ADDR": bad})); err == nil || !strings.Contains(err.Error(), "PEERACADEMY_PPROF_ADDR") {
			t.Errorf("%s accepted: %v", bad, err)
		}
	}
}

// Package config reads PeerAcademy's typed configuration from PEERACADEMY_* environment variables.
// Secrets may also come from a file named by the variable with a _FILE suffix. A bad value stops
// start-up with an error that names the variable. The Config is passed explicitly, never global.
package config

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Config is the complete runtime configuration.
type Config struct {
	DatabaseURL  string // postgres://... or a SQLite file path
	ListenAddr   string
	BaseURL      string // public base URL used in emails and QR codes, without trailing slash
	Env          string // "development" or "production"
	SecretKey    []byte // 32+ bytes; signs CSRF tokens. Empty: generated once and kept in the database
	CookieSecure bool   // Secure flag on cookies (default: true when BaseURL is https)
	// TrustedProxies are the networks of the load balancers in front of the app. The client address
	// is the right-most X-Forwarded-For entry that is not one of them (see httpx.ClientAddress).
	TrustedProxies []netip.Prefix
	LogLevel       string
	ShutdownGrace  time.Duration

	Media MediaConfig
	Mail  MailConfig

	SessionIdle        time.Duration
	SessionAbsolute    time.Duration
	LoginMaxPerAccount int // failed sign-ins per account per window
	LoginMaxPerIP      int // failed sign-ins per IP per window
	LoginWindow        time.Duration
	MaxUploadBytes     int64

	// HashConcurrency bounds the argon2id password hashes in flight (64 MiB each); HashWait is how
	// long a request waits for a slot before it is refused with 503.
	HashConcurrency int
	HashWait        time.Duration
	// Per client address and hour: registrations, password-reset requests, confirmation emails.
	RegisterPerHour    int
	ResetPerHour       int
	ConfirmMailPerHour int

	// EncryptionKeys seal sensitive application fields (date of birth, self-identification) with
	// AES-256-GCM. Each sealed value names its key id, so keys can be rotated: add a new key, make it
	// current, and old values still open.
	EncryptionKeys  map[string][]byte
	EncryptionKeyID string
	// DocumentRetention is how long documents of withdrawn or rejected applications are kept.
	DocumentRetention time.Duration
	// DraftRetention is how long documents of a draft application nobody has touched are kept.
	DraftRetention time.Duration

	// CERule names the continuing-education rule new certificates follow (annual18 or biennial36),
	// CEGrace how long after a cycle ends an unmet rule lapses the certificate, and CertificateMonths
	// how long a certificate is valid.
	CERule            string
	CEGrace           time.Duration
	CertificateMonths int
	// VerifyPerMinute limits public certificate look-ups per client address.
	VerifyPerMinute int
	// PprofAddr, when set, serves the Go profiler (/debug/pprof) on a listener of its own. It must be
	// a loopback address; empty (the default) turns the profiler off.
	PprofAddr string
}

// MediaConfig chooses the media store.
type MediaConfig struct {
	Dir         string // local directory store (default)
	S3Endpoint  string // host:port; when set the S3 store is used
	S3Bucket    string
	S3Region    string
	S3AccessKey string
	S3SecretKey string
	S3UseTLS    bool
}

// MailConfig configures outgoing mail. With Mode "log" (the default when no SMTP host is set) mail is
// kept in the outbox and shown to platform admins instead of being sent.
type MailConfig struct {
	Mode     string // "smtp" or "log"
	Host     string
	Port     int
	Username string
	Password string
	From     string
	TLS      string // "starttls" (default), "tls" or "none"
}

// Load reads the configuration from the process environment.
func Load() (Config, error) { return LoadFrom(os.Getenv) }

// LoadFrom reads the configuration through getenv, which makes it testable.
func LoadFrom(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		DatabaseURL:   r.str("DATABASE_URL", "./data/peeracademy.db"),
		ListenAddr:    r.str("LISTEN_ADDR", "127.0.0.1:8080"),
		Env:           r.oneOf("ENV", "development", "development", "production"),
		LogLevel:      r.oneOf("LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		ShutdownGrace: r.duration("SHUTDOWN_GRACE", 20*time.Second),

		SessionIdle:        r.duration("SESSION_IDLE_TIMEOUT", 30*time.Minute),
		SessionAbsolute:    r.duration("SESSION_ABSOLUTE_TIMEOUT", 12*time.Hour),
		LoginMaxPerAccount: r.integer("LOGIN_MAX_PER_ACCOUNT", 5, 1, 1000),
		LoginMaxPerIP:      r.integer("LOGIN_MAX_PER_IP", 30, 1, 100000),
		LoginWindow:        r.duration("LOGIN_WINDOW", 15*time.Minute),
		MaxUploadBytes:     int64(r.integer("MAX_UPLOAD_MB", 10, 1, 2048)) << 20,
		HashConcurrency:    r.integer("HASH_CONCURRENCY", DefaultHashConcurrency(), 1, 1024),
		HashWait:           r.duration("HASH_WAIT", 2*time.Second),
		RegisterPerHour:    r.integer("REGISTER_PER_HOUR", 20, 1, 100000),
		ResetPerHour:       r.integer("RESET_PER_HOUR", 20, 1, 100000),
		ConfirmMailPerHour: r.integer("CONFIRM_MAIL_PER_HOUR", 20, 1, 100000),
	}
	c.TrustedProxies = r.prefixes("TRUSTED_PROXIES")
	// The old switch trusted whatever X-Forwarded-For said; it is gone rather than quietly kept.
	if v := strings.ToLower(r.str("TRUST_PROXY", "")); v != "" && v != "false" && v != "0" {
		r.fail("TRUST_PROXY", "was removed: it let clients choose their own address. List your load balancers' networks in PEERACADEMY_TRUSTED_PROXIES instead (for example 10.0.0.0/8)")
	}
	c.BaseURL = strings.TrimRight(r.str("BASE_URL", "http://"+c.ListenAddr), "/")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail("BASE_URL", "must be an absolute http(s) URL such as https://academy.example.org")
	}
	c.CookieSecure = r.boolean("COOKIE_SECURE", strings.HasPrefix(c.BaseURL, "https://"))
	if s := r.secret("SECRET_KEY"); s != "" {
		key, err := decodeKey(s)
		if err != nil {
			r.fail("SECRET_KEY", err.Error())
		}
		c.SecretKey = key
	}

	c.Media = MediaConfig{
		Dir:         r.str("MEDIA_DIR", "./data/media"),
		S3Endpoint:  r.str("S3_ENDPOINT", ""),
		S3Bucket:    r.str("S3_BUCKET", "peeracademy"),
		S3Region:    r.str("S3_REGION", "us-east-1"),
		S3AccessKey: r.secret("S3_ACCESS_KEY"),
		S3SecretKey: r.secret("S3_SECRET_KEY"),
		S3UseTLS:    r.boolean("S3_TLS", true),
	}
	if c.Media.S3Endpoint != "" {
		if strings.Contains(c.Media.S3Endpoint, "://") {
			r.fail("S3_ENDPOINT", "give host:port without a scheme (use PEERACADEMY_S3_TLS for https)")
		}
		if c.Media.S3AccessKey == "" || c.Media.S3SecretKey == "" {
			r.fail("S3_ACCESS_KEY", "S3 needs PEERACADEMY_S3_ACCESS_KEY and PEERACADEMY_S3_SECRET_KEY")
		}
	}

	host := r.str("SMTP_HOST", "")
	defMode := "log"
	if host != "" {
		defMode = "smtp"
	}
	c.Mail = MailConfig{
		Mode:     r.oneOf("MAIL_MODE", defMode, "smtp", "log"),
		Host:     host,
		Port:     r.integer("SMTP_PORT", 587, 1, 65535),
		Username: r.str("SMTP_USERNAME", ""),
		Password: r.secret("SMTP_PASSWORD"),
		From:     r.str("MAIL_FROM", "PeerAcademy <no-reply@peeracademy.local>"),
		TLS:      r.oneOf("SMTP_TLS", "starttls", "starttls", "tls", "none"),
	}
	if c.Mail.Mode == "smtp" && c.Mail.Host == "" {
		r.fail("SMTP_HOST", "required when PEERACADEMY_MAIL_MODE=smtp")
	}
	c.CERule = r.oneOf("CE_RULE", "annual18", "annual18", "biennial36")
	c.CEGrace = time.Duration(r.integer("CE_GRACE_DAYS", 30, 0, 365)) * 24 * time.Hour
	c.CertificateMonths = r.integer("CERTIFICATE_MONTHS", 24, 1, 120)
	c.VerifyPerMinute = r.integer("VERIFY_PER_MINUTE", 30, 1, 10000)
	c.DocumentRetention = time.Duration(r.integer("DOCUMENT_RETENTION_DAYS", 90, 1, 3650)) * 24 * time.Hour
	c.DraftRetention = time.Duration(r.integer("DRAFT_RETENTION_DAYS", 180, 1, 3650)) * 24 * time.Hour
	if spec := r.secret("ENCRYPTION_KEYS"); spec != "" {
		keys, err := parseKeys(spec)
		if err != nil {
			r.fail("ENCRYPTION_KEYS", err.Error())
		}
		c.EncryptionKeys = keys
		c.EncryptionKeyID = r.str("ENCRYPTION_KEY_ID", "")
		if _, ok := keys[c.EncryptionKeyID]; !ok && err == nil {
			r.fail("ENCRYPTION_KEY_ID", "must name one of the keys in PEERACADEMY_ENCRYPTION_KEYS")
		}
	} else if c.Env == "production" {
		r.fail("ENCRYPTION_KEYS", "required in production: give id:base64key pairs, e.g. k1:$(openssl rand -base64 32)")
	}
	if c.PprofAddr = r.str("PPROF_ADDR", ""); c.PprofAddr != "" && !loopback(c.PprofAddr) {
		r.fail("PPROF_ADDR", "must be a loopback address such as 127.0.0.1:6060 (the profiler is for the host's operators only)")
	}
	if c.SessionIdle > c.SessionAbsolute {
		r.fail("SESSION_IDLE_TIMEOUT", "must not exceed PEERACADEMY_SESSION_ABSOLUTE_TIMEOUT")
	}
	if len(r.errs) > 0 {
		return Config{}, fmt.Errorf("configuration: %s", strings.Join(r.errs, "; "))
	}
	return c, nil
}

// UsesPostgres reports whether the database URL names PostgreSQL.
func (c Config) UsesPostgres() bool { return IsPostgresURL(c.DatabaseURL) }

// IsPostgresURL reports whether a database URL names PostgreSQL.
func IsPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

const prefix = "PEERACADEMY_"

// loopback reports whether addr is host:port with a loopback host.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

type reader struct {
	getenv func(string) string
	errs   []string
}

func (r *reader) fail(name, msg string) { r.errs = append(r.errs, prefix+name+": "+msg) }

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(prefix + name)); v != "" {
		return v
	}
	return def
}

// secret reads NAME, or the contents of the file named by NAME_FILE.
func (r *reader) secret(name string) string {
	v := r.getenv(prefix + name)
	f := r.getenv(prefix + name + "_FILE")
	if v != "" && f != "" {
		r.fail(name, "set either the variable or its _FILE variant, not both")
		return ""
	}
	if f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			r.fail(name+"_FILE", "cannot read the file: "+err.Error())
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	return strings.TrimSpace(v)
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(r.str(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, fmt.Sprintf("must be one of %s (got %q)", strings.Join(allowed, ", "), v))
	return def
}

func (r *reader) boolean(name string, def bool) bool {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, fmt.Sprintf("must be true or false (got %q)", v))
		return def
	}
	return b
}

func (r *reader) integer(name string, def, min, max int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		r.fail(name, fmt.Sprintf("must be a whole number from %d to %d (got %q)", min, max, v))
		return def
	}
	return n
}

// prefixes reads a comma-separated list of networks (CIDR) or single addresses.
func (r *reader) prefixes(name string) []netip.Prefix {
	v := r.str(name, "")
	if v == "" {
		return nil
	}
	var out []netip.Prefix
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				r.fail(name, fmt.Sprintf("give networks such as 10.0.0.0/8 or addresses such as 192.0.2.10, separated by commas (got %q)", part))
				continue
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, fmt.Sprintf("must be a positive duration such as 30m or 12h (got %q)", v))
		return def
	}
	return d
}

// parseKeys reads "id:base64,id2:base64" into 32-byte keys.
func parseKeys(spec string) (map[string][]byte, error) {
	keys := map[string][]byte{}
	for _, part := range strings.Split(spec, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || id == "" {
			return nil, fmt.Errorf("give comma-separated id:base64key pairs")
		}
		k, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(k) != 32 {
			return nil, fmt.Errorf("key %q must be 32 random bytes in base64 (openssl rand -base64 32)", id)
		}
		if _, dup := keys[id]; dup {
			return nil, fmt.Errorf("key id %q appears twice", id)
		}
		keys[id] = k
	}
	return keys, nil
}

func decodeKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil && len(b) >= 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) >= 32 {
		return b, nil
	}
	return nil, fmt.Errorf("must be at least 32 random bytes, hex or base64 encoded (openssl rand -hex 32)")
}

// DefaultHashConcurrency derives the bound on password hashes in flight from the machine: one per CPU
// (argon2id is CPU-bound), but no more than a quarter of the memory available to the process allows
// at 64 MiB each, and at least one.
func DefaultHashConcurrency() int {
	n := runtime.NumCPU()
	if mem := memoryAvailable(); mem > 0 {
		n = min(n, int(mem/4/(64<<20)))
	}
	return max(1, n)
}

// memoryAvailable is the process's memory limit: the cgroup limit when one is set, else the machine's
// total memory (Linux), else 0 (unknown).
func memoryAvailable() uint64 {
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil {
			return n
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				if kb, err := strconv.ParseUint(f[1], 10, 64); err == nil {
					return kb << 10
				}
			}
		}
	}
	return 0
}

package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
	"github.com/peeracademy/peeracademy/migrations"
)

// ---- an in-process SMTP server ----

type delivery struct {
	From string
	To   []string
	Data []byte
}

type smtpServer struct {
	Port int

	mu         sync.Mutex
	deliveries []delivery
}

func (s *smtpServer) Deliveries() []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivery(nil), s.deliveries...)
}

type smtpSession struct {
	srv  *smtpServer
	from string
	to   []string
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "reject") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	s.srv.deliveries = append(s.srv.deliveries, delivery{From: s.from, To: s.to, Data: b})
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.from, s.to = "", nil }
func (s *smtpSession) Logout() error { return nil }

// startSMTP runs a plain-text SMTP server without authentication on a random local port.
func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	srv := &smtpServer{}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: srv}, nil }))
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = testLogger{t}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Port = l.Addr().(*net.TCPAddr).Port
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return srv
}

type testLogger struct{ t *testing.T }

func (l testLogger) Printf(format string, v ...any) { l.t.Logf("smtp server: "+format, v...) }
func (l testLogger) Println(v ...any)               { l.t.Log(append([]any{"smtp server:"}, v...)...) }

func smtpSender(port int) notify.SMTPSender {
	return notify.SMTPSender{Cfg: config.MailConfig{Mode: "smtp", Host: "127.0.0.1", Port: port, From: "PeerAcademy <no-reply@peeracademy.test>", TLS: "none"}, BaseURL: "https://academy.example.org/"}
}

// ---- parsing what the server received ----

type parsedMail struct {
	Header      mail.Header
	Subject     string
	Texts       []string
	HTMLs       []string // text/html parts
	Alternative bool     // a multipart/alternative part was seen
	Attachments map[string]parsedAttachment
}

type parsedAttachment struct {
	ContentType string
	Data        []byte
}

func parseMail(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("received mail does not parse: %v\n%s", err, raw)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	p := parsedMail{Header: m.Header, Subject: subj, Attachments: map[string]parsedAttachment{}}
	walkPart(t, textproto.MIMEHeader(m.Header), m.Body, &p)
	return p
}

func walkPart(t *testing.T, h textproto.MIMEHeader, body io.Reader, p *parsedMail) {
	t.Helper()
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		t.Fatalf("Content-Type %q: %v", ct, err)
	}
	if mt == "multipart/alternative" {
		p.Alternative = true
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			walkPart(t, part.Header, part, p)
		}
	}
	var r io.Reader = body
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &crlfStripper{r: body})
	}
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s part: %v", mt, err)
	}
	_, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	if name := dparams["filename"]; name != "" || strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		p.Attachments[name] = parsedAttachment{ContentType: mt, Data: data}
		return
	}
	if mt == "text/html" {
		p.HTMLs = append(p.HTMLs, string(data))
		return
	}
	p.Texts = append(p.Texts, string(data))
}

// crlfStripper drops line breaks so base64 bodies wrapped at 76 columns decode.
type crlfStripper struct{ r io.Reader }

func (c *crlfStripper) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	j := 0
	for _, x := range b[:n] {
		if x != '\r' && x != '\n' {
			b[j] = x
			j++
		}
	}
	return j, err
}

// ---- senders for tests ----

type countingSender struct {
	delay time.Duration
	fail  error

	mu    sync.Mutex
	calls map[string]int
	total atomic.Int64
}

func (s *countingSender) Send(ctx context.Context, m *notify.Message) error {
	s.total.Add(1)
	s.mu.Lock()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	s.calls[m.ID]++
	s.mu.Unlock()
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	return s.fail
}

func (s *countingSender) count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[id]
}

// rendezvousSender holds a worker's first send until every worker has leased a batch, so the workers
// certainly hold leases at the same time (otherwise one could drain the outbox before the other starts).
type rendezvousSender struct {
	inner   notify.Sender
	arrived *atomic.Int32
	all     int32
	ready   chan struct{}
	once    sync.Once
}

func (r *rendezvousSender) Send(ctx context.Context, m *notify.Message) error {
	r.once.Do(func() {
		if r.arrived.Add(1) == r.all {
			close(r.ready)
		}
		select {
		case <-r.ready:
		case <-time.After(5 * time.Second):
		}
	})
	return r.inner.Send(ctx, m)
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func onlyMessage(t *testing.T, db bun.IDB) *notify.Message {
	t.Helper()
	var ms []notify.Message
	if err := db.NewSelect().Model(&ms).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 {
		t.Fatalf("%d outbox rows, want 1", len(ms))
	}
	return &ms[0]
}

// ---- tests ----

func TestWorkerDeliversOverSMTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		db := dbtest.Open(t, d)
		srv := startSMTP(t)
		ics := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Peer support circle\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
		pdf := bytes.Repeat([]byte{0x00, 0xff, 0x10, 0x80}, 300) // binary, longer than one base64 line
		body := "Hello Sam,\n\nYour session starts at 10:00 — bring a notebook.\nA long line " + strings.Repeat("abc ", 40) + "end.\n"
		err := notify.Outbox{Mode: "smtp"}.Enqueue(ctx, db, notify.Email{
			To: "learner@example.org", Subject: "Your session on Tuesday", Body: body,
			Attachments: []notify.Attachment{
				{Filename: "session.ics", ContentType: "text/calendar", Data: ics},
				{Filename: "handout.pdf", ContentType: "application/pdf", Data: pdf},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		w := &notify.Worker{DB: db, Sender: smtpSender(srv.Port), Log: quietLog()}
		before := database.Now()
		n, err := w.RunOnce(ctx)
		if err != nil || n != 1 {
			t.Fatalf("RunOnce = %d, %v; want 1 sent", n, err)
		}

		ds := srv.Deliveries()
		if len(ds) != 1 {
			t.Fatalf("the server received %d messages, want 1", len(ds))
		}
		dl := ds[0]
		if dl.From != "no-reply@peeracademy.test" || len(dl.To) != 1 || dl.To[0] != "learner@example.org" {
			t.Fatalf("envelope from %q to %v", dl.From, dl.To)
		}
		pm := parseMail(t, dl.Data)
		if pm.Subject != "Your session on Tuesday" {
			t.Errorf("Subject %q", pm.Subject)
		}
		if to, err := pm.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "learner@example.org" {
			t.Errorf("To header %v %v", to, err)
		}
		if from, err := pm.Header.AddressList("From"); err != nil || len(from) != 1 || from[0].Address != "no-reply@peeracademy.test" || from[0].Name != "PeerAcademy" {
			t.Errorf("From header %v %v", from, err)
		}
		if len(pm.Texts) != 1 || strings.ReplaceAll(pm.Texts[0], "\r\n", "\n") != body {
			t.Errorf("text parts %q, want %q", pm.Texts, body)
		}
		// An HTML alternative with the same words, no remote images; a Message-ID on the base URL's domain.
		if !pm.Alternative || len(pm.HTMLs) != 1 {
			t.Fatalf("alternative %v, %d HTML parts; want multipart/alternative with one HTML part", pm.Alternative, len(pm.HTMLs))
		}
		h := pm.HTMLs[0]
		for _, want := range []string{`<html lang="en">`, "<title>Your session on Tuesday</title>", "<p style=\"margin:0 0 1em\">Hello Sam,</p>", "Your session starts at 10:00 — bring a notebook.", "abc abc end."} {
			if !strings.Contains(h, want) {
				t.Errorf("HTML part lacks %q:\n%s", want, h)
			}
		}
		if strings.Contains(h, "<img") || strings.Contains(h, "src=") || strings.Contains(h, "<link") {
			t.Errorf("HTML part loads something remote:\n%s", h)
		}
		if id := pm.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@academy.example.org>") {
			t.Errorf("Message-ID %q, want one on academy.example.org", id)
		}
		if len(pm.Attachments) != 2 {
			t.Fatalf("attachments %v, want session.ics and handout.pdf", pm.Attachments)
		}
		if a := pm.Attachments["session.ics"]; a.ContentType != "text/calendar" || !bytes.Equal(a.Data, ics) {
			t.Errorf("session.ics: %s %q", a.ContentType, a.Data)
		}
		if a := pm.Attachments["handout.pdf"]; a.ContentType != "application/pdf" || !bytes.Equal(a.Data, pdf) {
			t.Errorf("handout.pdf: %s, %d bytes (equal=%v)", a.ContentType, len(a.Data), bytes.Equal(a.Data, pdf))
		}

		m := onlyMessage(t, db)
		if m.Status != notify.StatusSent || m.Attempts != 1 || m.LeaseUntil != nil || m.LastError != "" || m.SentAt == nil || m.SentAt.Before(before) {
			t.Fatalf("row after sending %+v", m)
		}
		// Nothing left to do: a second run sends nothing more.
		if n, err := w.RunOnce(ctx); err != nil || n != 0 {
			t.Fatalf("second RunOnce = %d, %v", n, err)
		}
		if len(srv.Deliveries()) != 1 {
			t.Fatal("a sent message was delivered again")
		}
		// Captured (log mode) mail is never sent.
		if err := (notify.Outbox{Mode: "log"}).Enqueue(ctx, db, notify.Email{To: "kept@example.org", Subject: "s", Body: "b"}); err != nil {
			t.Fatal(err)
		}
		if n, err := w.RunOnce(ctx); err != nil || n != 0 || len(srv.Deliveries()) != 1 {
			t.Fatalf("captured mail was sent: %d %v", n, err)
		}
	})
}

func TestWorkerSMTPFailuresStayPending(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		srv := startSMTP(t)
		// A port nothing listens on.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closedPort := l.Addr().(*net.TCPAddr).Port
		l.Close()
		cases := []struct {
			name string
			to   string
			port int
		}{
			{"recipient rejected", "reject-me@example.org", srv.Port},
			{"server unreachable", "learner@example.org", closedPort},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				db := dbtest.Open(t, d)
				if err := (notify.Outbox{Mode: "smtp"}).Enqueue(ctx, db, notify.Email{To: tc.to, Subject: "s", Body: "b"}); err != nil {
					t.Fatal(err)
				}
				w := &notify.Worker{DB: db, Sender: smtpSender(tc.port), Log: quietLog()}
				n, err := w.RunOnce(ctx)
				if err != nil || n != 0 {
					t.Fatalf("RunOnce = %d, %v", n, err)
				}
				m := onlyMessage(t, db)
				if m.Status != notify.StatusPending || m.Attempts != 1 || m.LastError == "" || m.LeaseUntil != nil || m.SentAt != nil {
					t.Fatalf("row after a failed send %+v", m)
				}
				if !m.NextAttemptAt.After(database.Now().Add(20 * time.Second)) {
					t.Fatalf("next attempt %v is not backed off", m.NextAttemptAt)
				}
			})
		}
		if len(srv.Deliveries()) != 0 {
			t.Fatal("a rejected message was delivered")
		}
	})
}

func TestWorkerRetriesThenFails(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		db := dbtest.Open(t, d)
		if err := (notify.Outbox{Mode: "smtp"}).Enqueue(ctx, db, notify.Email{To: "r@example.org", Subject: "s", Body: "b"}); err != nil {
			t.Fatal(err)
		}
		sender := &countingSender{fail: errors.New("451 try later: " + strings.Repeat("x", 600))}
		w := &notify.Worker{DB: db, Sender: sender, Log: quietLog(), MaxAttempts: 3}
		id := onlyMessage(t, db).ID
		makeDue := func() {
			t.Helper()
			if _, err := db.NewUpdate().Model((*notify.Message)(nil)).Set("next_attempt_at = ?", database.Now().Add(-time.Second)).Where("id = ?", id).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		steps := []struct {
			wantStatus  string
			wantBackoff time.Duration // 15s * 2^attempts
		}{
			{notify.StatusPending, 30 * time.Second},
			{notify.StatusPending, 60 * time.Second},
			{notify.StatusFailed, 120 * time.Second},
		}
		for i, st := range steps {
			if i > 0 {
				// Not due yet: a run right away must not touch it.
				if n, err := w.RunOnce(ctx); err != nil || n != 0 || sender.count(id) != i {
					t.Fatalf("attempt %d ran before it was due (%d calls, %v)", i+1, sender.count(id), err)
				}
				makeDue()
			}
			start := database.Now()
			n, err := w.RunOnce(ctx)
			if err != nil || n != 0 {
				t.Fatalf("attempt %d: RunOnce = %d, %v", i+1, n, err)
			}
			m := onlyMessage(t, db)
			if m.Status != st.wantStatus || m.Attempts != i+1 || m.LeaseUntil != nil || m.SentAt != nil {
				t.Fatalf("after attempt %d: %+v", i+1, m)
			}
			if !strings.HasPrefix(m.LastError, "451 try later") || len(m.LastError) != 500 {
				t.Fatalf("last_error %d bytes %.30q, want the error cut to 500 bytes", len(m.LastError), m.LastError)
			}
			if lo, hi := start.Add(st.wantBackoff-time.Second), database.Now().Add(st.wantBackoff+time.Second); m.NextAttemptAt.Before(lo) || m.NextAttemptAt.After(hi) {
				t.Fatalf("after attempt %d next_attempt_at %v, want about %v from now", i+1, m.NextAttemptAt, st.wantBackoff)
			}
		}
		// Failed for good: never leased again, even when "due".
		makeDue()
		if n, err := w.RunOnce(ctx); err != nil || n != 0 {
			t.Fatal(n, err)
		}
		if c := sender.count(id); c != 3 {
			t.Fatalf("sender called %d times, want MaxAttempts = 3", c)
		}
		if m := onlyMessage(t, db); m.Status != notify.StatusFailed || m.Attempts != 3 {
			t.Fatalf("failed row changed: %+v", m)
		}
	})
}

func TestWorkerRespectsLease(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		db := dbtest.Open(t, d)
		if err := (notify.Outbox{Mode: "smtp"}).Enqueue(ctx, db, notify.Email{To: "l@example.org", Subject: "s", Body: "b"}); err != nil {
			t.Fatal(err)
		}
		id := onlyMessage(t, db).ID
		setLease := func(until time.Time) {
			if _, err := db.NewUpdate().Model((*notify.Message)(nil)).Set("lease_until = ?", until).Where("id = ?", id).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		sender := &countingSender{}
		w := &notify.Worker{DB: db, Sender: sender, Log: quietLog()}
		// Another worker holds the lease: leave it alone.
		setLease(database.Now().Add(time.Minute))
		if n, err := w.RunOnce(ctx); err != nil || n != 0 || sender.count(id) != 0 {
			t.Fatalf("a leased message was taken: %d %v", n, err)
		}
		// That worker died: once its lease runs out the message is sent.
		setLease(database.Now().Add(-time.Second))
		if n, err := w.RunOnce(ctx); err != nil || n != 1 || sender.count(id) != 1 {
			t.Fatalf("an expired lease was not taken over: %d %v", n, err)
		}
		if m := onlyMessage(t, db); m.Status != notify.StatusSent || m.LeaseUntil != nil {
			t.Fatalf("row %+v", m)
		}
	})
}

// probeSender records, at each send, how many rows are leased.
type probeSender struct {
	db     bun.IDB
	leased []int
}

func (p *probeSender) Send(ctx context.Context, m *notify.Message) error {
	n, err := p.db.NewSelect().Model((*notify.Message)(nil)).Where("lease_until IS NOT NULL").Count(ctx)
	if err != nil {
		return err
	}
	p.leased = append(p.leased, int(n))
	return nil
}

func TestWorkerLeasesOneBatchAtATime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		db := dbtest.Open(t, d)
		for i := range 25 {
			if err := (notify.Outbox{Mode: "smtp"}).Enqueue(ctx, db, notify.Email{To: fmt.Sprintf("b%02d@example.org", i), Subject: "s", Body: "b"}); err != nil {
				t.Fatal(err)
			}
		}
		p := &probeSender{db: db}
		w := &notify.Worker{DB: db, Sender: p, Log: quietLog()}
		for _, want := range []int{20, 5, 0} {
			p.leased = nil
			n, err := w.RunOnce(ctx)
			if err != nil || n != want {
				t.Fatalf("RunOnce = %d, %v; want %d", n, err, want)
			}
			// While sending the first message of a batch, exactly that batch is leased: a worker
			// never holds more than one batch, so a slow batch cannot outlive its lease unnoticed.
			if want > 0 && p.leased[0] != want {
				t.Fatalf("%d rows leased while sending a batch of %d", p.leased[0], want)
			}
		}
	})
}

func TestWorkerRunStopsWithContext(t *testing.T) {
	db := dbtest.Open(t, dbtest.SQLite)
	if err := (notify.Outbox{Mode: "smtp"}).Enqueue(context.Background(), db, notify.Email{To: "run@example.org", Subject: "s", Body: "b"}); err != nil {
		t.Fatal(err)
	}
	sender := &countingSender{}
	w := &notify.Worker{DB: db, Sender: sender, Log: quietLog(), Interval: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for sender.total.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if sender.total.Load() != 1 {
		t.Fatalf("Run sent %d messages, want 1", sender.total.Load())
	}
}

// openInstances opens n independent connection pools on one fresh database: n app instances.
func openInstances(t *testing.T, d dbtest.Dialect, n int) []*bun.DB {
	t.Helper()
	ctx := context.Background()
	url := dbtest.URL(t, d)
	var dbs []*bun.DB
	for i := range n {
		db, err := database.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if i == 0 {
			m, err := database.NewMigrator(db, migrations.FS)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Up(ctx); err != nil {
				t.Fatal(err)
			}
		}
		dbs = append(dbs, db)
	}
	return dbs
}

func TestConcurrentWorkersSendEachOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		cases := []struct {
			name string
			smtp bool
		}{
			{"counting sender", false},
			{"real SMTP server", true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				dbs := openInstances(t, d, 2)
				const total = 50
				ob := notify.Outbox{Mode: "smtp"}
				for i := range total {
					if err := ob.Enqueue(ctx, dbs[0], notify.Email{To: fmt.Sprintf("p%02d@example.org", i), Subject: fmt.Sprintf("message %02d", i), Body: "b"}); err != nil {
						t.Fatal(err)
					}
				}
				counting := &countingSender{delay: 3 * time.Millisecond}
				var srv *smtpServer
				var sender notify.Sender = counting
				if tc.smtp {
					srv = startSMTP(t)
					sender = smtpSender(srv.Port)
				}
				var arrived atomic.Int32
				ready := make(chan struct{})
				var wg sync.WaitGroup
				sent := make([]int, len(dbs))
				errs := make([]error, len(dbs))
				start := make(chan struct{})
				for i, db := range dbs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						rv := &rendezvousSender{inner: sender, arrived: &arrived, all: int32(len(dbs)), ready: ready}
						w := &notify.Worker{DB: db, Sender: rv, Log: quietLog()}
						<-start
						for {
							n, err := w.RunOnce(ctx)
							if err != nil {
								errs[i] = err
								return
							}
							if n == 0 {
								return
							}
							sent[i] += n
						}
					}()
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("worker %d: %v", i, err)
					}
				}
				if sent[0]+sent[1] != total {
					t.Fatalf("workers report %d + %d sent, want %d in all", sent[0], sent[1], total)
				}
				if sent[0] == 0 || sent[1] == 0 {
					t.Fatalf("workers sent %d and %d: they did not run at the same time", sent[0], sent[1])
				}

				// Each message reached the sender exactly once.
				perSubject := map[string]int{}
				if tc.smtp {
					for _, dl := range srv.Deliveries() {
						perSubject[parseMail(t, dl.Data).Subject]++
					}
				}
				var ms []notify.Message
				if err := dbs[1].NewSelect().Model(&ms).Scan(ctx); err != nil {
					t.Fatal(err)
				}
				if len(ms) != total {
					t.Fatalf("%d rows", len(ms))
				}
				for _, m := range ms {
					got := counting.count(m.ID)
					if tc.smtp {
						got = perSubject[m.Subject]
					}
					if got != 1 {
						t.Errorf("%s (%s) was sent %d times", m.ID, m.Subject, got)
					}
					if m.Status != notify.StatusSent || m.Attempts != 1 {
						t.Errorf("%s: status %s after %d attempts", m.ID, m.Status, m.Attempts)
					}
				}
				if tc.smtp && len(srv.Deliveries()) != total {
					t.Fatalf("the server received %d messages, want %d", len(srv.Deliveries()), total)
				}
				if !tc.smtp && counting.total.Load() != total {
					t.Fatalf("%d sends, want %d", counting.total.Load(), total)
				}
			})
		}
	})
}

package notify

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"net/url"
	"regexp"
	"strings"
)

// htmlMail is the HTML part sent beside every text part (multipart/alternative): the same words,
// paragraphs as paragraphs, addresses as links, readable type, no remote images or styles to fetch.
var htmlMail = template.Must(template.New("mail").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:16px;background:#ffffff;color:#1d2733;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;font-size:16px;line-height:1.5">
<div role="article" aria-label="{{.Subject}}" style="max-width:36rem">
{{range .Paragraphs}}<p style="margin:0 0 1em">{{.}}</p>
{{end}}</div></body></html>
`))

var mailURL = regexp.MustCompile(`https?://[^\s<>"]+[^\s<>".,;:!?)]`)

// HTMLBody renders a text email as its HTML alternative: the text escaped, blank lines ending
// paragraphs, line breaks kept, and links made clickable.
func HTMLBody(subject, text string) (string, error) {
	var paras []template.HTML
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		var b strings.Builder
		last := 0
		for _, loc := range mailURL.FindAllStringIndex(p, -1) {
			b.WriteString(template.HTMLEscapeString(p[last:loc[0]]))
			u := p[loc[0]:loc[1]]
			b.WriteString(`<a href="` + template.HTMLEscapeString(u) + `" style="color:#1f5f8b">` + template.HTMLEscapeString(u) + `</a>`)
			last = loc[1]
		}
		b.WriteString(template.HTMLEscapeString(p[last:]))
		paras = append(paras, template.HTML(strings.ReplaceAll(b.String(), "\n", "<br>\n")))
	}
	var buf bytes.Buffer
	err := htmlMail.Execute(&buf, map[string]any{"Subject": subject, "Paragraphs": paras})
	return buf.String(), err
}

// MessageID makes a Message-ID value (without angle brackets) on the domain of baseURL, so replies
// and bounces point at the service's own name: "<random>@academy.example.org".
func MessageID(baseURL string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	host := "localhost"
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return hex.EncodeToString(b) + "@" + host
}

package notify

import (
	"embed"
	"fmt"
	"path"
	"strings"
	"text/template"
)

// Every email's words live in templates/<name>.tmpl: a "subject" and a "body" (the text part; the
// HTML part is drawn from it by HTMLBody when sent). Domain code picks a template and passes data.

//go:embed templates/*.tmpl
var templateFS embed.FS

var mailTemplates = func() map[string]*template.Template {
	files, err := templateFS.ReadDir("templates")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(f.Name(), ".tmpl")
		t := template.Must(template.New(name).Funcs(template.FuncMap{"join": strings.Join}).Option("missingkey=error").ParseFS(templateFS, path.Join("templates", f.Name())))
		for _, part := range []string{"subject", "body"} {
			if t.Lookup(part) == nil {
				panic(fmt.Sprintf("notify: template %s has no %q", f.Name(), part))
			}
		}
		out[name] = t
	}
	return out
}()

// Compose renders the email template name with data into an Email to the address to.
func Compose(to, name string, data any) (Email, error) {
	t, ok := mailTemplates[name]
	if !ok {
		return Email{}, fmt.Errorf("notify: no email template %q", name)
	}
	var subject, body strings.Builder
	if err := t.ExecuteTemplate(&subject, "subject", data); err != nil {
		return Email{}, err
	}
	if err := t.ExecuteTemplate(&body, "body", data); err != nil {
		return Email{}, err
	}
	return Email{To: to, Subject: strings.TrimSpace(subject.String()), Body: body.String()}, nil
}

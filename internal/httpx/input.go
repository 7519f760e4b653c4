package httpx

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/apperr"
)

// MaxFieldBytes bounds one text field (query parameter, form field or JSON string). The longest text
// the platform accepts is a few thousand characters; 16 KiB leaves room for any of them.
const MaxFieldBytes = 16 << 10

// Messages for refused text.
const (
	msgBadChars = "This field holds characters we cannot accept (a NUL byte, a control character or invalid UTF-8)."
	msgTooLong  = "This field is too long."
)

// checkText returns why s cannot be accepted as text, or "".
func checkText(s string) string {
	if len(s) > MaxFieldBytes {
		return msgTooLong
	}
	if !utf8.ValidString(s) {
		return msgBadChars
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 && b != '\t' && b != '\n' && b != '\r' || b == 0x7f {
			return msgBadChars
		}
	}
	return ""
}

// SaneInput refuses, once for every route, requests whose path, query parameters or form fields hold
// text no handler should see: NUL bytes and other control characters, invalid UTF-8, or fields over
// MaxFieldBytes. The answer is a field error (422) naming the field, never a 500 from a database
// that refuses the byte. JSON bodies are checked where they are decoded (DecodeJSON).
func SaneInput(c *fiber.Ctx) error {
	f := apperr.Fields{}
	if !utf8.ValidString(c.Path()) || strings.ContainsRune(c.Path(), 0) {
		return apperr.New(apperr.BadRequest, "bad_path", "The address holds characters we cannot accept.")
	}
	check := func(k, v []byte) {
		key := string(k)
		if msg := checkText(key); msg != "" {
			key = "field"
			f.Add(key, msg)
		}
		if len(key) > 100 {
			key = key[:100]
		}
		if msg := checkText(string(v)); msg != "" {
			f.Add(key, msg)
		}
	}
	c.Request().URI().QueryArgs().VisitAll(check)
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	switch {
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
		c.Request().PostArgs().VisitAll(check)
	case strings.HasPrefix(ct, fiber.MIMEMultipartForm):
		form, err := c.MultipartForm()
		if err != nil {
			return apperr.New(apperr.BadRequest, "bad_form", "The form could not be read: "+err.Error())
		}
		for k, vs := range form.Value {
			for _, v := range vs {
				check([]byte(k), []byte(v))
			}
		}
	}
	if err := f.Err(); err != nil {
		return err
	}
	return c.Next()
}

// CheckStrings walks a decoded JSON value and returns a field error for the first bad string.
func CheckStrings(v any) error {
	f := apperr.Fields{}
	walkStrings(reflect.ValueOf(v), "", f)
	return f.Err()
}

func walkStrings(v reflect.Value, name string, f apperr.Fields) {
	if len(f) > 0 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), name, f)
		}
	case reflect.String:
		if msg := checkText(v.String()); msg != "" {
			if name == "" {
				name = "body"
			}
			f.Add(name, msg)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			n := sf.Name
			if tag, _, _ := strings.Cut(sf.Tag.Get("json"), ","); tag != "" && tag != "-" {
				n = tag
			}
			walkStrings(v.Field(i), join(name, n), f)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), fmt.Sprintf("%s[%d]", name, i), f)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			k := fmt.Sprint(it.Key().Interface())
			if msg := checkText(k); msg != "" {
				f.Add(join(name, "key"), msg)
				return
			}
			walkStrings(it.Value(), join(name, k), f)
		}
	}
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

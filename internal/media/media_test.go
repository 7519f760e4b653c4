package media_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/peeracademy/peeracademy/internal/media"
)

var badKeys = []string{
	"",
	"/abs.pdf",
	"trailing/",
	"a//b.pdf",
	"..",
	".",
	"../escape.pdf",
	"a/../b.pdf",
	"a/./b.pdf",
	"a/..",
	`back\slash.pdf`,
	"space here.pdf",
	"ümlaut.pdf",
	"query?.pdf",
	"percent%2F.pdf",
	"nul\x00.pdf",
	"new\nline",
	strings.Repeat("a", media.MaxKeyLen+1),
}

func TestValidKey(t *testing.T) {
	good := []string{
		"a",
		"a.pdf",
		"courses/42/slides-v2_final.pdf",
		".hidden",
		"a/.b/..c/...",
		"A-Z_a-z.0-9",
		strings.Repeat("a", media.MaxKeyLen),
		strings.Repeat("ab/", 170) + "ab",
	}
	for _, key := range good {
		if err := media.ValidKey(key); err != nil {
			t.Errorf("ValidKey(%q) = %v, want nil", key, err)
		}
	}
	for _, key := range badKeys {
		if err := media.ValidKey(key); !errors.Is(err, media.ErrBadKey) {
			t.Errorf("ValidKey(%q) = %v, want ErrBadKey", key, err)
		}
	}
}

func TestDetectContentType(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"pdf", string(pdfData), "application/pdf"},
		{"png", string(pngData), "image/png"},
		{"jpeg", string(jpegData), "image/jpeg"},
		{"gif", "GIF89a\x01\x00\x01\x00", "image/gif"},
		{"webp", "RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"},
		{"mp4", "\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", "video/mp4"},
		{"webm", "\x1a\x45\xdf\xa3\x01\x00\x00\x00\x00\x00\x00\x1f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm", "video/webm"},
		{"mp3", "ID3\x03\x00\x00\x00\x00\x00\x00", "audio/mpeg"},
		{"ogg", "OggS\x00\x02\x00\x00", "application/ogg"},
		{"elf", string(elfData), "application/octet-stream"},
		{"mz", string(mzData), "application/octet-stream"},
		{"text", string(textData), "text/plain"},
		{"html", "<!DOCTYPE html><html></html>", "text/html"},
		{"svg with prolog", string(svgData), "image/svg+xml"},
		{"bare svg", `<svg xmlns="http://www.w3.org/2000/svg"/>`, "image/svg+xml"},
		{"svg after whitespace, comment and doctype", "\n  <!-- logo -->\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x.dtd\">\n<svg>", "image/svg+xml"},
		{"svg with BOM", "\xef\xbb\xbf<svg>", "image/svg+xml"},
		{"uppercase SVG", "<SVG>", "image/svg+xml"},
		{"svg-like element", "<svgfoo>", "text/plain"},
		{"xml that is not svg", `<?xml version="1.0"?><note/>`, "text/xml"},
		{"svg after 512 bytes", strings.Repeat(" ", 600) + "<svg>", "text/plain"},
		{"binary svg prefix", "<svg>\x00\x01\x02", "application/octet-stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := media.DetectContentType([]byte(tt.data)); got != tt.want {
				t.Errorf("DetectContentType = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		header         string
		size           int64
		offset, length int64
		ok             bool
		wantErr        error
	}{
		// Ignored headers: serve the full representation.
		{"", 100, 0, 0, false, nil},
		{"   ", 100, 0, 0, false, nil},
		{"items=0-10", 100, 0, 0, false, nil},
		{"bytes", 100, 0, 0, false, nil},
		{"bytes=", 100, 0, 0, false, nil},
		{"bytes=-", 100, 0, 0, false, nil},
		{"bytes=abc", 100, 0, 0, false, nil},
		{"bytes=a-b", 100, 0, 0, false, nil},
		{"bytes=+1-5", 100, 0, 0, false, nil},
		{"bytes=1-+5", 100, 0, 0, false, nil},
		{"bytes=--5", 100, 0, 0, false, nil},
		{"bytes=5-3", 100, 0, 0, false, nil},
		{"bytes=0-1,5-6", 100, 0, 0, false, nil},
		{"bytes=0-1, 200-300", 100, 0, 0, false, nil},
		// Single ranges.
		{"bytes=0-99", 1000, 0, 100, true, nil},
		{"bytes=0-0", 1000, 0, 1, true, nil},
		{"bytes=100-199", 1000, 100, 100, true, nil},
		{"bytes=100-", 1000, 100, 900, true, nil},
		{"bytes=999-", 1000, 999, 1, true, nil},
		{"bytes=0-", 1000, 0, 1000, true, nil},
		{"bytes=-500", 1000, 500, 500, true, nil},
		{"bytes=-1", 1000, 999, 1, true, nil},
		{"bytes=-1000", 1000, 0, 1000, true, nil},
		{"bytes=-5000", 1000, 0, 1000, true, nil},
		{"bytes=900-5000", 1000, 900, 100, true, nil},
		{"bytes=0-99999999999999999999999", 1000, 0, 1000, true, nil},
		{"bytes=-99999999999999999999999", 1000, 0, 1000, true, nil},
		{"Bytes=0-9", 1000, 0, 10, true, nil},
		{" bytes = 10 - 19 ", 1000, 10, 10, true, nil},
		// Unsatisfiable.
		{"bytes=1000-", 1000, 0, 0, false, media.ErrRangeNotSatisfiable},
		{"bytes=1000-2000", 1000, 0, 0, false, media.ErrRangeNotSatisfiable},
		{"bytes=5000-", 1000, 0, 0, false, media.ErrRangeNotSatisfiable},
		{"bytes=99999999999999999999999-", 1000, 0, 0, false, media.ErrRangeNotSatisfiable},
		{"bytes=-0", 1000, 0, 0, false, media.ErrRangeNotSatisfiable},
		{"bytes=0-", 0, 0, 0, false, media.ErrRangeNotSatisfiable},
		{"bytes=-5", 0, 0, 0, false, media.ErrRangeNotSatisfiable},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			off, n, ok, err := media.ParseRange(tt.header, tt.size)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("ParseRange(%q, %d) error = %v, want %v", tt.header, tt.size, err, tt.wantErr)
			}
			if off != tt.offset || n != tt.length || ok != tt.ok {
				t.Errorf("ParseRange(%q, %d) = (%d, %d, %v), want (%d, %d, %v)",
					tt.header, tt.size, off, n, ok, tt.offset, tt.length, tt.ok)
			}
		})
	}
}

// removeBucket deletes the (empty) bucket named in cfg.
func removeBucket(ctx context.Context, cfg media.S3Config) error {
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.UseTLS,
		Region: cfg.Region,
	})
	if err != nil {
		return err
	}
	return c.RemoveBucket(ctx, cfg.Bucket)
}

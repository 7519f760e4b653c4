package media_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/testutil/miniotest"
)

// Sample payloads for content sniffing.
var (
	pdfData  = []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n")
	pngData  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 32)...)
	jpegData = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 32)...)
	elfData  = append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 56)...)
	mzData   = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 48)...)
	textData = []byte("Just some notes, definitely not a PDF.\n")
	svgData  = []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"></svg>\n")
)

// pattern returns n deterministic, non-repeating-ish bytes starting with a
// PDF header so that it sniffs as application/pdf.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	copy(b, "%PDF-1.7\n")
	return b[:n]
}

func mustPut(t *testing.T, s media.Store, key string, data []byte, opts media.PutOptions) media.Object {
	t.Helper()
	obj, err := s.Put(context.Background(), key, bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return obj
}

func mustGet(t *testing.T, s media.Store, key string, offset, length int64) ([]byte, media.Object) {
	t.Helper()
	rc, obj, err := s.Get(context.Background(), key, offset, length)
	if err != nil {
		t.Fatalf("Get(%q, %d, %d): %v", key, offset, length, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%q, %d, %d): read: %v", key, offset, length, err)
	}
	return b, obj
}

func assertNotFound(t *testing.T, s media.Store, key string) {
	t.Helper()
	if _, err := s.Stat(context.Background(), key); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Stat(%q) error = %v, want ErrNotFound", key, err)
	}
}

// testStore is the conformance suite every Store implementation must pass.
func testStore(t *testing.T, s media.Store) {
	ctx := context.Background()

	t.Run("Ping", func(t *testing.T) {
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})

	t.Run("PutGetStatDelete", func(t *testing.T) {
		const key = "crud/course-1/notes.pdf"
		before := time.Now().Add(-time.Minute)
		put := mustPut(t, s, key, pdfData, media.PutOptions{})
		if put.Key != key || put.Size != int64(len(pdfData)) || put.ContentType != "application/pdf" || put.ETag == "" {
			t.Errorf("Put returned %+v", put)
		}
		if put.ModTime.Before(before) || put.ModTime.After(time.Now().Add(time.Minute)) {
			t.Errorf("Put ModTime = %v, want about now", put.ModTime)
		}

		got, obj := mustGet(t, s, key, 0, -1)
		if !bytes.Equal(got, pdfData) {
			t.Errorf("Get content = %q, want %q", got, pdfData)
		}
		if obj.Key != key || obj.Size != put.Size || obj.ContentType != "application/pdf" || obj.ETag != put.ETag {
			t.Errorf("Get object = %+v, want like %+v", obj, put)
		}

		st, err := s.Stat(ctx, key)
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		if st.Key != key || st.Size != put.Size || st.ContentType != put.ContentType || st.ETag != put.ETag ||
			!st.ModTime.Equal(put.ModTime) && st.ModTime.Sub(put.ModTime).Abs() > time.Second {
			t.Errorf("Stat = %+v, want %+v", st, put)
		}

		if err := s.Delete(ctx, key); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		assertNotFound(t, s, key)
		if err := s.Delete(ctx, key); err != nil {
			t.Errorf("Delete of missing key: %v", err)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		const key = "missing/nothing-here.pdf"
		assertNotFound(t, s, key)
		if rc, _, err := s.Get(ctx, key, 0, -1); !errors.Is(err, media.ErrNotFound) {
			if rc != nil {
				rc.Close()
			}
			t.Errorf("Get error = %v, want ErrNotFound", err)
		}
		if _, _, err := s.Get(ctx, key, 10, 5); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("ranged Get error = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Errorf("Delete of missing key: %v", err)
		}
		// A "directory" of other keys is not an object.
		mustPut(t, s, "missing/dir/child.pdf", pdfData, media.PutOptions{})
		assertNotFound(t, s, "missing/dir")
		if err := s.Delete(ctx, "missing/dir"); err != nil {
			t.Errorf("Delete of prefix: %v", err)
		}
		if _, err := s.Stat(ctx, "missing/dir/child.pdf"); err != nil {
			t.Errorf("child disappeared after deleting its prefix: %v", err)
		}
		// A path below an object is not an object either.
		assertNotFound(t, s, "missing/dir/child.pdf/below")
	})

	t.Run("Ranges", func(t *testing.T) {
		const key = "ranges/big.pdf"
		data := pattern(1000)
		mustPut(t, s, key, data, media.PutOptions{})
		tests := []struct {
			name           string
			offset, length int64
			want           []byte
		}{
			{"whole", 0, -1, data},
			{"start", 0, 100, data[:100]},
			{"first byte", 0, 1, data[:1]},
			{"middle", 100, 200, data[100:300]},
			{"to end", 900, -1, data[900:]},
			{"last byte", 999, 1, data[999:]},
			{"exact full length", 0, 1000, data},
			{"past end truncated", 990, 100, data[990:]},
			{"at end", 1000, -1, []byte{}},
			{"zero length", 10, 0, []byte{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, obj := mustGet(t, s, key, tt.offset, tt.length)
				if !bytes.Equal(got, tt.want) {
					t.Errorf("got %d bytes, want %d (content mismatch: %v)", len(got), len(tt.want), len(got) == len(tt.want))
				}
				if obj.Size != 1000 {
					t.Errorf("Object.Size = %d, want full size 1000", obj.Size)
				}
			})
		}

		t.Run("suffix via ParseRange", func(t *testing.T) {
			off, n, ok, err := media.ParseRange("bytes=-500", 1000)
			if err != nil || !ok {
				t.Fatalf("ParseRange: %v %v", ok, err)
			}
			got, _ := mustGet(t, s, key, off, n)
			if !bytes.Equal(got, data[500:]) {
				t.Errorf("suffix range content mismatch (%d bytes)", len(got))
			}
		})

		for _, off := range []int64{-1, 1001, 5000} {
			t.Run(fmt.Sprintf("unsatisfiable offset %d", off), func(t *testing.T) {
				rc, _, err := s.Get(ctx, key, off, 10)
				if !errors.Is(err, media.ErrRangeNotSatisfiable) {
					if rc != nil {
						rc.Close()
					}
					t.Errorf("Get error = %v, want ErrRangeNotSatisfiable", err)
				}
			})
		}
	})

	t.Run("SizeLimit", func(t *testing.T) {
		const limit = 100
		opts := media.PutOptions{MaxSize: limit}
		tests := []struct {
			name    string
			size    int
			wantErr error
		}{
			{"below", limit - 1, nil},
			{"exactly at limit", limit, nil},
			{"one over", limit + 1, media.ErrTooLarge},
			{"far over", 10 * limit, media.ErrTooLarge},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				key := fmt.Sprintf("limit/%d.pdf", tt.size)
				data := pattern(tt.size)
				obj, err := s.Put(ctx, key, bytes.NewReader(data), opts)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Put(%d bytes) error = %v, want %v", tt.size, err, tt.wantErr)
				}
				if tt.wantErr != nil {
					assertNotFound(t, s, key)
					return
				}
				if obj.Size != int64(tt.size) {
					t.Errorf("Size = %d, want %d", obj.Size, tt.size)
				}
				got, _ := mustGet(t, s, key, 0, -1)
				if !bytes.Equal(got, data) {
					t.Error("content mismatch")
				}
			})
		}

		t.Run("over-limit overwrite keeps old object", func(t *testing.T) {
			const key = "limit/keep.pdf"
			old := pattern(50)
			mustPut(t, s, key, old, media.PutOptions{})
			if _, err := s.Put(ctx, key, bytes.NewReader(pattern(limit+1)), opts); !errors.Is(err, media.ErrTooLarge) {
				t.Fatalf("Put error = %v, want ErrTooLarge", err)
			}
			got, _ := mustGet(t, s, key, 0, -1)
			if !bytes.Equal(got, old) {
				t.Error("old object was modified by a rejected Put")
			}
		})
	})

	t.Run("Empty", func(t *testing.T) {
		const key = "empty/nothing.pdf"
		for _, opts := range []media.PutOptions{{}, {MaxSize: 10}, {AllowedTypes: []string{"application/pdf"}}} {
			if _, err := s.Put(ctx, key, strings.NewReader(""), opts); !errors.Is(err, media.ErrEmpty) {
				t.Errorf("Put(empty, %+v) error = %v, want ErrEmpty", opts, err)
			}
		}
		assertNotFound(t, s, key)
	})

	t.Run("TypeSniffing", func(t *testing.T) {
		pdfOnly := []string{"application/pdf"}
		images := []string{"image/png", "image/jpeg"}
		tests := []struct {
			name     string
			key      string
			data     []byte
			allowed  []string
			wantType string // empty: rejected with ErrTypeNotAllowed
		}{
			{"pdf allowed", "sniff/doc.pdf", pdfData, pdfOnly, "application/pdf"},
			{"png allowed as image/png", "sniff/pic.png", pngData, []string{"image/png"}, "image/png"},
			{"jpeg among images", "sniff/pic.jpg", jpegData, images, "image/jpeg"},
			{"png under any type", "sniff/any.png", pngData, nil, "image/png"},
			{"text stored as text/plain", "sniff/notes.txt", textData, nil, "text/plain"},
			{"allowed type with parameters", "sniff/notes2.txt", textData, []string{"text/plain; charset=utf-8"}, "text/plain"},
			{"svg", "sniff/logo.svg", svgData, []string{"image/svg+xml"}, "image/svg+xml"},
			{"png rejected for pdf", "sniff/fake1.pdf", pngData, pdfOnly, ""},
			{"ELF rejected for pdf", "sniff/fake2.pdf", elfData, pdfOnly, ""},
			{"MZ rejected for pdf", "sniff/fake3.pdf", mzData, pdfOnly, ""},
			{"text named .pdf rejected", "sniff/fake4.pdf", textData, pdfOnly, ""},
			{"svg rejected for images", "sniff/fake5.png", svgData, images, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				obj, err := s.Put(ctx, tt.key, bytes.NewReader(tt.data), media.PutOptions{AllowedTypes: tt.allowed})
				if tt.wantType == "" {
					if !errors.Is(err, media.ErrTypeNotAllowed) {
						t.Fatalf("Put error = %v, want ErrTypeNotAllowed", err)
					}
					assertNotFound(t, s, tt.key)
					return
				}
				if err != nil {
					t.Fatalf("Put: %v", err)
				}
				if obj.ContentType != tt.wantType {
					t.Errorf("Put ContentType = %q, want %q", obj.ContentType, tt.wantType)
				}
				st, err := s.Stat(ctx, tt.key)
				if err != nil {
					t.Fatalf("Stat: %v", err)
				}
				if st.ContentType != tt.wantType {
					t.Errorf("Stat ContentType = %q, want %q", st.ContentType, tt.wantType)
				}
			})
		}
	})

	t.Run("BadKeys", func(t *testing.T) {
		for _, key := range badKeys {
			t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
				if _, err := s.Put(ctx, key, bytes.NewReader(pdfData), media.PutOptions{}); !errors.Is(err, media.ErrBadKey) {
					t.Errorf("Put error = %v, want ErrBadKey", err)
				}
				if rc, _, err := s.Get(ctx, key, 0, -1); !errors.Is(err, media.ErrBadKey) {
					if rc != nil {
						rc.Close()
					}
					t.Errorf("Get error = %v, want ErrBadKey", err)
				}
				if _, err := s.Stat(ctx, key); !errors.Is(err, media.ErrBadKey) {
					t.Errorf("Stat error = %v, want ErrBadKey", err)
				}
				if err := s.Delete(ctx, key); !errors.Is(err, media.ErrBadKey) {
					t.Errorf("Delete error = %v, want ErrBadKey", err)
				}
			})
		}
	})

	t.Run("Overwrite", func(t *testing.T) {
		const key = "overwrite/file"
		first := mustPut(t, s, key, pdfData, media.PutOptions{})
		second := mustPut(t, s, key, pngData, media.PutOptions{})
		if first.ETag == second.ETag {
			t.Errorf("ETag unchanged after overwrite: %q", first.ETag)
		}
		got, obj := mustGet(t, s, key, 0, -1)
		if !bytes.Equal(got, pngData) {
			t.Error("Get after overwrite returned old content")
		}
		if obj.ContentType != "image/png" || obj.Size != int64(len(pngData)) || obj.ETag != second.ETag {
			t.Errorf("Get object after overwrite = %+v, want %+v", obj, second)
		}
		list, err := s.List(ctx, "overwrite/")
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(list) != 1 || list[0].Key != key {
			t.Errorf("List after overwrite = %+v, want exactly %q", list, key)
		}
	})

	t.Run("List", func(t *testing.T) {
		sizes := map[string]int{
			"list/a/1.pdf":     10,
			"list/a/2.pdf":     20,
			"list/a-b.pdf":     30,
			"list/ab/deep/x.y": 40,
			"list/b.pdf":       50,
		}
		for key, n := range sizes {
			mustPut(t, s, key, pattern(n), media.PutOptions{})
		}
		tests := []struct {
			prefix string
			want   []string
		}{
			{"list/", []string{"list/a-b.pdf", "list/a/1.pdf", "list/a/2.pdf", "list/ab/deep/x.y", "list/b.pdf"}},
			{"list", []string{"list/a-b.pdf", "list/a/1.pdf", "list/a/2.pdf", "list/ab/deep/x.y", "list/b.pdf"}},
			{"list/a/", []string{"list/a/1.pdf", "list/a/2.pdf"}},
			{"list/a", []string{"list/a-b.pdf", "list/a/1.pdf", "list/a/2.pdf", "list/ab/deep/x.y"}},
			{"list/ab/deep/", []string{"list/ab/deep/x.y"}},
			{"list/a/1", []string{"list/a/1.pdf"}},
			{"list/b.pdf", []string{"list/b.pdf"}},
			{"list/c", nil},
			{"list/nope/", nil},
			{"list/b.pdf/", nil},
			{"nothing-at-all/", nil},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%q", tt.prefix), func(t *testing.T) {
				objs, err := s.List(ctx, tt.prefix)
				if err != nil {
					t.Fatalf("List: %v", err)
				}
				var keys []string
				for _, o := range objs {
					keys = append(keys, o.Key)
					if want := int64(sizes[o.Key]); o.Size != want {
						t.Errorf("%s: Size = %d, want %d", o.Key, o.Size, want)
					}
					if o.ETag == "" || o.ModTime.IsZero() {
						t.Errorf("%s: missing ETag or ModTime: %+v", o.Key, o)
					}
				}
				if !slices.Equal(keys, tt.want) {
					t.Errorf("List(%q) = %q, want %q", tt.prefix, keys, tt.want)
				}
			})
		}
		if err := s.Delete(ctx, "list/a/1.pdf"); err != nil {
			t.Fatal(err)
		}
		objs, err := s.List(ctx, "list/a/")
		if err != nil {
			t.Fatal(err)
		}
		if len(objs) != 1 || objs[0].Key != "list/a/2.pdf" {
			t.Errorf("List after Delete = %+v", objs)
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		const key = "cancel/x.pdf"
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Put(cctx, key, bytes.NewReader(pdfData), media.PutOptions{}); err == nil {
			t.Error("Put with canceled context succeeded")
		}
		assertNotFound(t, s, key)
	})

	t.Run("ReaderError", func(t *testing.T) {
		const key = "readerr/x.pdf"
		boom := errors.New("boom")
		r := io.MultiReader(bytes.NewReader(pdfData), errReader{boom})
		if _, err := s.Put(ctx, key, r, media.PutOptions{}); !errors.Is(err, boom) {
			t.Errorf("Put error = %v, want %v", err, boom)
		}
		assertNotFound(t, s, key)
	})

	t.Run("ConcurrentPuts", func(t *testing.T) {
		const key = "concurrent/x.pdf"
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				if _, err := s.Put(ctx, key, bytes.NewReader(pattern(100+i)), media.PutOptions{}); err != nil {
					t.Errorf("Put: %v", err)
				}
			})
		}
		wg.Wait()
		got, obj := mustGet(t, s, key, 0, -1)
		if int64(len(got)) != obj.Size || !bytes.Equal(got, pattern(len(got))) {
			t.Errorf("torn object after concurrent Puts: %d bytes, Size %d", len(got), obj.Size)
		}
	})
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestFS(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "media")
	s, err := media.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	testStore(t, s)

	t.Run("Permissions", func(t *testing.T) {
		mustPut(t, s, "perm/sub/file.pdf", pdfData, media.PutOptions{})
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			want := fs.FileMode(0o600)
			if d.IsDir() {
				want = 0o700
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s: mode %v, want %v", p, got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("NoTempLeftovers", func(t *testing.T) {
		_, _ = s.Put(context.Background(), "tmp/x.pdf", bytes.NewReader(pattern(200)), media.PutOptions{MaxSize: 10})
		_, _ = s.Put(context.Background(), "tmp/x.pdf", bytes.NewReader(elfData), media.PutOptions{AllowedTypes: []string{"application/pdf"}})
		entries, err := os.ReadDir(filepath.Join(dir, "tmp"))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Errorf("temporary files left behind: %v", entries)
		}
	})

	t.Run("KeyIsPrefixOfOtherKeys", func(t *testing.T) {
		mustPut(t, s, "conflict/a/b.pdf", pdfData, media.PutOptions{})
		if _, err := s.Put(context.Background(), "conflict/a", bytes.NewReader(pdfData), media.PutOptions{}); err == nil {
			t.Error("Put of a key that is a directory succeeded")
		}
		if _, err := s.Put(context.Background(), "conflict/a/b.pdf/c", bytes.NewReader(pdfData), media.PutOptions{}); err == nil {
			t.Error("Put below an object succeeded")
		}
		if _, err := s.Stat(context.Background(), "conflict/a/b.pdf"); err != nil {
			t.Errorf("existing object damaged: %v", err)
		}
	})

	t.Run("Reopen", func(t *testing.T) {
		s2, err := media.NewFS(dir)
		if err != nil {
			t.Fatal(err)
		}
		st, err := s2.Stat(context.Background(), "perm/sub/file.pdf")
		if err != nil || st.ContentType != "application/pdf" {
			t.Errorf("Stat via reopened store = %+v, %v", st, err)
		}
	})
}

func TestS3(t *testing.T) {
	cfg := miniotest.Start(t)
	ctx := context.Background()
	s, err := media.NewS3(ctx, cfg)
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	testStore(t, s)

	t.Run("ExistingBucket", func(t *testing.T) {
		s2, err := media.NewS3(ctx, cfg)
		if err != nil {
			t.Fatalf("NewS3 on existing bucket: %v", err)
		}
		if _, err := s2.Stat(ctx, "overwrite/file"); err != nil {
			t.Errorf("Stat via second client: %v", err)
		}
	})

	t.Run("ConcurrentBucketCreation", func(t *testing.T) {
		c := cfg
		c.Bucket = cfg.Bucket + "-race"
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if _, err := media.NewS3(ctx, c); err != nil {
					t.Errorf("NewS3: %v", err)
				}
			})
		}
		wg.Wait()
	})

	t.Run("URLEndpoint", func(t *testing.T) {
		c := cfg
		c.Endpoint = "http://" + cfg.Endpoint
		s2, err := media.NewS3(ctx, c)
		if err != nil {
			t.Fatalf("NewS3: %v", err)
		}
		if err := s2.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})

	t.Run("ObjectsArePrivate", func(t *testing.T) {
		mustPut(t, s, "private/doc.pdf", pdfData, media.PutOptions{})
		resp, err := http.Get("http://" + cfg.Endpoint + "/" + cfg.Bucket + "/private/doc.pdf")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("anonymous GET status = %d, want 403", resp.StatusCode)
		}
	})

	t.Run("WrongCredentials", func(t *testing.T) {
		c := cfg
		c.SecretKey = "wrong-secret-key"
		if _, err := media.NewS3(ctx, c); err == nil {
			t.Error("NewS3 with wrong credentials succeeded")
		}
	})

	t.Run("PingUnreachable", func(t *testing.T) {
		c := cfg
		c.Bucket = cfg.Bucket + "-gone"
		s2, err := media.NewS3(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		// Remove the bucket behind the store's back.
		if err := removeBucket(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := s2.Ping(ctx); err == nil {
			t.Error("Ping succeeded for a missing bucket")
		}
	})
}

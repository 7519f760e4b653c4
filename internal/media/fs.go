package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// FS is a Store in a local directory.
//
// Layout: objects live in DIR/objects/<key> (files 0600, directories 0700);
// uploads are spooled in DIR/tmp, on the same file system, and renamed into
// place, so readers never observe a partial object. No metadata is stored
// beside the data: the content type is re-sniffed from the first 512 bytes
// on Stat and Get (sniffing is deterministic, so this is the type Put
// checked), and the ETag is derived from the modification time and size.
// Interrupted uploads may leave stray files in DIR/tmp; they are never
// visible as objects and can be removed safely when no Put is running.
//
// Empty directories left behind by Delete are not removed. A key cannot be
// both an object and a "directory" of other keys (e.g. "a" and "a/b"), as
// it could on S3; such a Put fails.
type FS struct {
	objects string
	tmp     string
}

var _ Store = (*FS)(nil)

// NewFS returns an FS rooted at dir, creating dir and its subdirectories
// (mode 0700) if they are missing.
func NewFS(dir string) (*FS, error) {
	if dir == "" {
		return nil, errors.New("media: NewFS: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("media: NewFS: %w", err)
	}
	s := &FS{objects: filepath.Join(abs, "objects"), tmp: filepath.Join(abs, "tmp")}
	for _, d := range []string{abs, s.objects, s.tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("media: NewFS: %w", err)
		}
	}
	return s, nil
}

// path returns the file path of a validated key.
func (s *FS) path(key string) string {
	return filepath.Join(s.objects, filepath.FromSlash(key))
}

// Put implements Store.
func (s *FS) Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Object, error) {
	if err := ValidKey(key); err != nil {
		return Object{}, err
	}
	sp, err := spool(ctx, s.tmp, r, opts)
	if err != nil {
		return Object{}, err
	}
	renamed := false
	defer func() {
		if !renamed {
			sp.discard()
		}
	}()
	if err := sp.file.Chmod(0o600); err != nil {
		return Object{}, fmt.Errorf("media: put %q: %w", key, err)
	}
	if err := sp.file.Sync(); err != nil {
		return Object{}, fmt.Errorf("media: put %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return Object{}, err
	}
	dst := s.path(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return Object{}, fmt.Errorf("media: put %q: %w", key, err)
	}
	if fi, err := os.Lstat(dst); err == nil && fi.IsDir() {
		return Object{}, fmt.Errorf("media: put %q: key is a prefix of other keys", key)
	}
	if err := os.Rename(sp.file.Name(), dst); err != nil {
		return Object{}, fmt.Errorf("media: put %q: %w", key, err)
	}
	renamed = true
	fi, err := sp.file.Stat()
	_ = sp.file.Close()
	if err != nil {
		return Object{}, fmt.Errorf("media: put %q: %w", key, err)
	}
	return s.object(key, fi, sp.contentType), nil
}

// object builds an Object from file info.
func (s *FS) object(key string, fi fs.FileInfo, contentType string) Object {
	return Object{
		Key:         key,
		Size:        fi.Size(),
		ContentType: contentType,
		ModTime:     fi.ModTime(),
		ETag:        fmt.Sprintf("%x-%x", fi.ModTime().UnixNano(), fi.Size()),
	}
}

// open opens the object file and describes it, sniffing its content type.
func (s *FS) open(key string) (*os.File, Object, error) {
	if err := ValidKey(key); err != nil {
		return nil, Object{}, err
	}
	f, err := os.Open(s.path(key))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, notDirErr) {
			return nil, Object{}, ErrNotFound
		}
		return nil, Object{}, fmt.Errorf("media: open %q: %w", key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, Object{}, fmt.Errorf("media: stat %q: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, Object{}, ErrNotFound
	}
	head := make([]byte, sniffLen)
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		_ = f.Close()
		return nil, Object{}, fmt.Errorf("media: read %q: %w", key, err)
	}
	return f, s.object(key, fi, DetectContentType(head[:n])), nil
}

// Get implements Store.
func (s *FS) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, Object{}, err
	}
	f, obj, err := s.open(key)
	if err != nil {
		return nil, Object{}, err
	}
	length, err = clampRange(offset, length, obj.Size)
	if err != nil {
		_ = f.Close()
		return nil, Object{}, err
	}
	return readCloser{io.NewSectionReader(f, offset, length), f}, obj, nil
}

// Stat implements Store.
func (s *FS) Stat(ctx context.Context, key string) (Object, error) {
	if err := ctx.Err(); err != nil {
		return Object{}, err
	}
	f, obj, err := s.open(key)
	if err != nil {
		return Object{}, err
	}
	_ = f.Close()
	return obj, nil
}

// Delete implements Store.
func (s *FS) Delete(ctx context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p := s.path(key)
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, notDirErr):
		return nil
	case err != nil:
		return fmt.Errorf("media: delete %q: %w", key, err)
	case fi.IsDir():
		return nil // a prefix of other keys, not an object
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("media: delete %q: %w", key, err)
	}
	return nil
}

// List implements Store.
func (s *FS) List(ctx context.Context, prefix string) ([]Object, error) {
	// Walk only the deepest directory named by the prefix, when it is a
	// valid key path; otherwise walk everything and filter.
	root := s.objects
	if i := strings.LastIndexByte(prefix, '/'); i > 0 && ValidKey(prefix[:i]) == nil {
		root = s.path(prefix[:i])
	}
	var out []Object
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, notDirErr)) {
				return filepath.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(s.objects, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) || ValidKey(key) != nil {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return err
		}
		out = append(out, s.object(key, fi, ""))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("media: list %q: %w", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Ping implements Store: it checks that the object directory exists.
func (s *FS) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fi, err := os.Stat(s.objects)
	if err != nil {
		return fmt.Errorf("media: ping: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("media: ping: %s is not a directory", s.objects)
	}
	return nil
}

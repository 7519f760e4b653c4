package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config configures an S3 store.
type S3Config struct {
	// Endpoint is the server's host[:port], e.g. "s3.eu-central-1.amazonaws.com"
	// or "127.0.0.1:9000". An "http://" or "https://" URL is accepted too,
	// in which case its scheme overrides UseTLS.
	Endpoint string
	// Bucket is the bucket holding the objects; it is created if missing.
	Bucket string
	// Region is the bucket's region; may be empty for MinIO.
	Region string
	// AccessKey and SecretKey are static credentials.
	AccessKey, SecretKey string
	// UseTLS selects https.
	UseTLS bool
}

// S3 is a Store in an S3-compatible bucket. Objects are stored with their
// sniffed content type and private (the bucket policy is never changed).
type S3 struct {
	client *minio.Client
	bucket string
}

var _ Store = (*S3)(nil)

// NewS3 connects to the server described by cfg and creates the bucket if it
// does not exist yet; losing a creation race against another instance is
// not an error.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	endpoint, secure := cfg.Endpoint, cfg.UseTLS
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("media: NewS3: invalid endpoint %q", cfg.Endpoint)
		}
		endpoint, secure = u.Host, u.Scheme == "https"
	}
	if endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("media: NewS3: endpoint and bucket are required")
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: secure,
		Region: cfg.Region,
		// Few retries: while the server is down a request should fail in seconds (503 to the
		// visitor), not wait through minio-go's default ten attempts.
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("media: NewS3: %w", err)
	}
	s := &S3{client: client, bucket: cfg.Bucket}
	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("media: NewS3: bucket %q: %w", cfg.Bucket, err)
	}
	if !exists {
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if err != nil {
			// Another instance may have created it in the meantime
			// (BucketAlreadyOwnedByYou); anything else is fatal unless the
			// bucket is now visible to us.
			if minio.ToErrorResponse(err).Code != minio.BucketAlreadyOwnedByYou {
				if ok, err2 := client.BucketExists(ctx, cfg.Bucket); err2 != nil || !ok {
					return nil, fmt.Errorf("media: NewS3: create bucket %q: %w", cfg.Bucket, err)
				}
			}
		}
	}
	return s, nil
}

// mapErr translates minio errors into package errors.
func mapErr(op, key string, err error) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == minio.NoSuchKey,
		resp.StatusCode == http.StatusNotFound && resp.Code != minio.NoSuchBucket:
		return ErrNotFound
	case resp.Code == minio.InvalidRange:
		return ErrRangeNotSatisfiable
	case unreachable(err):
		return fmt.Errorf("media: %s %q: %w: %w", op, key, ErrUnavailable, err)
	}
	return fmt.Errorf("media: %s %q: %w", op, key, err)
}

// unreachable reports whether err means the server could not be reached or failed on its side.
func unreachable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	resp := minio.ToErrorResponse(err)
	return resp.StatusCode >= 500 || resp.Code == "ServiceUnavailable" || resp.Code == "SlowDown" || resp.Code == "XMinioServerNotInitialized"
}

func (s *S3) object(info minio.ObjectInfo) Object {
	return Object{
		Key:         info.Key,
		Size:        info.Size,
		ContentType: baseType(info.ContentType),
		ModTime:     info.LastModified,
		ETag:        strings.Trim(info.ETag, `"`),
	}
}

// Put implements Store. The upload is spooled to a temporary file in
// os.TempDir before it is sent.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Object, error) {
	if err := ValidKey(key); err != nil {
		return Object{}, err
	}
	sp, err := spool(ctx, "", r, opts)
	if err != nil {
		return Object{}, err
	}
	defer sp.discard()
	info, err := s.client.PutObject(ctx, s.bucket, key, sp.file, sp.size, minio.PutObjectOptions{
		ContentType: sp.contentType,
	})
	if err != nil {
		return Object{}, mapErr("put", key, err)
	}
	obj := Object{
		Key:         key,
		Size:        sp.size,
		ContentType: sp.contentType,
		ModTime:     info.LastModified,
		ETag:        strings.Trim(info.ETag, `"`),
	}
	if obj.ModTime.IsZero() {
		// PUT responses carry no Last-Modified; ask for it.
		if st, err := s.Stat(ctx, key); err == nil && st.ETag == obj.ETag {
			obj.ModTime = st.ModTime
		}
	}
	return obj, nil
}

// Get implements Store. It issues a HEAD request to learn the size, then a
// GET conditional on the same ETag, so the range is always computed against
// the object actually read (retrying if the object is replaced in between).
func (s *S3) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, Object, error) {
	for attempt := 1; ; attempt++ {
		rc, obj, err := s.get(ctx, key, offset, length)
		if attempt < 3 && minio.ToErrorResponse(errors.Unwrap(err)).Code == minio.PreconditionFailed {
			continue
		}
		return rc, obj, err
	}
}

func (s *S3) get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, Object, error) {
	obj, err := s.Stat(ctx, key)
	if err != nil {
		return nil, Object{}, err
	}
	length, err = clampRange(offset, length, obj.Size)
	if err != nil {
		return nil, Object{}, err
	}
	if length == 0 {
		return io.NopCloser(strings.NewReader("")), obj, nil
	}
	var gopts minio.GetObjectOptions
	if obj.ETag != "" {
		if err := gopts.SetMatchETag(obj.ETag); err != nil {
			return nil, Object{}, fmt.Errorf("media: get %q: %w", key, err)
		}
	}
	if offset != 0 || length != obj.Size {
		if err := gopts.SetRange(offset, offset+length-1); err != nil {
			return nil, Object{}, fmt.Errorf("media: get %q: %w", key, err)
		}
	}
	o, err := s.client.GetObject(ctx, s.bucket, key, gopts)
	if err != nil {
		return nil, Object{}, mapErr("get", key, err)
	}
	// GetObject is lazy; Stat sends the request so that errors surface here.
	if _, err := o.Stat(); err != nil {
		_ = o.Close()
		return nil, Object{}, mapErr("get", key, err)
	}
	return o, obj, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (Object, error) {
	if err := ValidKey(key); err != nil {
		return Object{}, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return Object{}, mapErr("stat", key, err)
	}
	info.Key = key
	return s.object(info), nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if err != nil {
		if err := mapErr("delete", key, err); !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// List implements Store.
func (s *S3) List(ctx context.Context, prefix string) ([]Object, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine on early return
	var out []Object
	for info := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{
		Prefix:    prefix,
		Recursive: true,
	}) {
		if info.Err != nil {
			return nil, mapErr("list", prefix, info.Err)
		}
		if strings.HasSuffix(info.Key, "/") {
			continue // directory marker
		}
		o := s.object(info)
		o.ContentType = ""
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Ping implements Store: it checks that the bucket is reachable.
func (s *S3) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return mapErr("ping", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("media: ping: bucket %q does not exist", s.bucket)
	}
	return nil
}

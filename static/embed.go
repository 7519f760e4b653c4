// Package static embeds the CSS, JavaScript and images, served under content-hash URLs and cached forever.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"sync"
)

//go:embed css js img
var files embed.FS

// Asset is one embedded file.
type Asset struct {
	Data        []byte
	Hash        string
	ContentType string
}

var (
	once   sync.Once
	assets map[string]Asset
)

// Assets returns every embedded file by its path ("css/app.css").
func Assets() map[string]Asset {
	once.Do(func() {
		assets = map[string]Asset{}
		_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || path.Ext(p) == ".go" {
				return err
			}
			b, err := files.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			ct := mime.TypeByExtension(path.Ext(p))
			if ct == "" {
				ct = "application/octet-stream"
			}
			assets[p] = Asset{Data: b, Hash: hex.EncodeToString(sum[:])[:12], ContentType: ct}
			return nil
		})
	})
	return assets
}

// URL returns the cache-busting URL of an asset: /static/<hash>/<path>.
func URL(p string) string {
	a, ok := Assets()[p]
	if !ok {
		return "/static/missing/" + p
	}
	return "/static/" + a.Hash + "/" + p
}

package client_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/peeracademy/peeracademy/internal/api/client"
)

// TestClientIsFresh fails when the API's document changed since the client was generated.
func TestClientIsFresh(t *testing.T) {
	want, err := client.Spec()
	if err != nil {
		t.Fatal(err)
	}
	var ind bytes.Buffer
	if err := json.Indent(&ind, want, "", "  "); err != nil {
		t.Fatal(err)
	}
	ind.WriteByte('\n')
	got, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, ind.Bytes()) {
		t.Fatal("internal/api/client is stale: the API's OpenAPI document changed. Run: go generate ./internal/api/client")
	}
}

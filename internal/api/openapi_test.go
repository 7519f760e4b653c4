package api_test

import (
	"context"
	"os"
	"testing"

	"github.com/peeracademy/peeracademy/internal/api"
)

// TestDocumentValidates builds the document from the route table and validates it with kin-openapi.
func TestDocumentValidates(t *testing.T) {
	h := &api.Handlers{Version: "test"}
	doc, err := h.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("OPENAPI_DUMP"); p != "" {
		b, _ := doc.MarshalJSON()
		os.WriteFile(p, b, 0o644)
	}
}

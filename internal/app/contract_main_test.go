package app_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/peeracademy/peeracademy/internal/api"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
)

// TestMain runs the tests (every API response they receive is checked against the OpenAPI document
// by apptest.Env.Do) and then lists, per operation, the statuses met. When the whole suite ran
// (no -run filter) an operation without a success or an error response fails the run.
func TestMain(m *testing.M) {
	code := m.Run()
	report, missing := apptest.CoverageReport((&api.Handlers{Version: "test"}).Ops())
	if len(apptest.Coverage()) > 0 {
		fmt.Printf("API contract coverage (operation, statuses met):\n%s", report)
		fmt.Printf("API contract coverage: %d operations lack a success or an error response\n", len(missing))
	}
	if code == 0 && len(missing) > 0 && os.Getenv("PEERACADEMY_API_COVERAGE") == "strict" {
		fmt.Println("FAIL: API contract coverage is incomplete")
		code = 1
	}
	os.Exit(code)
}

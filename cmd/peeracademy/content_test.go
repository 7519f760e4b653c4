package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/content"
)

// TestContentCheckEmbedded checks the shipped content, quality gates included.
func TestContentCheckEmbedded(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := contentCmd([]string{"check"}, &out, &errOut); err != nil {
		t.Fatalf("content check: %v\n%s%s", err, out.String(), errOut.String())
	}
	re := regexp.MustCompile(`^content ok: \d+ courses \(1 certification, \d+ specialty, \d+ continuing education\), 10 days, \d+ modules, \d+ words, \d+ exam items, 8 rubric competencies\n` +
		`items ok: \d+ items, longest-key \d+%, test-wise pass \d+\.\d% of 10000 forms\n$`)
	if !re.MatchString(out.String()) {
		t.Errorf("output %q", out.String())
	}
}

func TestContentCheckBrokenDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, content.FS); err != nil {
		t.Fatal(err)
	}
	// Break one knowledge-check answer and one item-bank key.
	module := filepath.Join(dir, "curriculum", "day-01", "01-welcome-to-the-course.md")
	line := breakFile(t, module, "    answer: 1\n", "    answer: 9\n")
	bank := filepath.Join(dir, "exams", "written", "foundations.yaml")
	bankLine := breakFile(t, bank, "    type: single\n", "    type: essay\n")

	var out, errOut bytes.Buffer
	err := contentCmd([]string{"check", "-dir", dir}, &out, &errOut)
	if err == nil || err.Error() != "content check: 2 problems" {
		t.Fatalf("err = %v", err)
	}
	want := fmt.Sprintf("%s:%d: check item 1: answer 9 is not an option index (0 to 3)\n%s:%d: FND-001: type \"essay\" must be one of single, multiple, truefalse\n",
		module, line, bank, bankLine)
	if out.String() != want {
		t.Errorf("output\n%s\nwant\n%s", out.String(), want)
	}
}

func TestContentCheckUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{nil, {"lint"}, {"check", "extra"}, {"check", "-dir", filepath.Join(t.TempDir(), "none")}} {
		if err := contentCmd(args, &out, &errOut); err == nil {
			t.Errorf("contentCmd(%q) succeeded", args)
		}
	}
}

// breakFile replaces the first old in file and returns the 1-based line it was on.
func breakFile(t *testing.T, file, old, new string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte(old))
	if i < 0 {
		t.Fatalf("%s lacks %q", file, old)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

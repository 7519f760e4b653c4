package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/peeracademy/peeracademy/content"
	"github.com/peeracademy/peeracademy/internal/contentcheck"
)

const contentUsage = "usage: peeracademy content check [-v] [-dir DIR]"

// contentCmd runs "peeracademy content check [-dir DIR]" (args exclude the word "content"). It
// validates the course content (curriculum, written-exam bank, oral rubric) in DIR, or the content
// built into the binary, and prints each problem as "file:line: problem" (then the item-writing
// figures, when the content was sound enough to measure), or the two summary lines when there are
// none. It needs no configuration or database.
func contentCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, contentUsage)
		return errors.New(contentUsage)
	}
	flags := flag.NewFlagSet("content check", flag.ContinueOnError)
	flags.SetOutput(stderr)
	dir := flags.String("dir", "", "content directory to check (holding curriculum/, exams/ and media/); default: the built-in content")
	verbose := flags.Bool("v", false, "also list how each test-wise strategy fared")
	if err := flags.Parse(args[1:]); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; %s", flags.Args(), contentUsage)
	}
	var fsys fs.FS = content.FS
	if *dir != "" {
		st, err := os.Stat(*dir)
		if err != nil {
			return fmt.Errorf("content check: %w", err)
		}
		if !st.IsDir() {
			return fmt.Errorf("content check: %s is not a directory", *dir)
		}
		fsys = os.DirFS(*dir)
	}
	summary, problems := contentcheck.Run(fsys)
	if *verbose {
		for _, r := range summary.Strategies {
			fmt.Fprintln(stderr, "test-wise:", r)
		}
	}
	for _, p := range problems {
		if *dir != "" {
			p.File = filepath.Join(*dir, filepath.FromSlash(p.File))
		}
		fmt.Fprintln(stdout, p)
	}
	if len(problems) > 0 {
		if summary.Checked {
			fmt.Fprintln(stdout, summary.Figures())
		}
		return fmt.Errorf("content check: %d problems", len(problems))
	}
	fmt.Fprintln(stdout, summary)
	fmt.Fprintln(stdout, summary.ItemsLine())
	return nil
}

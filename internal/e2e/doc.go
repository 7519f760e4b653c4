// Package e2e holds end-to-end tests that drive the real app in a real browser (headless Chromium,
// through chromedp) over a loopback socket, on SQLite and on PostgreSQL. The package has no code of
// its own; everything is in its _test.go files.
//
// The browser binary comes from PEERACADEMY_CHROMIUM (default /usr/bin/chromium). Without it the
// tests skip locally and fail in CI (CI=true). Screenshots go to the test's temporary directory and,
// when PEERACADEMY_SCREENSHOTS names a directory, there as well.
package e2e

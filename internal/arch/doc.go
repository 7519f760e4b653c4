// Package arch holds tests of the code's architecture that the import graph does not show: which
// package owns each table (ownership_test.go). It has no code of its own.
package arch

// Package selftest holds property-based tests of patchcheck itself, on
// scenarios drawn by package gen: the kernel's protocol is safe, bad
// variants are caught, and the explorer's searches, counterexample IDs,
// replay and the scenario format agree with each other. It has no code
// of its own; see the _test.go files and docs/testing.md.
//
// The number of scenarios each property draws is rapid's -rapid.checks
// (default here: checksDefault, a fifth of it under -short):
//
//	go test ./internal/selftest -rapid.checks 500
package selftest

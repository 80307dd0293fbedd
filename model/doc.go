// Package model is patchcheck's machine and explorer: the state of CPUs
// fetching and running instructions from patchable text while kernel
// threads run the patching code (State, plain data), the program the
// kernel compiler builds for a scenario (Program: regions, windows,
// symbols, keys, CPU and thread programs of Ops), the machine that steps
// it under an architecture's fetch rules (Machine, Arch), and the
// explorer that enumerates every interleaving and every stale or torn
// fetch (Explore: breadth-first, depth-first or random walks, with
// fingerprints, partial-order and symmetry reduction, bounds and budgets).
// A property (Property, Warning) judges each step's events; Explore
// returns the shortest schedule that violates one, which Replay turns
// into a typed trace (TraceStep, TraceEvent).
//
// Most users do not need this package: package check compiles and
// explores a scenario, package pctest checks one from a test, and
// package cex turns a violation into a counterexample. Its exported
// names serve the other packages of patchcheck (kernel, arches, props,
// render); they are not a stable API. The rules of the machine are in
// docs/semantics.md.
package model

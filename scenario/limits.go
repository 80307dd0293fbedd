package scenario

import "fmt"

// Capacities of one scenario: the fixed sizes of the model's state
// (model/state.go) as a scenario counts them. Parse and Builder.Build
// reject a scenario past any of them with an error that names the limit
// (at the offending word, for Parse); none is ever truncated or wrapped.
// A test in package check keeps them equal to the model's.
const (
	// MaxTargets is the number of ordinary targets: the model holds 16
	// call targets, NULL and return0 included, and each static key takes
	// two (its branch's two ways).
	MaxTargets = 14
	// MaxKeys is the number of static call keys.
	MaxKeys = 4
	// MaxWindows is the number of patchable windows: one trampoline per
	// key plus one per inline site.
	MaxWindows = 8
	// MaxModules is the number of loadable modules.
	MaxModules = 2
	// MaxCPUs is the number of caller CPUs.
	MaxCPUs = 4
	// MaxThreads is the number of kernel threads.
	MaxThreads = 4
	// MaxCalls is the number of calls one CPU makes.
	MaxCalls = 255
	// MaxOps is the number of operations of one thread, as written. Once
	// compiled, a thread has at most 65535 model operations (its program
	// counter is 16 bits wide); the compiler checks that too.
	MaxOps = 1000
	// MaxSketchSteps is the number of steps of a sketch.
	MaxSketchSteps = 1000
	// MaxFailAlloc is the largest fail_alloc: static_call_add_module makes
	// at most two kzalloc calls a key (the wrapper of the key's built-in
	// sites, then the module's own entry), so a larger N would never fail.
	MaxFailAlloc = 2 * MaxKeys
)

// ItemError is an error about one item of a scenario, such as its 15th
// target. Parse reports it at the item's position; Locate finds that
// position for an ItemError (or any error with a ScenarioItem method)
// that comes later, from the compiler.
type ItemError struct {
	Kind  string // "target", "module", "place", "key", "site", "caller", "static_key", "jump", "cpu", "thread" or "sketch"
	Index int    // the item's index among those of its kind
	Msg   string
}

func (e *ItemError) Error() string { return e.Msg }

// ScenarioItem returns the kind and index of the item e is about.
func (e *ItemError) ScenarioItem() (string, int) { return e.Kind, e.Index }

// itemErr returns an ItemError.
func itemErr(kind string, index int, format string, args ...any) error {
	return &ItemError{Kind: kind, Index: index, Msg: fmt.Sprintf(format, args...)}
}

// Limit messages, shared by Parse (at the word that passes a limit) and
// Validate (for scenarios built in Go).
func tooManyTargets() string {
	return fmt.Sprintf("more than %d targets (the model holds %d call targets, NULL and return0 included)", MaxTargets, MaxTargets+2)
}
func tooMany(what string, limit int) string {
	return fmt.Sprintf("more than %d %s (model limit)", limit, what)
}
func tooManyWindows() string {
	return fmt.Sprintf("more than %d patchable windows: keys (one trampoline each), sites and jumps together (model limit)", MaxWindows)
}
func tooManyKeys() string {
	return fmt.Sprintf("more than %d keys: static call keys and static keys together (model limit)", MaxKeys)
}
func tooManyCalls(cpu int) string {
	return fmt.Sprintf("cpu %d: more than %d calls (model limit)", cpu, MaxCalls)
}
func tooManyOps(thread string) string {
	return fmt.Sprintf("thread %q: more than %d operations (model limit)", thread, MaxOps)
}
func badFailAlloc(thread string) string {
	return fmt.Sprintf("thread %q: fail_alloc=N wants N from 1 to %d (static_call_add_module makes at most 2 kzalloc calls a key)", thread, MaxFailAlloc)
}

// checkCapacity reports the first capacity of s that is exceeded, as an
// *ItemError about the first item past the limit.
func (s *Scenario) checkCapacity() error {
	switch {
	case len(s.Targets) > MaxTargets:
		return itemErr("target", MaxTargets, "%s", tooManyTargets())
	case len(s.Keys) > MaxKeys:
		return itemErr("key", MaxKeys, "%s", tooMany("keys", MaxKeys))
	case len(s.Keys)+len(s.StaticKeys) > MaxKeys:
		return itemErr("static_key", MaxKeys-len(s.Keys), "%s", tooManyKeys())
	case len(s.Targets)+2*len(s.StaticKeys) > MaxTargets:
		return itemErr("static_key", max((MaxTargets-len(s.Targets))/2, 0), "%s", tooManyTargets())
	case len(s.Keys)+len(s.Sites)+len(s.Jumps) > MaxWindows && len(s.Jumps) > 0:
		return itemErr("jump", max(MaxWindows-len(s.Keys)-len(s.Sites), 0), "%s", tooManyWindows())
	case len(s.Keys)+len(s.Sites) > MaxWindows:
		if len(s.Sites) == 0 {
			return itemErr("key", MaxWindows, "%s", tooManyWindows())
		}
		return itemErr("site", max(MaxWindows-len(s.Keys), 0), "%s", tooManyWindows())
	case len(s.Modules) > MaxModules:
		return itemErr("module", MaxModules, "%s", tooMany("modules", MaxModules))
	case len(s.CPUs) > MaxCPUs:
		return itemErr("cpu", MaxCPUs, "%s", tooMany("cpus", MaxCPUs))
	case len(s.Threads) > MaxThreads:
		return itemErr("thread", MaxThreads, "%s", tooMany("threads", MaxThreads))
	case len(s.Sketch) > MaxSketchSteps:
		return itemErr("sketch", MaxSketchSteps, "%s", tooMany("sketch steps", MaxSketchSteps))
	}
	for i, c := range s.CPUs {
		if len(c.Calls) > MaxCalls {
			return itemErr("cpu", i, "%s", tooManyCalls(i))
		}
	}
	for i, t := range s.Threads {
		if len(t.Ops) > MaxOps {
			return itemErr("thread", i, "%s", tooManyOps(t.Name))
		}
		for _, op := range t.Ops {
			if op.FailAlloc < 0 || op.FailAlloc > MaxFailAlloc {
				return itemErr("thread", i, "%s", badFailAlloc(t.Name))
			}
		}
	}
	return nil
}

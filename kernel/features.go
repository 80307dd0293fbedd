package kernel

import (
	"fmt"
	"slices"

	"github.com/patchcheck/patchcheck/scenario"
)

// Scenario features that not every port models. A port that offers any
// implements FeaturePort; one that does not (x86-64) offers none.
const (
	// FeatureFar: targets placed far from the trampolines and sites
	// (place TARGET range=far).
	FeatureFar = "place-far"
	// FeatureModuleTarget: targets in a module's text (place TARGET
	// module=M).
	FeatureModuleTarget = "place-module"
	// FeatureModuleKey: keys defined by a module (key ... module=M).
	FeatureModuleKey = "key-module"
	// FeatureCaller: out-of-line static_call() call sites (caller ...).
	FeatureCaller = "caller"
	// FeatureModuleCaller: such call sites in a module's text.
	FeatureModuleCaller = "caller-module"
)

// FeaturePort is a Port that models some of the optional features.
type FeaturePort interface {
	Port
	// Features lists the features the port models.
	Features() []string
}

// CheckFeatures reports the first feature sc uses that port does not
// model, so that no port silently ignores part of a scenario.
func CheckFeatures(sc *scenario.Scenario, port Port) error {
	var have []string
	if fp, ok := port.(FeaturePort); ok {
		have = fp.Features()
	}
	// The error is about the item that uses the feature, so that the
	// CLI reports it at the item's line (scenario.Locate).
	need := func(f, kind string, i int, what string) error {
		if !slices.Contains(have, f) {
			return &scenario.ItemError{Kind: kind, Index: i, Msg: fmt.Sprintf("arch %s does not model %s", sc.Arch, what)}
		}
		return nil
	}
	for i, pl := range sc.Places {
		if pl.Range != "" {
			if err := need(FeatureFar, "place", i, "far targets (place "+pl.Target+" range=far)"); err != nil {
				return err
			}
		}
		if pl.Module != "" {
			if err := need(FeatureModuleTarget, "place", i, "targets in modules (place "+pl.Target+" module="+pl.Module+")"); err != nil {
				return err
			}
		}
	}
	for i, k := range sc.Keys {
		if k.Module != "" {
			if err := need(FeatureModuleKey, "key", i, "keys defined by modules (key "+k.Name+" module="+k.Module+")"); err != nil {
				return err
			}
		}
	}
	for i, c := range sc.Callers {
		if err := need(FeatureCaller, "caller", i, "out-of-line call sites (caller "+c.Name+")"); err != nil {
			return err
		}
		if c.Module != "" {
			if err := need(FeatureModuleCaller, "caller", i, "call sites in modules (caller "+c.Name+" module="+c.Module+")"); err != nil {
				return err
			}
		}
	}
	return nil
}

// KernelVariantPort is a Port whose own protocol depends on the scenario:
// arm64's inline sites exist only as jump-label-style patching, so the
// kernel's protocol for a scenario with sites is not its default variant.
type KernelVariantPort interface {
	Port
	// KernelVariant names the variant that is the kernel's own code for
	// sc.
	KernelVariant(sc *scenario.Scenario) string
}

// KernelVariant names the kernel's own protocol for sc on port.
func KernelVariant(port Port, sc *scenario.Scenario) string {
	if kp, ok := port.(KernelVariantPort); ok {
		return kp.KernelVariant(sc)
	}
	return port.Variants()[0].Name
}

// CheckLifecycleOps reports the first thread operation of sc that a port
// without static_call_update_early, module loading or kprobes (arch names
// it) cannot model. supported lists the operation kinds of those the port
// does model (e.g. scenario.OpLoad and scenario.OpUnload: arm64 and
// powerpc load and unload modules whose only sites are jump label sites).
func CheckLifecycleOps(sc *scenario.Scenario, arch string, supported ...string) error {
	for _, th := range sc.Threads {
		for _, op := range th.Ops {
			if slices.Contains(supported, op.Kind) {
				continue
			}
			switch op.Kind {
			case scenario.OpUpdateEarly:
				return fmt.Errorf("thread %s: update_early is x86's static_call_update_early (Xen); %s has none", th.Name, arch)
			case scenario.OpLoad, scenario.OpUnload:
				return fmt.Errorf("thread %s: %s: module loading is not modelled on %s", th.Name, op.Kind, arch)
			case scenario.OpKprobe:
				return fmt.Errorf("thread %s: kprobes are not modelled on %s", th.Name, arch)
			}
		}
	}
	return nil
}

// CheckOneUpdater reports two threads updating one key: the out-of-line
// __static_call_update (include/linux/static_call.h) takes no
// static_call_mutex, while the core the model shares with the inline
// ports does, so the model would serialise what the kernel does not.
func CheckOneUpdater(sc *scenario.Scenario) error {
	updaters := map[string]string{}
	for _, th := range sc.Threads {
		for _, op := range th.Ops {
			if op.Kind != scenario.OpUpdate {
				continue
			}
			if t, ok := updaters[op.Key]; ok && t != th.Name {
				return fmt.Errorf("threads %s and %s both update %s: the out-of-line static_call_update is not serialised by static_call_mutex, which the model's core would take", t, th.Name, op.Key)
			}
			updaters[op.Key] = th.Name
		}
	}
	return nil
}

package props

import "github.com/patchcheck/patchcheck/model"

// powerpc64 ELFv2 TOC properties (docs/semantics.md, powerpc). The
// architecture reports the facts (model.EvArch events naming these
// properties); a property only relays what the port found.
const (
	// TOCAccess: whenever code of a TOC-using function makes a
	// TOC-relative access (an instruction with r2 as its base), r2 holds
	// the TOC of the domain (vmlinux or the module) that the code is in.
	TOCAccess = "toc-access"
	// TOCAfterCall: after every call returns to TOC-using code, and the
	// caller's TOC restore (the nop that became ld r2,24(r1)) has run,
	// r2 holds the caller's TOC.
	TOCAfterCall = "toc-after-call"
	// GlobalEntryR12: every global entry point (the one that computes r2
	// from r12) is entered with r12 equal to its address.
	GlobalEntryR12 = "global-entry-r12"
)

// tocProps are the powerpc64 TOC properties, checked after the others.
func tocProps() []prop {
	return []prop{
		archProp(TOCAccess, "powerpc64: a TOC-relative access is made with r2 equal to the TOC of the code's own domain (vmlinux or its module)"),
		archProp(TOCAfterCall, "powerpc64: after a call returns (and the caller's TOC restore ran), r2 is the caller's TOC again"),
		archProp(GlobalEntryR12, "powerpc64: every global entry point is entered with r12 equal to its address"),
	}
}

// archProp is the property name, judged by the architecture: it relays
// the EvArch events reported for it (archFact).
func archProp(name, doc string) prop {
	return prop{name, doc, archFact(name), false, kinds(model.EvArch)}
}

// archFact judges the EvArch events that the architecture reports for
// property name.
func archFact(name string) func(*model.Program, *model.Event) string {
	return func(_ *model.Program, ev *model.Event) string {
		if ev.Kind != model.EvArch || ev.Prop != name {
			return ""
		}
		return ev.Msg
	}
}

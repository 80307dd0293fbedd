package model

import (
	"reflect"
	"slices"
	"testing"
)

// TestStateHasNoPadding keeps State free of padding bytes: fingerprints
// hash its raw bytes, and padding would make equal states hash apart.
func TestStateHasNoPadding(t *testing.T) {
	var walk func(typ reflect.Type) uintptr
	walk = func(typ reflect.Type) uintptr {
		switch typ.Kind() {
		case reflect.Struct:
			var sum uintptr
			for i := 0; i < typ.NumField(); i++ {
				sum += walk(typ.Field(i).Type)
			}
			if sum != typ.Size() {
				t.Errorf("%s: fields add up to %d bytes, the struct has %d: padding", typ, sum, typ.Size())
			}
			return typ.Size()
		case reflect.Array:
			walk(typ.Elem())
			return typ.Size()
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return typ.Size()
		}
		t.Errorf("%s: %s in State: only fixed-size integers and arrays keep it plain data", typ, typ.Kind())
		return typ.Size()
	}
	walk(reflect.TypeOf(State{}))
}

// TestWorkList checks the block queue and stack against a slice, with
// entries of varying lengths.
func TestWorkList(t *testing.T) {
	payload := func(node int32) []uint64 {
		p := make([]uint64, int(node)%300)
		for i := range p {
			p[i] = uint64(node)<<16 | uint64(i)
		}
		return p
	}
	for _, lifo := range []bool{false, true} {
		w := &workList{lifo: lifo}
		var ref []int32
		next := int32(0)
		for step := 0; step < 20000; step++ {
			if step%7 < 4 || len(ref) == 0 {
				w.push(next, payload(next))
				ref = append(ref, next)
				next++
				continue
			}
			node, p := w.pop()
			var want int32
			if lifo {
				want, ref = ref[len(ref)-1], ref[:len(ref)-1]
			} else {
				want, ref = ref[0], ref[1:]
			}
			if node != want || w.len() != len(ref) || !slices.Equal(p, payload(want)) {
				t.Fatalf("lifo %v step %d: popped %d (len %d), want %d (len %d)", lifo, step, node, w.len(), want, len(ref))
			}
		}
	}
}

// TestPokeLookup checks smp_text_poke_int3_handler's search against
// __inline_bsearch as the kernel has it: every entry of a sorted array is
// found, addresses between entries are not, and an unsorted array loses
// entries (the kernel relies on smp_text_poke_batch_add's flush to keep
// it sorted).
func TestPokeLookup(t *testing.T) {
	mk := func(addrs ...uint64) PokeArray {
		var a PokeArray
		for i, x := range addrs {
			a.Vec[i].Addr = x
		}
		a.Nr = uint8(len(addrs))
		return a
	}
	for n := 1; n <= MaxPokes; n++ {
		var addrs []uint64
		for i := 0; i < n; i++ {
			addrs = append(addrs, uint64(0x1000+0x10*i))
		}
		a := mk(addrs...)
		for i, x := range addrs {
			if got := a.Lookup(x); got != i {
				t.Errorf("sorted %v: Lookup(%#x) = %d, want %d", addrs, x, got, i)
			}
			if got := a.Lookup(x + 1); got != -1 {
				t.Errorf("sorted %v: Lookup(%#x) = %d, want -1", addrs, x+1, got)
			}
		}
	}
	// [0x2000, 0x1000]: the pivot is entry 1 (0x1000); 0x2000 > 0x1000
	// moves the base past it with num = 0: not found.
	if u := mk(0x2000, 0x1000); u.Lookup(0x2000) != -1 {
		t.Errorf("unsorted: Lookup(0x2000) = %d, want -1 (as __inline_bsearch)", u.Lookup(0x2000))
	}
	// One entry: compared directly.
	if o := mk(0x3000); o.Lookup(0x3000) != 0 {
		t.Errorf("one entry: Lookup = %d", o.Lookup(0x3000))
	}
	flush := func(a PokeArray, addr uint64) bool { return a.mustFlush(addr) }
	if !flush(mk(0x2000), 0x1000) || flush(mk(0x1000), 0x2000) || flush(mk(1, 2, 3), 4) || flush(mk(), 1) {
		t.Error("mustFlush: want a flush for a lower address only")
	}
}

package model

import (
	"reflect"
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

// TestFpSetGrows checks the open-addressing visited set across growth.
func TestFpSetGrows(t *testing.T) {
	s := newFPSet()
	const n = 300000
	for i := uint64(0); i < n; i++ {
		fp := i * 0x9e3779b97f4a7c15
		if _, ok := s.add(nil, fp, int32(i)); !ok {
			t.Fatalf("fingerprint %d reported seen before it was added", i)
		}
	}
	for i := uint64(0); i < n; i++ {
		node, ok := s.add(nil, i*0x9e3779b97f4a7c15, -1)
		if ok || node != int32(i) {
			t.Fatalf("fingerprint %d: node %d, new %v; want node %d, seen", i, node, ok, i)
		}
	}
	if s.size() != n {
		t.Fatalf("size %d, want %d", s.size(), n)
	}
}

// TestWorkList checks the block queue and stack against a slice.
func TestWorkList(t *testing.T) {
	for _, lifo := range []bool{false, true} {
		w := &workList{lifo: lifo}
		var ref []int32
		next := int32(0)
		for step := 0; step < 20000; step++ {
			if step%7 < 4 || len(ref) == 0 {
				w.push(frame{node: next})
				ref = append(ref, next)
				next++
				continue
			}
			var f frame
			w.pop(&f)
			var want int32
			if lifo {
				want, ref = ref[len(ref)-1], ref[:len(ref)-1]
			} else {
				want, ref = ref[0], ref[1:]
			}
			if f.node != want || w.len() != len(ref) {
				t.Fatalf("lifo %v step %d: popped %d (len %d), want %d (len %d)", lifo, step, f.node, w.len(), want, len(ref))
			}
		}
	}
}

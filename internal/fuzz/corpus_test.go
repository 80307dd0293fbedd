package fuzz

import (
	"encoding/binary"
	"reflect"
	"testing"
)

// shimDecode decodes a raw input as go-118-fuzz-build's testing shim does
// for arguments of the types of want (go-fuzz-headers' ConsumeFuzzer at
// the version .ci/libfuzzer pins: GetBytes, GetString, GetByte,
// GetUint16, GetUint32, GetUint64, GetBool); .ci/libfuzzer checks the
// real thing end to end.
func shimDecode(t *testing.T, data []byte, want []any) []any {
	pos := 0
	next := func(n int) []byte {
		if pos+n > len(data) {
			t.Fatalf("input too short at %d for %d bytes", pos, n)
		}
		b := data[pos : pos+n]
		pos += n
		return b
	}
	uint := func(n int) uint64 {
		b := next(n)
		if next(1)[0]%2 == 0 {
			var v uint64
			for i := n - 1; i >= 0; i-- {
				v = v<<8 | uint64(b[i])
			}
			return v
		}
		var v uint64
		for _, c := range b {
			v = v<<8 | uint64(c)
		}
		return v
	}
	var out []any
	for _, w := range want {
		switch w.(type) {
		case []byte:
			n := binary.BigEndian.Uint32(next(4))
			left := uint32(len(data) - pos)
			if n != left {
				n %= left
			}
			out = append(out, next(int(n)))
		case string:
			n := binary.BigEndian.Uint32(next(4))
			out = append(out, string(next(int(n))))
		case bool:
			out = append(out, next(1)[0]%2 == 0)
		case uint8:
			out = append(out, next(1)[0])
		case uint16:
			out = append(out, uint16(uint(2)))
		case uint32:
			out = append(out, binary.BigEndian.Uint32(next(4)))
		case uint64:
			out = append(out, uint(8))
		}
	}
	if pos != len(data) {
		t.Fatalf("%d bytes left over", len(data)-pos)
	}
	return out
}

func TestLibFuzzerInput(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []any
	}{
		{"go test fuzz v1\n[]byte(\"patchcheck\")\n", []any{[]byte("patchcheck")}},
		{"go test fuzz v1\nuint32(0xd503201f)\nuint64(4096)\n", []any{uint32(0xd503201f), uint64(4096)}},
		{"go test fuzz v1\nuint16(300)\nuint16(7)\nuint8(2)\nstring(\"x y\")\n", []any{uint16(300), uint16(7), uint8(2), "x y"}},
		{"go test fuzz v1\nuint8(1)\nbool(true)\nbool(false)\n[]byte(\"a\")\nuint8(9)\n", []any{uint8(1), true, false, []byte("a"), uint8(9)}},
		{"go test fuzz v1\nstring(\"\")\nbyte('a')\n", []any{"", uint8('a')}},
	} {
		vals, err := ParseCorpusFile([]byte(tc.file))
		if err != nil || !reflect.DeepEqual(vals, tc.want) {
			t.Errorf("%q: parsed %#v, %v; want %#v", tc.file, vals, err, tc.want)
			continue
		}
		raw, err := LibFuzzerInput(vals)
		if err != nil {
			t.Errorf("%q: %v", tc.file, err)
			continue
		}
		if got := shimDecode(t, raw, vals); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: decodes to %#v", tc.file, got)
		}
	}
	for _, bad := range []string{"", "go test fuzz v2\n", "go test fuzz v1\nfloat64(1)\n", "go test fuzz v1\n[]byte(x)\n", "go test fuzz v1\nuint8(300)\n"} {
		if _, err := ParseCorpusFile([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if _, err := LibFuzzerInput([]any{[]byte{}}); err == nil {
		t.Error("an empty []byte: no error")
	}
}

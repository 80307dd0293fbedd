package fuzz

import (
	"encoding/binary"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
)

// ParseCorpusFile reads a seed file in Go's corpus format ("go test fuzz
// v1", then one value a line: []byte("..."), string("..."), uint8(7),
// bool(true), ...) and returns its values.
func ParseCorpusFile(data []byte) ([]any, error) {
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) == 0 || lines[0] != "go test fuzz v1" {
		return nil, errors.New("1:1: not a go test fuzz v1 file")
	}
	var vals []any
	for i, line := range lines[1:] {
		if strings.TrimSpace(line) == "" {
			continue
		}
		v, err := parseCorpusValue(line)
		if err != nil {
			return nil, fmt.Errorf("%d:1: %v", i+2, err)
		}
		vals = append(vals, v)
	}
	return vals, nil
}

func parseCorpusValue(line string) (any, error) {
	e, err := parser.ParseExpr(line)
	if err != nil {
		return nil, err
	}
	call, ok := e.(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return nil, fmt.Errorf("want TYPE(VALUE), got %q", line)
	}
	var typ string
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		typ = fn.Name
	case *ast.ArrayType:
		if id, ok := fn.Elt.(*ast.Ident); ok && fn.Len == nil && (id.Name == "byte" || id.Name == "uint8") {
			typ = "[]byte"
		}
	}
	arg := call.Args[0]
	neg := false
	if u, ok := arg.(*ast.UnaryExpr); ok && u.Op == token.SUB {
		neg, arg = true, u.X
	}
	var lit string
	switch a := arg.(type) {
	case *ast.BasicLit:
		lit = a.Value
	case *ast.Ident:
		lit = a.Name
	default:
		return nil, fmt.Errorf("unsupported value %q", line)
	}
	num := func(bits int, signed bool) (any, error) {
		var s string
		if strings.HasPrefix(lit, "'") {
			r, _, _, err := strconv.UnquoteChar(lit[1:len(lit)-1], '\'')
			if err != nil {
				return nil, err
			}
			s = strconv.Itoa(int(r))
		} else {
			s = lit
		}
		if neg {
			s = "-" + s
		}
		if signed {
			return strconv.ParseInt(s, 0, bits)
		}
		return strconv.ParseUint(s, 0, bits)
	}
	switch typ {
	case "[]byte":
		s, err := strconv.Unquote(lit)
		return []byte(s), err
	case "string":
		return strconv.Unquote(lit)
	case "bool":
		return strconv.ParseBool(lit)
	case "byte", "uint8":
		v, err := num(8, false)
		return uint8(v.(uint64)), err
	case "uint16":
		v, err := num(16, false)
		return uint16(v.(uint64)), err
	case "uint32":
		v, err := num(32, false)
		return uint32(v.(uint64)), err
	case "uint64", "uint":
		v, err := num(64, false)
		return v, err
	case "int8":
		v, err := num(8, true)
		return int8(v.(int64)), err
	case "int16":
		v, err := num(16, true)
		return int16(v.(int64)), err
	case "int32", "rune":
		v, err := num(32, true)
		return int32(v.(int64)), err
	case "int64", "int":
		return num(64, true)
	}
	return nil, fmt.Errorf("unsupported type in %q", line)
}

// LibFuzzerInput returns the raw libFuzzer input from which
// go-118-fuzz-build's testing shim (F.Fuzz, through go-fuzz-headers'
// ConsumeFuzzer, v0.0.0-20230811130428-ced1acdcaa24) decodes exactly
// vals, the arguments of a fuzz function after its *testing.T: a []byte
// or string as a big-endian uint32 length and its bytes (a []byte
// cannot be empty), an 8-bit value as one byte, wider integers as their
// bytes (little-endian, then an even byte that says so; uint32 and int32
// big-endian, without it), a bool as one byte (even: true).
func LibFuzzerInput(vals []any) ([]byte, error) {
	var b []byte
	le := func(v uint64, n int) {
		for i := range n {
			b = append(b, byte(v>>(8*i)))
		}
		b = append(b, 0) // even: little-endian
	}
	for i, v := range vals {
		switch v := v.(type) {
		case []byte:
			if len(v) == 0 {
				return nil, fmt.Errorf("argument %d: an empty []byte is no input under go-118-fuzz-build", i+1)
			}
			// The shim takes the length modulo the bytes left, which
			// are more than it unless it is the last argument, and
			// then exactly it.
			b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
			b = append(b, v...)
		case string:
			b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
			b = append(b, v...)
		case bool:
			if v {
				b = append(b, 0)
			} else {
				b = append(b, 1)
			}
		case uint8:
			b = append(b, v)
		case int8:
			b = append(b, byte(v))
		case uint16:
			le(uint64(v), 2)
		case int16:
			le(uint64(uint16(v)), 2)
		case uint32:
			b = binary.BigEndian.AppendUint32(b, v)
		case int32:
			b = binary.BigEndian.AppendUint32(b, uint32(v))
		case uint64:
			le(v, 8)
		case int64:
			le(uint64(v), 8)
		default:
			return nil, fmt.Errorf("argument %d: unsupported type %T", i+1, v)
		}
	}
	return b, nil
}

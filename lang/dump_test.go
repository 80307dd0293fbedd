package lang

import (
	"fmt"
	"strings"
)

// dumpType renders a type as "struct static_call_key *".
func dumpType(t Type) string {
	s := strings.Join(t.Words, " ")
	if t.Ptr > 0 {
		s += " " + strings.Repeat("*", t.Ptr)
	}
	return s
}

// dumpExpr renders an expression fully parenthesised, to check the shape
// of the tree.
func dumpExpr(x Expr) string {
	switch x := x.(type) {
	case nil:
		return "<nil>"
	case *Ident:
		return x.Name
	case *Int:
		return x.Text
	case *String:
		return fmt.Sprintf("%q", x.Value)
	case *Call:
		args := make([]string, len(x.Args))
		for i, a := range x.Args {
			args[i] = dumpExpr(a)
		}
		if x.Via != nil {
			return dumpExpr(x.Via) + "(" + strings.Join(args, ", ") + ")"
		}
		return x.Fun + "(" + strings.Join(args, ", ") + ")"
	case *Member:
		if x.Arrow {
			return "(" + dumpExpr(x.X) + "->" + x.Name + ")"
		}
		return "(" + dumpExpr(x.X) + "." + x.Name + ")"
	case *Index:
		return "(" + dumpExpr(x.X) + "[" + dumpExpr(x.I) + "])"
	case *Unary:
		return "(" + x.Op + dumpExpr(x.X) + ")"
	case *Binary:
		return "(" + dumpExpr(x.X) + " " + x.Op + " " + dumpExpr(x.Y) + ")"
	case *Cond:
		if x.Y == nil {
			return "(" + dumpExpr(x.X) + " ?: " + dumpExpr(x.Z) + ")"
		}
		return "(" + dumpExpr(x.X) + " ? " + dumpExpr(x.Y) + " : " + dumpExpr(x.Z) + ")"
	case *Assign:
		return "(" + dumpExpr(x.L) + " " + x.Op + " " + dumpExpr(x.R) + ")"
	case *IncDec:
		if x.Post {
			return "(" + dumpExpr(x.X) + x.Op + ")"
		}
		return "(" + x.Op + dumpExpr(x.X) + ")"
	case *Cast:
		return "((" + dumpType(x.Type) + ")" + dumpExpr(x.X) + ")"
	case *Composite:
		fs := make([]string, len(x.Fields))
		for i, f := range x.Fields {
			fs[i] = "." + f.Name + "=" + dumpExpr(f.X)
		}
		return "(" + dumpType(x.Type) + "){" + strings.Join(fs, ", ") + "}"
	case *SizeOf:
		if x.Type != nil {
			return "sizeof(" + dumpType(*x.Type) + ")"
		}
		return "sizeof(" + dumpExpr(x.X) + ")"
	}
	return fmt.Sprintf("<%T>", x)
}

// dumpStmt renders a statement one line per statement, nested
// statements indented by two spaces.
func dumpStmt(b *strings.Builder, s Stmt, indent string) {
	line := func(format string, args ...any) {
		b.WriteString(indent + fmt.Sprintf(format, args...) + "\n")
	}
	in := indent + "  "
	switch s := s.(type) {
	case *Block:
		line("{")
		for _, st := range s.Stmts {
			dumpStmt(b, st, in)
		}
		line("}")
	case *Decl:
		vs := make([]string, len(s.Vars))
		for i, v := range s.Vars {
			vs[i] = dumpType(v.Type) + " " + v.Name
			if v.Len != nil {
				vs[i] += "[" + dumpExpr(v.Len) + "]"
			}
			if v.Init != nil {
				vs[i] += " = " + dumpExpr(v.Init)
			}
		}
		line("decl %s", strings.Join(vs, ", "))
	case *ExprStmt:
		line("%s", dumpExpr(s.X))
	case *If:
		line("if %s", dumpExpr(s.Cond))
		dumpStmt(b, s.Then, in)
		if s.Else != nil {
			line("else")
			dumpStmt(b, s.Else, in)
		}
	case *For:
		init := "<nil>"
		if s.Init != nil {
			var ib strings.Builder
			dumpStmt(&ib, s.Init, "")
			init = strings.TrimSpace(ib.String())
		}
		line("for %s; %s; %s", init, dumpExpr(s.Cond), dumpExpr(s.Post))
		dumpStmt(b, s.Body, in)
	case *While:
		line("while %s", dumpExpr(s.Cond))
		dumpStmt(b, s.Body, in)
	case *DoWhile:
		line("do")
		dumpStmt(b, s.Body, in)
		line("while %s", dumpExpr(s.Cond))
	case *Switch:
		line("switch %s", dumpExpr(s.Tag))
		for _, c := range s.Cases {
			if len(c.Values) == 0 {
				line("default:")
			} else {
				vs := make([]string, len(c.Values))
				for i, v := range c.Values {
					vs[i] = dumpExpr(v)
				}
				line("case %s:", strings.Join(vs, ", "))
			}
			for _, st := range c.Body {
				dumpStmt(b, st, in)
			}
		}
	case *Goto:
		line("goto %s", s.Label)
	case *Guard:
		vs := make([]string, len(s.Args))
		for i, v := range s.Args {
			vs[i] = dumpExpr(v)
		}
		line("guard(%s)(%s)", s.Class, strings.Join(vs, ", "))
	case *ScopedGuard:
		vs := []string{s.Class}
		for _, v := range s.Args {
			vs = append(vs, dumpExpr(v))
		}
		line("scoped_guard(%s)", strings.Join(vs, ", "))
		dumpStmt(b, s.Body, indent+"\t")
	case *Labeled:
		line("%s:", s.Label)
		dumpStmt(b, s.Stmt, indent)
	case *Return:
		if s.X == nil {
			line("return")
		} else {
			line("return %s", dumpExpr(s.X))
		}
	case *Break:
		line("break")
	case *Continue:
		line("continue")
	case *Empty:
		line(";")
	default:
		line("<%T>", s)
	}
}

// dumpFunc renders a function's header and body.
func dumpFunc(f *Func) string {
	var b strings.Builder
	ps := make([]string, len(f.Params))
	for i, p := range f.Params {
		ps[i] = dumpType(p.Type) + " " + p.Name
	}
	fmt.Fprintf(&b, "%s %s(%s)\n", dumpType(f.Ret), f.Name, strings.Join(ps, ", "))
	dumpStmt(&b, f.Body, "")
	return b.String()
}

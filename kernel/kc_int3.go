package kernel

import (
	"github.com/patchcheck/patchcheck/lang"
	"github.com/patchcheck/patchcheck/model"
)

// The INT3 handler's compiler: x86's smp_text_poke_int3_handler(), as the
// model files write it, becomes the ops a CPU runs in ModeHandler
// (model.Program.Handler, interpreted by the architecture). The handler
// reads only its CPU's state and text_poke_array; its language is the
// statements the kernel function uses (docs/language.md, "The INT3
// handler"). Control flow is compiled by continuation: a branch compiles
// the rest of the function on each side, so no path joins another and
// the locals (tpl, ip, ret) are known on every path.

// int3Handler is the model function a CPU runs when it traps on INT3.
const int3Handler = "smp_text_poke_int3_handler"

// maxHandlerOps bounds the compiled handler: a CPU's Sub is 8 bits wide.
const maxHandlerOps = 255

// hc compiles the INT3 handler.
type hc struct {
	fn  *lang.Func
	ops []model.Op
	// consts are the model files' constants (#define, enum).
	consts map[string]int
	// labels are the function's top-level labels, each with the
	// statements from it to the end of the body.
	labels map[string][]lang.Stmt
}

// henv is what the compiler knows on a path: which locals hold what.
type henv struct {
	// tpl: 0 not set, 1 set by OpHBsearch or OpHFirst.
	tpl int
	// ip: 0 not set, 1 the INT3's address, 2 plus tpl->len.
	ip int
	// ints: integer locals (ret) and their values.
	ints map[string]int
	// brk is the continuation of the innermost switch (break).
	brk [][]lang.Stmt
	// depth counts the statements compiled on this path (a bound for
	// the continuation's code growth).
	depth int
}

func (e henv) clone() henv {
	ints := make(map[string]int, len(e.ints))
	for k, v := range e.ints {
		ints[k] = v
	}
	e.ints = ints
	return e
}

// compileHandler compiles smp_text_poke_int3_handler; nil when the model
// files have none (architectures without an INT3 handler).
func compileHandler(d defs) (ops []model.Op, err error) {
	fn, ok, err := d.entry(int3Handler)
	if err != nil || !ok {
		return nil, err
	}
	h := &hc{fn: fn, consts: d.enums, labels: map[string][]lang.Stmt{}}
	body := fn.Body.Stmts
	for i, st := range body {
		if l, ok := st.(*lang.Labeled); ok {
			h.labels[l.Label] = body[i:]
		}
	}
	defer func() {
		if r := recover(); r != nil {
			le, ok := r.(*lang.Error)
			if !ok {
				panic(r)
			}
			ops, err = nil, le
		}
	}()
	h.block(body, nil, henv{ints: map[string]int{}})
	if len(h.ops) > maxHandlerOps {
		return nil, compileError(fn.Pos, "%s: %d operations once compiled: at most %d", int3Handler, len(h.ops), maxHandlerOps)
	}
	return h.ops, nil
}

func (h *hc) emit(pos lang.Pos, op model.Op) int {
	op.Fn = int3Handler
	op.Src = srcOf(pos)
	h.ops = append(h.ops, op)
	return len(h.ops) - 1
}

// block compiles stmts, then the continuations k (innermost first).
func (h *hc) block(stmts []lang.Stmt, k [][]lang.Stmt, env henv) {
	for len(stmts) == 0 {
		if len(k) == 0 {
			panic(compileError(h.fn.End, "%s: a path reaches the end of the function without return", int3Handler))
		}
		stmts, k = k[0], k[1:]
	}
	env.depth++
	if env.depth > 500 {
		panic(compileError(lang.StmtPos(stmts[0]), "%s: too many statements on one path", int3Handler))
	}
	st, rest := stmts[0], stmts[1:]
	next := func(env henv) { h.block(rest, k, env) }
	switch s := st.(type) {
	case *lang.Empty:
		next(env)
	case *lang.Block:
		h.block(s.Stmts, append([][]lang.Stmt{rest}, k...), env)
	case *lang.Labeled:
		h.block(append([]lang.Stmt{s.Stmt}, rest...), k, env)
	case *lang.Decl:
		for _, d := range s.Vars {
			if d.Len != nil {
				panic(compileError(d.Pos, "%s: no array locals in the handler", int3Handler))
			}
			if d.Init == nil {
				continue
			}
			v, ok := h.constant(d.Init, env)
			if !ok {
				panic(compileError(lang.ExprPos(d.Init), "%s: %s is set to a constant here", int3Handler, d.Name))
			}
			env.ints[d.Name] = v
		}
		next(env)
	case *lang.Goto:
		to, ok := h.labels[s.Label]
		if !ok {
			panic(compileError(s.Pos, "%s: goto %s: no label %s at the function's top level", int3Handler, s.Label, s.Label))
		}
		h.block(to, nil, env)
	case *lang.Break:
		if env.brk == nil {
			panic(compileError(s.Pos, "%s: break outside a switch", int3Handler))
		}
		k := env.brk
		env.brk = nil
		h.block(nil, k, env)
	case *lang.Return:
		h.ret(s, env)
	case *lang.If:
		h.ifStmt(s, rest, k, env)
	case *lang.Switch:
		h.switchStmt(s, rest, k, env)
	case *lang.ExprStmt:
		if h.exprStmt(s.X, &env) {
			return // BUG(): the path ends
		}
		next(env)
	default:
		panic(compileError(lang.StmtPos(st), "%s: this statement is not part of the handler's language (docs/language.md)", int3Handler))
	}
}

// ret compiles return X: 1 is IRET, 0 exc_int3's other handlers.
func (h *hc) ret(s *lang.Return, env henv) {
	if s.X == nil {
		panic(compileError(s.Pos, "%s returns an int", int3Handler))
	}
	v, ok := h.constant(s.X, env)
	if !ok || (v != 0 && v != 1) {
		panic(compileError(lang.ExprPos(s.X), "%s: return %s: the handler returns 0 or 1 (a local set to one)", int3Handler, exprString(s.X)))
	}
	h.emit(s.Pos, model.Op{Code: model.OpHReturn, A: v})
}

// ifStmt compiles an if: its test, then each side followed by the rest.
func (h *hc) ifStmt(s *lang.If, rest []lang.Stmt, k [][]lang.Stmt, env henv) {
	then := []lang.Stmt{s.Then}
	var els []lang.Stmt
	if s.Else != nil {
		els = []lang.Stmt{s.Else}
	}
	cont := append([][]lang.Stmt{rest}, k...)
	jump, static, val := h.cond(s.Cond, env)
	if static {
		if val {
			h.block(then, cont, env)
		} else {
			h.block(els, cont, env)
		}
		return
	}
	// jump: the op that jumps when the condition holds.
	h.block(els, cont, env.clone())
	h.ops[jump].Label = len(h.ops)
	h.block(then, cont, env.clone())
}

// cond compiles a condition: the index of an op that jumps when it holds,
// or its value when it is fixed.
func (h *hc) cond(x lang.Expr, env henv) (jump int, static, val bool) {
	pos := lang.ExprPos(x)
	switch c := x.(type) {
	case *lang.Call:
		switch c.Fun {
		case "unlikely", "likely":
			if len(c.Args) == 1 {
				return h.cond(c.Args[0], env)
			}
		case "user_mode":
			return 0, true, false // a kernel text address: never user mode
		}
	case *lang.Unary:
		if c.Op != "!" {
			break
		}
		if call, ok := c.X.(*lang.Call); ok && call.Fun == "try_get_text_poke_array" && len(call.Args) == 0 {
			return h.emit(pos, model.Op{Code: model.OpHTryGet}), false, false
		}
		if isIdent(c.X, "tpl") {
			h.needTpl(pos, env)
			return h.emit(pos, model.Op{Code: model.OpHTplNull}), false, false
		}
	case *lang.Binary:
		switch {
		case c.Op == ">" && isMember(c.X, "text_poke_array", "nr_entries"):
			n, ok := h.constant(c.Y, env)
			if ok {
				return h.emit(pos, model.Op{Code: model.OpHNr, B: n}), false, false
			}
		case c.Op == "!=" && isCall(c.X, "text_poke_addr", "tpl") && isIdent(c.Y, "ip"):
			h.needTpl(pos, env)
			if env.ip != 1 {
				panic(compileError(pos, "%s: ip is not the INT3's address here", exprString(x)))
			}
			return h.emit(pos, model.Op{Code: model.OpHAddrNe}), false, false
		}
	}
	if v, ok := h.constant(x, env); ok {
		return 0, true, v != 0
	}
	panic(compileError(pos, "%s: not a condition of the handler's language (docs/language.md)", exprString(x)))
}

// switchStmt compiles switch (tpl->opcode): a test per case value, each
// body running into the next (C's fall-through), break to the rest.
func (h *hc) switchStmt(s *lang.Switch, rest []lang.Stmt, k [][]lang.Stmt, env henv) {
	m, ok := s.Tag.(*lang.Member)
	if !ok || !isIdent(m.X, "tpl") || m.Name != "opcode" {
		panic(compileError(s.Pos, "%s: the handler switches on tpl->opcode only", int3Handler))
	}
	h.needTpl(s.Pos, env)
	after := append([][]lang.Stmt{rest}, k...)
	var tests [][]int // per case, its tests' ops
	def := -1
	for ci, cs := range s.Cases {
		if len(cs.Values) == 0 {
			def = ci
		}
		var ts []int
		for _, v := range cs.Values {
			lo, hi := v, v
			if b, ok := v.(*lang.Binary); ok && b.Op == "..." {
				lo, hi = b.X, b.Y
			}
			a, ok1 := h.constant(lo, env)
			b, ok2 := h.constant(hi, env)
			if !ok1 || !ok2 {
				panic(compileError(lang.ExprPos(v), "%s: case %s: not a constant", int3Handler, exprString(v)))
			}
			ts = append(ts, h.emit(lang.ExprPos(v), model.Op{Code: model.OpHOpcode, A: a, B: b}))
		}
		tests = append(tests, ts)
	}
	none := h.emit(s.Pos, model.Op{Code: model.OpJump})
	body := func(ci int) {
		var stmts []lang.Stmt
		for _, cs := range s.Cases[ci:] {
			stmts = append(stmts, cs.Body...)
		}
		e := env.clone()
		e.brk = after
		h.block(stmts, after, e)
	}
	if def < 0 {
		h.ops[none].Label = len(h.ops)
		h.block(nil, after, env.clone())
	}
	for ci := range s.Cases {
		for _, t := range tests[ci] {
			h.ops[t].Label = len(h.ops)
		}
		if ci == def {
			h.ops[none].Label = len(h.ops)
		}
		body(ci)
	}
}

// exprStmt compiles a call or an assignment; it reports whether the path
// ends there (BUG()).
func (h *hc) exprStmt(x lang.Expr, env *henv) bool {
	pos := lang.ExprPos(x)
	switch s := x.(type) {
	case *lang.Call:
		switch s.Fun {
		case "smp_rmb", "smp_mb__before_atomic", "barrier":
			return false
		case "BUG":
			h.emit(pos, model.Op{Code: model.OpHBug})
			return true
		case "put_text_poke_array":
			h.emit(pos, model.Op{Code: model.OpHPut})
			return false
		case "int3_emulate_ret", "int3_emulate_call", "int3_emulate_jmp", "int3_emulate_jcc":
			h.needTpl(pos, *env)
			kind := map[string]int{"int3_emulate_ret": model.HEmulRet, "int3_emulate_call": model.HEmulCall,
				"int3_emulate_jmp": model.HEmulJmp, "int3_emulate_jcc": model.HEmulJcc}[s.Fun]
			h.emit(pos, model.Op{Code: model.OpHEmulate, A: kind})
			return false
		}
	case *lang.Assign:
		switch {
		case isIdent(s.L, "tpl") && s.Op == "=":
			switch {
			case isCall(s.R, "__inline_bsearch", "ip"):
				h.emit(pos, model.Op{Code: model.OpHBsearch})
				env.tpl = 1
				return false
			case isMember(s.R, "text_poke_array", "vec"):
				h.emit(pos, model.Op{Code: model.OpHFirst})
				env.tpl = 1
				return false
			}
		case isIdent(s.L, "ip") && s.Op == "=" && isRegsIPMinus1(s.R):
			env.ip = 1
			return false
		case isIdent(s.L, "ip") && s.Op == "+=" && isMember(s.R, "tpl", "len"):
			h.needTpl(pos, *env)
			if env.ip != 1 {
				panic(compileError(pos, "%s: ip += tpl->len twice", int3Handler))
			}
			env.ip = 2
			return false
		case isMember(s.L, "regs", "ip") && s.Op == "=":
			r := s.R
			if c, ok := r.(*lang.Cast); ok {
				r = c.X
			}
			if !isIdent(r, "ip") || env.ip == 0 {
				panic(compileError(pos, "%s: regs->ip is set to ip", int3Handler))
			}
			h.emit(pos, model.Op{Code: model.OpHSetIP, A: env.ip - 1})
			return false
		default:
			if id, ok := s.L.(*lang.Ident); ok && s.Op == "=" {
				if v, ok := h.constant(s.R, *env); ok {
					env.ints[id.Name] = v
					return false
				}
			}
		}
	}
	panic(compileError(pos, "%s: %s is not part of the handler's language (docs/language.md)", int3Handler, exprString(x)))
}

// constant evaluates x from the model files' constants and the path's
// integer locals.
func (h *hc) constant(x lang.Expr, env henv) (int, bool) {
	m := make(map[string]int, len(h.consts)+len(env.ints))
	for k, v := range h.consts {
		m[k] = v
	}
	for k, v := range env.ints {
		m[k] = v
	}
	return constExpr(x, m)
}

func (h *hc) needTpl(pos lang.Pos, env henv) {
	if env.tpl == 0 {
		panic(compileError(pos, "%s: tpl is read before it is set", int3Handler))
	}
}

// isCall reports whether x is a call of fun whose first argument is the
// identifier arg.
func isCall(x lang.Expr, fun, arg string) bool {
	c, ok := x.(*lang.Call)
	return ok && c.Fun == fun && len(c.Args) > 0 && isIdent(c.Args[0], arg)
}

// isRegsIPMinus1 reports whether x is (void *) regs->ip - INT3_INSN_SIZE.
func isRegsIPMinus1(x lang.Expr) bool {
	b, ok := x.(*lang.Binary)
	if !ok || b.Op != "-" || !isIdent(b.Y, "INT3_INSN_SIZE") {
		return false
	}
	l := b.X
	if c, ok := l.(*lang.Cast); ok {
		l = c.X
	}
	return isMember(l, "regs", "ip")
}

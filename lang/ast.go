// Package lang reads patchcheck's model language: a small subset of
// kernel C in which the kernel's code-patching functions are written as
// model source (docs/language.md). It parses model files into syntax
// trees and applies unified diffs to them; kernel/ compiles the trees onto
// the machine's thread operations.
package lang

import "fmt"

// Pos is a position in a model file: 1-based line and column (a column
// counts bytes; a tab is one column).
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	if p.File == "" {
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is an error in a model file or a diff, at a position.
type Error struct {
	Pos Pos
	Msg string
}

// Error renders e as "file:line:col: msg".
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// File is one parsed model file.
type File struct {
	Name  string // as given to Parse, such as "kernel/static_call_inline.c"
	Funcs []*Func
	// Consts are the file's constant byte arrays, static const u8
	// NAME[] = { ... };, such as x86's tramp_ud.
	Consts []*Const
	// Enums are the file's enumerations, enum NAME { A = 0, B, ... };,
	// such as x86's enum insn_type.
	Enums []*Enum
	// Defines are the file's constants, #define NAME VALUE on one line,
	// such as x86's #define INT3_INSN_OPCODE 0xCC, and its names without
	// a value (#define NAME).
	Defines []*Define
	// Structs are the file's struct definitions, struct NAME { ... };,
	// such as x86's struct jump_label_patch: the fields a compound
	// literal of the type may set.
	Structs []*Struct
	// Vars are the file's struct variables at top level with a
	// designated initialiser, such as kernel/jump_label.c's static
	// struct notifier_block jump_label_module_nb = { .notifier_call =
	// jump_label_module_notify, ... };: what a call through one of their
	// fields (jump_label_module_nb.notifier_call(...)) calls.
	Vars []*Var
	// Macros are the file's function-like macros of assembler text,
	// such as x86's __ARCH_DEFINE_STATIC_CALL_TRAMP(name, insns)
	// (docs/language.md, "Assembler text").
	Macros []*Macro
}

// Var is a struct variable at top level: TYPE NAME = { .field = X, ... };.
type Var struct {
	Pos  Pos
	Name string
	Type Type
	Init *Composite
}

// Struct is a struct definition at top level.
type Struct struct {
	Pos    Pos
	Name   string
	Fields []VarDecl
}

// Define is #define NAME X: an object-like macro whose X is a constant
// expression; X is nil for #define NAME, a name that only #ifdef and
// #ifndef test (Preprocess), such as HAVE_JUMP_LABEL_BATCH.
type Define struct {
	Pos  Pos
	Name string
	X    Expr
}

// Enum is an enumeration at top level; each Value's X is nil when it
// has no "= X" (one more than the value before, as in C).
type Enum struct {
	Pos    Pos
	Name   string
	Values []EnumValue
}

// EnumValue is one enumerator of an Enum.
type EnumValue struct {
	Pos  Pos
	Name string
	X    Expr
}

// Const is a constant array at top level: NAME[] = { Elems }.
type Const struct {
	Pos   Pos
	Name  string
	Elems []Expr
}

// Func is a function definition. Mirrors is the text of the
// "mirrors:" comment that must precede it: the kernel file, function and
// version it follows, such as "kernel/static_call_inline.c
// __static_call_update() v6.16".
type Func struct {
	Pos     Pos
	Name    string
	Ret     Type
	Params  []Param
	Body    *Block
	Mirrors string
	// Static is set when the definition says static: in a .c file the
	// function is visible only to the functions of its own file, and
	// another file may define a function of the same name (a header's,
	// in a .h file, is everyone's: the model files have no #include).
	Static bool
	// End is the position of the closing brace.
	End Pos
}

// Type is a C type as written: its words ("struct", "static_call_key",
// "unsigned", "long", "void", ...; qualifiers such as static, inline,
// const, __init and noinstr are dropped) and its pointer depth.
type Type struct {
	Words []string
	Ptr   int
}

// Param is a function parameter.
type Param struct {
	Pos  Pos
	Type Type
	Name string
}

// Stmt is a statement.
type Stmt interface{ stmtPos() Pos }

// Expr is an expression.
type Expr interface{ exprPos() Pos }

// Statements.
type (
	// Block is { Stmts }.
	Block struct {
		Pos   Pos
		Stmts []Stmt
	}
	// Decl declares locals of one base type: "struct static_call_site
	// *site, *stop;" or "bool init = system_state < SYSTEM_RUNNING;".
	Decl struct {
		Pos  Pos
		Vars []VarDecl
	}
	// ExprStmt is an expression statement: a call, an assignment, x++.
	ExprStmt struct {
		Pos Pos
		X   Expr
	}
	// If is if (Cond) Then [else Else].
	If struct {
		Pos  Pos
		Cond Expr
		Then Stmt
		Else Stmt // nil without else
	}
	// For is for (Init; Cond; Post) Body; each part may be nil. Init is
	// an ExprStmt or a Decl.
	For struct {
		Pos  Pos
		Init Stmt
		Cond Expr
		Post Expr
		Body Stmt
	}
	// DoWhile is do Body while (Cond);.
	DoWhile struct {
		Pos  Pos
		Body Stmt
		Cond Expr
	}
	// While is while (Cond) Body.
	While struct {
		Pos  Pos
		Cond Expr
		Body Stmt
	}
	// Switch is switch (Tag) { case V: ... default: ... }.
	Switch struct {
		Pos   Pos
		Tag   Expr
		Cases []*Case
	}
	// Goto is goto Label.
	Goto struct {
		Pos   Pos
		Label string
	}
	// Guard is the kernel's scope-based lock, guard(Class)(Args): the
	// lock is taken here and released where the enclosing block ends
	// (include/linux/cleanup.h).
	Guard struct {
		Pos   Pos
		Class string
		Args  []Expr
	}
	// ScopedGuard is scoped_guard(Class, Args) Body: the lock is held
	// for Body.
	ScopedGuard struct {
		Pos   Pos
		Class string
		Args  []Expr
		Body  Stmt
	}
	// Labeled is Label: Stmt.
	Labeled struct {
		Pos   Pos
		Label string
		Stmt  Stmt
	}
	// Return is return [X].
	Return struct {
		Pos Pos
		X   Expr // nil for a plain return
	}
	// Break is break.
	Break struct{ Pos Pos }
	// Continue is continue.
	Continue struct{ Pos Pos }
	// Empty is ";".
	Empty struct{ Pos Pos }
)

// VarDecl is one declared local: its type (the base type with this
// declarator's stars), name and optional initialiser.
type VarDecl struct {
	Pos  Pos
	Type Type
	Name string
	Init Expr // nil without "= X"
	// Len is an array local's length (u8 buf[6]), nil for a scalar.
	Len Expr
}

// Case is one case of a switch: Values is empty for default; a GNU C
// case range "case A ... B:" is a Binary of Op "...". Body runs
// into the next case unless it ends in break (as in C).
type Case struct {
	Pos    Pos
	Values []Expr
	Body   []Stmt
}

// Expressions.
type (
	// Ident is a name: a local, a parameter, a global or a constant.
	Ident struct {
		Pos  Pos
		Name string
	}
	// Int is an integer literal (decimal, hex or octal).
	Int struct {
		Pos   Pos
		Value uint64
		Text  string
	}
	// String is a string literal (used in WARN_ONCE and pr_* messages),
	// with the quotes removed and escapes kept as written.
	String struct {
		Pos   Pos
		Value string
	}
	// Call is Fun(Args). A call through a function pointer field,
	// X.F(Args) or X->F(Args), has Via set to the member expression and
	// Fun to the field's name F.
	Call struct {
		Pos  Pos
		Fun  string
		Args []Expr
		Via  *Member
	}
	// Member is X->Name (Arrow) or X.Name.
	Member struct {
		Pos   Pos
		X     Expr
		Name  string
		Arrow bool
	}
	// Index is X[I].
	Index struct {
		Pos  Pos
		X, I Expr
	}
	// Unary is Op X for Op one of ! - ~ & * (prefix ++ and -- are
	// IncDec).
	Unary struct {
		Pos Pos
		Op  string
		X   Expr
	}
	// Binary is X Op Y for Op one of || && | ^ & == != < <= > >= << >> +
	// - * / %, and in for clauses the comma operator ",".
	Binary struct {
		Pos  Pos
		Op   string
		X, Y Expr
	}
	// Cond is X ? Y : Z; Y is nil in GNU C's X ? : Z (X when it holds).
	Cond struct {
		Pos     Pos
		X, Y, Z Expr
	}
	// Assign is L Op R for Op one of = |= &= += -=.
	Assign struct {
		Pos  Pos
		Op   string
		L, R Expr
	}
	// IncDec is X++ or X-- (Post), ++X or --X.
	IncDec struct {
		Pos  Pos
		X    Expr
		Op   string // "++" or "--"
		Post bool
	}
	// Cast is (Type)X.
	Cast struct {
		Pos  Pos
		Type Type
		X    Expr
	}
	// Composite is a compound literal (struct T){ .field = X, ... }.
	Composite struct {
		Pos    Pos
		Type   Type
		Fields []FieldInit
	}
	// SizeOf is sizeof(X) or sizeof(Type): kept as written, never
	// evaluated beyond what the compiler allows.
	SizeOf struct {
		Pos  Pos
		Type *Type
		X    Expr
	}
)

// FieldInit is ".Name = X" in a compound literal.
type FieldInit struct {
	Pos  Pos
	Name string
	X    Expr
}

func (s *Block) stmtPos() Pos    { return s.Pos }
func (s *Decl) stmtPos() Pos     { return s.Pos }
func (s *ExprStmt) stmtPos() Pos { return s.Pos }
func (s *If) stmtPos() Pos       { return s.Pos }
func (s *For) stmtPos() Pos      { return s.Pos }
func (s *While) stmtPos() Pos    { return s.Pos }
func (s *DoWhile) stmtPos() Pos  { return s.Pos }
func (s *Switch) stmtPos() Pos   { return s.Pos }
func (s *Goto) stmtPos() Pos     { return s.Pos }
func (s *Labeled) stmtPos() Pos  { return s.Pos }
func (s *Guard) stmtPos() Pos    { return s.Pos }
func (s *ScopedGuard) stmtPos() Pos {
	return s.Pos
}
func (s *Return) stmtPos() Pos   { return s.Pos }
func (s *Break) stmtPos() Pos    { return s.Pos }
func (s *Continue) stmtPos() Pos { return s.Pos }
func (s *Empty) stmtPos() Pos    { return s.Pos }

func (x *Ident) exprPos() Pos     { return x.Pos }
func (x *Int) exprPos() Pos       { return x.Pos }
func (x *String) exprPos() Pos    { return x.Pos }
func (x *Call) exprPos() Pos      { return x.Pos }
func (x *Member) exprPos() Pos    { return x.Pos }
func (x *Index) exprPos() Pos     { return x.Pos }
func (x *Unary) exprPos() Pos     { return x.Pos }
func (x *Binary) exprPos() Pos    { return x.Pos }
func (x *Cond) exprPos() Pos      { return x.Pos }
func (x *Assign) exprPos() Pos    { return x.Pos }
func (x *IncDec) exprPos() Pos    { return x.Pos }
func (x *Cast) exprPos() Pos      { return x.Pos }
func (x *Composite) exprPos() Pos { return x.Pos }
func (x *SizeOf) exprPos() Pos    { return x.Pos }

// StmtPos returns the position of a statement.
func StmtPos(s Stmt) Pos { return s.stmtPos() }

// ExprPos returns the position of an expression.
func ExprPos(x Expr) Pos { return x.exprPos() }

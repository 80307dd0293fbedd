package lang

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// ApplyDiff applies the unified diff diff (git's format or plain "diff
// -u", one or several files) to the model files files, keyed by path such
// as "kernel/static_call_inline.c", and returns the patched set as a new
// map; files is not modified. diffName names the diff in errors.
//
// A diff may modify, create, delete, rename or copy files. Hunks must
// apply exactly where their headers say: there is no fuzz and no offset.
// In a plain diff, a leading "a/" or "b/" (or "./") of a path is
// dropped; in a git diff, git's prefixes are.
//
// Errors are *Error positioned in the diff: at the header of the hunk
// that does not apply, at the header of a file that cannot be changed
// (not a model file; created but already present), or at a syntax error.
// A diff that changes no file is an error.
func ApplyDiff(files map[string][]byte, diffName string, diff []byte) (map[string][]byte, error) {
	parsed, _, err := gitdiff.Parse(bytes.NewReader(diff))
	if err != nil {
		return nil, diffSyntaxError(diffName, err)
	}
	if len(parsed) == 0 {
		return nil, &Error{Pos{diffName, 1, 1}, "the diff changes no file: expected \"diff --git\" or \"---\" and \"+++\" file headers followed by hunks"}
	}
	locs := locate(diff, parsed)
	out := make(map[string][]byte, len(files))
	for name, src := range files {
		out[name] = bytes.Clone(src)
	}
	for i, f := range parsed {
		if err := applyFile(out, diffName, f, locs[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fileLoc is where a file's changes are in the diff.
type fileLoc struct {
	line  int  // the line of its header ("diff --git" or "---")
	plain bool // a plain diff's header ("---" and "+++"), not git's
	hunks []hunkLoc
}

// hunkLoc is where a hunk is in the diff.
type hunkLoc struct {
	line   int    // the line of its "@@" header
	header string // "@@ -150,7 +150,6 @@" as written
}

// locate finds the lines of the file and hunk headers of parsed in diff,
// following gitdiff's reading of it: a file header is "diff --git", or
// "---" then "+++" then "@@ -"; a hunk is its "@@ -" header and the
// lines its counts say.
func locate(diff []byte, parsed []*gitdiff.File) []fileLoc {
	lines := strings.SplitAfter(string(diff), "\n")
	at := func(i int) string {
		if i < len(lines) {
			return lines[i]
		}
		return ""
	}
	lineNo := func(i int) int { return min(i, len(lines)-1) + 1 }
	locs := make([]fileLoc, len(parsed))
	i := 0
	for fi, f := range parsed {
		for i < len(lines) {
			l := lines[i]
			if strings.HasPrefix(l, "diff --git ") {
				break
			}
			if strings.HasPrefix(l, "--- ") && strings.HasPrefix(at(i+1), "+++ ") && strings.HasPrefix(at(i+2), "@@ -") {
				locs[fi].plain = true
				break
			}
			i++
		}
		locs[fi].line = lineNo(i)
		i++
		for _, frag := range f.TextFragments {
			for i < len(lines) && !strings.HasPrefix(lines[i], "@@ -") {
				i++
			}
			h := hunkLoc{line: lineNo(i), header: frag.Header()}
			if l := at(i); strings.HasPrefix(l, "@@ -") {
				if end := strings.Index(l[4:], " @@"); end >= 0 {
					h.header = l[:4+end+3]
				}
			}
			locs[fi].hunks = append(locs[fi].hunks, h)
			i++
			old, new := frag.OldLines, frag.NewLines
			for (old > 0 || new > 0) && i < len(lines) {
				switch l := lines[i]; {
				case l == "":
				case l[0] == ' ' || l[0] == '\n':
					old--
					new--
				case l[0] == '-':
					old--
				case l[0] == '+':
					new--
				}
				i++
			}
			if l := at(i); len(l) >= 12 && l[:2] == "\\ " {
				i++
			}
		}
	}
	return locs
}

// diffSyntaxError converts gitdiff's parse error, "gitdiff: line N:
// msg", to an *Error at line N of the diff.
func diffSyntaxError(diffName string, err error) *Error {
	msg := err.Error()
	line := 1
	if rest, ok := strings.CutPrefix(msg, "gitdiff: line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if v, err := strconv.Atoi(n); err == nil {
				line, msg = max(v, 1), after
			}
		}
	}
	return &Error{Pos{diffName, line, 1}, "malformed diff: " + msg}
}

// applyFile applies the changes of one file of a diff to out.
func applyFile(out map[string][]byte, diffName string, f *gitdiff.File, loc fileLoc) error {
	at := func(line int, format string, args ...any) error {
		return &Error{Pos{diffName, line, 1}, fmt.Sprintf(format, args...)}
	}
	clean := func(name string) string {
		if loc.plain {
			name = strings.TrimPrefix(name, "./")
			if strings.HasPrefix(name, "a/") || strings.HasPrefix(name, "b/") {
				name = name[2:]
			}
		}
		return name
	}
	if f.IsBinary {
		return at(loc.line, "%s: binary patches are not part of model diffs", clean(f.NewName))
	}
	var src []byte
	oldName, newName := clean(f.OldName), clean(f.NewName)
	if f.IsNew {
		if _, ok := out[newName]; ok {
			return at(loc.line, "%s: the diff creates it, but it already exists", newName)
		}
	} else {
		s, ok := out[oldName]
		if !ok {
			return at(loc.line, "%s: the diff changes a file that is not among the model files", oldName)
		}
		src = s
		if f.IsDelete && len(f.TextFragments) == 0 && len(src) > 0 {
			return at(loc.line, "%s: the diff deletes it without giving its lines", oldName)
		}
	}
	target := newName
	if !f.IsNew {
		target = oldName
	}
	var dst bytes.Buffer
	ap := gitdiff.NewTextApplier(&dst, bytes.NewReader(src))
	for k, frag := range f.TextFragments {
		if err := ap.ApplyFragment(frag); err != nil {
			h := loc.hunks[k]
			return at(h.line, "%s: hunk %s does not apply: %s", target, h.header, whyNot(src, frag, err))
		}
	}
	if err := ap.Close(); err != nil {
		return at(loc.line, "%s: %v", target, err)
	}
	switch {
	case f.IsDelete:
		delete(out, oldName)
	case f.IsRename || f.IsCopy:
		if _, ok := out[newName]; ok && newName != oldName {
			return at(loc.line, "%s: the diff renames or copies %s to it, but it already exists", newName, oldName)
		}
		if f.IsRename {
			delete(out, oldName)
		}
		out[newName] = dst.Bytes()
	default:
		out[target] = dst.Bytes()
	}
	return nil
}

// whyNot says why frag does not apply to src; err is the applier's
// error.
func whyNot(src []byte, frag *gitdiff.TextFragment, err error) string {
	lines := strings.SplitAfter(string(src), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	n := max(frag.OldPosition, 1)
	for _, l := range frag.Lines {
		if !l.Old() {
			continue
		}
		want := strconv.Quote(strings.TrimSuffix(l.Line, "\n"))
		switch {
		case n > int64(len(lines)):
			return fmt.Sprintf("line %d is past the end of the file (it has %d lines), the diff expects %s", n, len(lines), want)
		case lines[n-1] != l.Line:
			got := lines[n-1]
			if strings.TrimSuffix(got, "\n") == strings.TrimSuffix(l.Line, "\n") {
				if strings.HasSuffix(got, "\n") {
					return fmt.Sprintf("line %d ends in a newline, the diff expects none", n)
				}
				return fmt.Sprintf("line %d is the last and has no newline, the diff expects one", n)
			}
			return fmt.Sprintf("line %d is %s, the diff expects %s", n, strconv.Quote(strings.TrimSuffix(got, "\n")), want)
		}
		n++
	}
	if frag.NewPosition == 0 && frag.NewLines == 0 && n <= int64(len(lines)) {
		return fmt.Sprintf("it deletes the whole file, but the file goes on: line %d is %s", n, strconv.Quote(strings.TrimSuffix(lines[n-1], "\n")))
	}
	msg := err.Error()
	if errors.Is(err, &gitdiff.Conflict{}) {
		msg = strings.TrimPrefix(msg, "conflict: ")
	}
	switch msg {
	case "fragment overlaps with an applied fragment":
		return "it overlaps the hunk before it (hunks must be in order and must not overlap)"
	case "cannot create new file from non-empty src":
		return "it creates the file, but the file is not empty"
	}
	return msg
}

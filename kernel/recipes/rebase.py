#!/usr/bin/env python3
# Rebases built-in variant diffs onto changed model files: each hunk of
# kernel/variants/NAME.diff is read as a substitution (its context and '-'
# lines -> its context and '+' lines), applied once to the current model
# file, and the diff regenerated with diff -u (the description lines kept).
# Usage: rebase.py KERNEL_DIR NAME... (e.g. kernel lis-addi data-after-nop)
import subprocess, os, sys, tempfile, shutil
root, names = sys.argv[1], sys.argv[2:]

def parse(diff):
    lines = diff.split('\n')
    head, files, cur, hunk, i = [], {}, None, None, 0
    while i < len(lines) and not lines[i].startswith('diff ') and not lines[i].startswith('--- '):
        head.append(lines[i]); i += 1
    for l in lines[i:]:
        if l.startswith('diff ') or l.startswith('--- '):
            hunk = None; continue
        if l.startswith('+++ b/'):
            cur = l[6:]; files.setdefault(cur, []); hunk = None; continue
        if l.startswith('@@'):
            hunk = ([], []); files[cur].append(hunk); continue
        if hunk is None:
            continue
        if l.startswith(' '):
            hunk[0].append(l[1:]); hunk[1].append(l[1:])
        elif l.startswith('-'): hunk[0].append(l[1:])
        elif l.startswith('+'): hunk[1].append(l[1:])
    while head and head[-1] == '': head.pop()
    return head, files

for name in names:
    path = os.path.join(root, 'variants', name + '.diff')
    head, files = parse(open(path).read())
    tmp = tempfile.mkdtemp()
    out = head + ['']
    for f, hunks in sorted(files.items()):
        t = open(os.path.join(root, 'src', f)).read()
        n = t
        for old, new in hunks:
            o, w = '\n'.join(old) + '\n', '\n'.join(new) + '\n'
            assert n.count(o) == 1, (name, f, o, n.count(o))
            n = n.replace(o, w)
        a, b = os.path.join(tmp, 'a'), os.path.join(tmp, 'b')
        for d, txt in ((a, t), (b, n)):
            os.makedirs(os.path.dirname(os.path.join(d, f)), exist_ok=True)
            open(os.path.join(d, f), 'w').write(txt)
        r = subprocess.run(['diff', '-u', '--label', 'a/' + f, '--label', 'b/' + f,
                            os.path.join(a, f), os.path.join(b, f)], capture_output=True, text=True)
        out.append('diff -ru a/%s b/%s' % (f, f))
        out.append(r.stdout.rstrip('\n'))
    open(path, 'w').write('\n'.join(out) + '\n')
    shutil.rmtree(tmp)
print('ok')

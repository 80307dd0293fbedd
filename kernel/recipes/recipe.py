"""What every recipe shares: the kernel directory, reading a model file,
an exact edit, and writing each variant's diff (kernel/recipes/README.md)."""
import os, shutil, subprocess, sys, tempfile

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def rd(p):
    """The built-in model file p (a path under kernel/src)."""
    return open(os.path.join(root, 'src', p)).read()


def sub(text, old, new):
    """text with old, which must stand in it exactly once, made new."""
    assert text.count(old) == 1, (old, text.count(old))
    return text.replace(old, new)


def write_variants(V):
    """Writes kernel/variants/NAME.diff for each NAME: (doc, {path: [(old, new), ...]})
    of V: the doc line, then a unified diff per edited file."""
    tmp = tempfile.mkdtemp()
    for name, (doc, edits) in V.items():
        a = os.path.join(tmp, name, 'a'); b = os.path.join(tmp, name, 'b')
        out = [doc, '']
        for path, subs in sorted(edits.items()):
            t = rd(path)
            n = t
            for old, new in subs:
                n = sub(n, old, new)
            for d, txt in ((a, t), (b, n)):
                os.makedirs(os.path.dirname(os.path.join(d, path)), exist_ok=True)
                open(os.path.join(d, path), 'w').write(txt)
            r = subprocess.run(['diff', '-u', '--label', 'a/'+path, '--label', 'b/'+path,
                                os.path.join(a, path), os.path.join(b, path)], capture_output=True, text=True)
            out.append('diff -ru a/%s b/%s' % (path, path))
            out.append(r.stdout.rstrip('\n'))
        open(os.path.join(root, 'variants', name + '.diff'), 'w').write('\n'.join(out) + '\n')
    shutil.rmtree(tmp)
    print('ok')

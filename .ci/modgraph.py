#!/usr/bin/env python3
"""File-level import graph of a Rust crate: `use crate::a::b`, `super::x`, `crate::a::b::c` paths.
Prints cycles (SCCs of size>1) and layer violations."""
import os, re, sys
root = sys.argv[1] if len(sys.argv) > 1 else 'src'
files = {}
for d, _, fs in os.walk(root):
    for f in fs:
        if f.endswith('.rs'):
            p = os.path.join(d, f)
            rel = os.path.relpath(p, root)[:-3]
            parts = rel.split('/')
            if parts[-1] in ('mod', 'lib', 'main'):
                parts = parts[:-1]
            files['::'.join(parts)] = p
mods = set(files)
def resolve(path):
    # longest prefix that is a module file
    segs = path.split('::')
    for i in range(len(segs), 0, -1):
        m = '::'.join(segs[:i])
        if m in mods:
            return m
    return None
edges = {m: set() for m in mods}
for m, p in files.items():
    src = open(p).read()
    # drop test modules
    idx = src.find('#[cfg(test)]')
    if idx >= 0:
        src = src[:idx]
    # expand use groups crudely: find crate:: and super:: paths
    me = m.split('::') if m else []
    is_modfile = os.path.basename(p) in ('mod.rs', 'lib.rs', 'main.rs')
    for mt in re.finditer(r'\b(crate|super(?:::super)*|self)::([A-Za-z_][\w:]*(?:::\{[^;]*?\})?)', src):
        kind, rest = mt.group(1), mt.group(2)
        if kind == 'crate':
            base = []
        elif kind == 'self':
            base = list(me) if is_modfile else me[:-1]
        else:
            n = kind.count('super')
            base = (list(me) if is_modfile else me[:-1])
            base = base[:len(base) - n + (0)] if n else base
            # super from file a/b.rs refers to module a; from a/b/mod.rs refers to a
            base = (me[:-1] if not is_modfile else me[:-1])
            for _ in range(n - 1):
                base = base[:-1]
        # handle group {a, b::c}
        g = re.match(r'([\w:]*?)::?\{(.*)\}$', rest, re.S)
        targets = []
        if g:
            pre = [s for s in g.group(1).split('::') if s]
            for item in re.split(r',', g.group(2)):
                item = item.strip().split(' as ')[0].strip()
                item = re.sub(r'\{.*', '', item)
                if item:
                    targets.append(base + pre + [s for s in item.split('::') if s])
        else:
            targets.append(base + [s for s in rest.split('::') if s])
        for t in targets:
            r = resolve('::'.join(t))
            if r is not None and r != m and not m.startswith(r + '::') and r != '':
                # ignore parent mod re-exports: edge to parent module file only if it's a file
                edges[m].add(r)
# tarjan
index = {}; low = {}; st = []; on = set(); sccs = []; c = [0]
sys.setrecursionlimit(10000)
def sc(v):
    index[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
    for w in edges[v]:
        if w not in index:
            sc(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = st.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: sccs.append(comp)
for v in mods:
    if v not in index: sc(v)
print("cycles:", len(sccs))
for s in sccs:
    print("  ", sorted(s))
if '--edges' in sys.argv:
    for m in sorted(edges):
        print(m or '<root>', '->', sorted(edges[m]))

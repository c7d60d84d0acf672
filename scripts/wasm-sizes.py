#!/usr/bin/env python3
"""Lists the biggest functions of a .wasm file by body size, grouped by crate (from the
name section). Usage: scripts/wasm-sizes.py file.wasm [top]. For bundle-size work only."""
import sys, re, collections

def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7f) << s; s += 7
        if x < 0x80: return r, i

def main():
    data = open(sys.argv[1], 'rb').read()
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    i = 8; imports = 0; bodies = []; names = {}
    while i < len(data):
        sid = data[i]; i += 1
        size, i = leb(data, i); end = i + size
        if sid == 2:
            n, j = leb(data, i)
            for _ in range(n):
                l, j = leb(data, j); j += l
                l, j = leb(data, j); j += l
                kind = data[j]; j += 1
                if kind == 0: _, j = leb(data, j); imports += 1
                elif kind == 1: j += 1; fl, j = leb(data, j); _, j = leb(data, j); j = leb(data, j)[1] if fl & 1 else j
                elif kind == 2: fl, j = leb(data, j); _, j = leb(data, j); j = leb(data, j)[1] if fl & 1 else j
                elif kind == 3: j += 2
        elif sid == 10:
            n, j = leb(data, i)
            for _ in range(n):
                l, j = leb(data, j); bodies.append(l); j += l
        elif sid == 0:
            l, j = leb(data, i); nm = data[j:j+l].decode(); j += l
            if nm == 'name':
                while j < end:
                    sub = data[j]; j += 1
                    sl, j = leb(data, j); se = j + sl
                    if sub == 1:
                        n, k = leb(data, j)
                        for _ in range(n):
                            idx, k = leb(data, k); l, k = leb(data, k)
                            names[idx] = data[k:k+l].decode('utf-8', 'replace'); k += l
                    j = se
        i = end
    total = sum(bodies)
    rows = [(sz, names.get(imports + k, f'func{imports+k}')) for k, sz in enumerate(bodies)]
    by_crate = collections.Counter()
    for sz, nm in rows:
        m = re.search(r'(?:_ZN|<)?\d*([a-z_][a-z0-9_]*)(?:\.\.|::|17h)', nm)
        crate = m.group(1) if m else nm[:20]
        by_crate[crate] += sz
    print(f'code total {total} bytes in {len(bodies)} functions; file {len(data)} bytes')
    for c, sz in by_crate.most_common(25): print(f'{sz:8d}  {c}')
    print('--')
    for sz, nm in sorted(rows, reverse=True)[:top]: print(f'{sz:8d}  {nm[:150]}')

main()

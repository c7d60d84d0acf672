// Shrinks what wasm-bindgen leaves in a release dist/ (run by scripts/lib.sh's release_build,
// before the .gz files are written): `node scripts/shrink-glue.mjs DIR`.
//
// 1. Import names. wasm-bindgen names every JS function the wasm imports after the Rust item
//    plus a 16-hex-digit hash (`__wbg_addEventListener_f2d27251d333a631`), and each name is
//    written twice: in the wasm's import section and as a key of the glue's import object.
//    The hashes do not compress. Each such import is renamed to a short name (`a`, `b`, ... )
//    in both files. A name is renamed only when the glue contains it exactly once, as an
//    identifier: anything else is left as it was.
// 2. The main glue (an ES module Trunk copies as wasm-bindgen wrote it) is minified with
//    terser, installed into .tools/ like binaryen. Without terser this step is skipped, with a
//    message.
// 3. The wasm's functions are put in an order that compresses better (scripts/order-functions.mjs;
//    skipped with LAYERLAB_ORDER_FUNCTIONS=0 or when it fails, with a message).
// 4. index.html's `integrity=` (sha384) attributes are updated for the files that changed.
//
// Apart from the function order, everything else in the wasm stays byte for byte. docs/benchmarks/app.md has the sizes.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { orderFunctions, uleb, encodeUleb } from './order-functions.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

// --- wasm import section ------------------------------------------------------------------

// Skips an import's descriptor (after its kind byte) and returns the index after it.
function skipDesc(b, kind, i) {
  switch (kind) {
    case 0: return uleb(b, i)[1]; // function: type index
    case 1: { // table: reftype, limits
      i += 1;
      const [flags, j] = uleb(b, i);
      i = uleb(b, j)[1];
      return flags & 1 ? uleb(b, i)[1] : i;
    }
    case 2: { // memory: limits
      const [flags, j] = uleb(b, i);
      i = uleb(b, j)[1];
      return flags & 1 ? uleb(b, i)[1] : i;
    }
    case 3: return i + 2; // global: valtype, mutability
    case 4: return uleb(b, i + 1)[1]; // tag: attribute, type index
    default: throw new Error(`unknown import kind ${kind}`);
  }
}

// The function imports of a module: [{ module, name }] in order.
export function functionImports(wasm) {
  const out = [];
  forEachImport(wasm, (mod, name, kind) => {
    if (kind === 0) out.push({ module: mod, name });
  });
  return out;
}

function forEachImport(wasm, f) {
  let i = 8;
  while (i < wasm.length) {
    const id = wasm[i];
    const [size, start] = uleb(wasm, i + 1);
    if (id === 2) {
      let [n, j] = uleb(wasm, start);
      const dec = new TextDecoder();
      for (let k = 0; k < n; k++) {
        let l;
        [l, j] = uleb(wasm, j);
        const mod = dec.decode(wasm.subarray(j, j + l));
        j += l;
        [l, j] = uleb(wasm, j);
        const name = dec.decode(wasm.subarray(j, j + l));
        j += l;
        const kind = wasm[j];
        const end = skipDesc(wasm, kind, j + 1);
        f(mod, name, kind, wasm.subarray(j, end));
        j = end;
      }
    }
    i = start + size;
  }
}

// The module with its import names replaced by `rename(module, name)` (undefined: kept).
export function renameImports(wasm, rename) {
  const enc = new TextEncoder();
  const parts = [];
  let i = 8;
  parts.push(wasm.subarray(0, 8));
  while (i < wasm.length) {
    const id = wasm[i];
    const [size, start] = uleb(wasm, i + 1);
    const end = start + size;
    if (id === 2) {
      const [n] = uleb(wasm, start);
      const body = [...encodeUleb(n)];
      forEachImport(wasm, (mod, name, kind, desc) => {
        const m = enc.encode(mod);
        const nm = enc.encode(rename(mod, name, kind) ?? name);
        body.push(...encodeUleb(m.length), ...m, ...encodeUleb(nm.length), ...nm, ...desc);
      });
      parts.push(Uint8Array.from([2, ...encodeUleb(body.length), ...body]));
    } else {
      parts.push(wasm.subarray(i, end));
    }
    i = end;
  }
  return Buffer.concat(parts);
}

// `a`..`z`, `A`..`Z`, then two letters, ...: never a JS keyword or a name with a digit first.
export function shortName(k) {
  const abc = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let s = '';
  k += 1;
  while (k > 0) {
    k -= 1;
    s = abc[k % abc.length] + s;
    k = Math.floor(k / abc.length);
  }
  // Two-letter names that are keywords: `do`, `if`, `in`.
  return ['do', 'if', 'in'].includes(s) ? `${s}_` : s;
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// Renames the glue's hashed imports in `wasm` and `js`; returns both and the count.
export function shrinkImports(wasm, js) {
  const map = new Map();
  let taken = 0;
  for (const { name } of functionImports(wasm)) {
    if (map.has(name) || !/^[A-Za-z_$][\w$]*$/.test(name)) continue;
    const re = new RegExp(`(?<![\\w$])${escapeRe(name)}(?![\\w$])`, 'g');
    const hits = js.match(re);
    if (!hits || hits.length !== 1) continue;
    let short;
    do short = shortName(taken++);
    while (new RegExp(`(?<![\\w$])${short}\\s*:`).test(js));
    map.set(name, short);
    js = js.replace(re, short);
  }
  const out = renameImports(wasm, (_m, name, kind) => (kind === 0 ? map.get(name) : undefined));
  return { wasm: out, js, renamed: map.size };
}

// --- the dist/ directory --------------------------------------------------------------------

async function loadTerser() {
  try {
    const req = createRequire(join(repo, '.tools', 'package.json'));
    return req('terser');
  } catch {
    return null;
  }
}

// The wasm with its functions reordered (see order-functions.mjs), with the wasm-opt the build
// installed into .tools/ (or the one on PATH); unchanged when switched off or on failure.
function reorder(name, wasm) {
  if (process.env.LAYERLAB_ORDER_FUNCTIONS === '0') return wasm;
  const local = join(repo, '.tools', 'node_modules', '.bin', 'wasm-opt');
  try {
    const t0 = Date.now();
    const out = orderFunctions(wasm, existsSync(local) ? local : 'wasm-opt');
    console.error(`shrink-glue: ${name}: functions reordered for compression (${Date.now() - t0} ms)`);
    return out;
  } catch (e) {
    console.error(`shrink-glue: ${name}: function order left as it was: ${e.message}`);
    return wasm;
  }
}

function sri(bytes) {
  return `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
}

async function main(dir) {
  const terser = await loadTerser();
  const html = join(dir, 'index.html');
  let index = existsSync(html) ? readFileSync(html, 'utf8') : null;
  const changed = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('_bg.wasm')) continue;
    const jsFile = join(dir, f.replace(/_bg\.wasm$/, '.js'));
    if (!existsSync(jsFile)) continue;
    const wasmFile = join(dir, f);
    const wasm0 = readFileSync(wasmFile);
    const js0 = readFileSync(jsFile, 'utf8');
    const shrunk = shrinkImports(wasm0, js0);
    const { js, renamed } = shrunk;
    const wasm = reorder(f, shrunk.wasm);
    let out = js;
    // Trunk already minifies the worker's glue (a classic script); the main glue is a module.
    const isModule = /^\s*export\s/m.test(js);
    if (isModule && terser) {
      const r = await terser.minify(js, { module: true, compress: true, mangle: true });
      out = r.code;
    } else if (isModule) {
      console.error('shrink-glue: terser is not installed in .tools/: the glue stays unminified');
    }
    writeFileSync(wasmFile, wasm);
    writeFileSync(jsFile, out);
    changed.push([wasmFile, wasm0, wasm], [jsFile, Buffer.from(js0), Buffer.from(out)]);
    console.error(
      `shrink-glue: ${f}: ${renamed} imports renamed, wasm ${wasm0.length} -> ${wasm.length} B, ` +
        `glue ${js0.length} -> ${out.length} B`,
    );
  }
  if (index) {
    for (const [, before, after] of changed) {
      index = index.split(sri(before)).join(sri(after));
    }
    writeFileSync(html, index);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!process.argv[2]) {
    console.error('usage: node scripts/shrink-glue.mjs DIST_DIR');
    process.exit(2);
  }
  await main(process.argv[2]);
}

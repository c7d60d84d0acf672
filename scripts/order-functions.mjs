// Reorders the functions of an optimized wasm so that gzip compresses it better:
// `node scripts/order-functions.mjs IN.wasm OUT.wasm` (scripts/shrink-glue.mjs calls
// `orderFunctions` on every wasm of a release dist/, before the .gz files are written).
//
// Why: deflate finds repeats only in the last 32 KB it has seen. rustc and wasm-opt emit
// functions roughly in the order of the crates and modules they come from, so two
// instances of the same generic, or two components' render functions, often sit far apart
// and compress as if unrelated. Placing every function after code it resembles lets the
// compressor reuse it: the playground's main wasm gets about 2.5 % smaller gzipped
// (docs/benchmarks/app.md). The code is unchanged: only the order of the function bodies
// moves, done by binaryen's `--reorder-functions-by-name` pass, which renumbers every call,
// table entry and export.
//
// The order is greedy: start with the first function; then, among the remaining functions
// most similar to the last one placed (MinHash over 8-byte windows of the body, a
// shortlist), take the one whose deflate size shrinks the most when the last 32 KB placed
// precede it (zlib with that window as preset dictionary, against the function compressed
// alone). Deterministic for a given input and zlib.

import { deflateRawSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

// LEB128 (unsigned) reader and writer, also used by shrink-glue.mjs.
export function uleb(b, i) {
  let r = 0, s = 0, x;
  do {
    x = b[i++];
    r += (x & 0x7f) * 2 ** s;
    s += 7;
  } while (x & 0x80);
  return [r, i];
}

export function encodeUleb(n) {
  const out = [];
  do {
    let x = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) x |= 0x80;
    out.push(x);
  } while (n);
  return out;
}

function skipLimits(b, i) {
  const [flags, j] = uleb(b, i);
  i = uleb(b, j)[1];
  return flags & 1 ? uleb(b, i)[1] : i;
}

// The module's sections, the number of imported functions and the defined functions'
// bodies (as subarrays, in index order).
export function readModule(bytes) {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a wasm module');
  }
  const sections = [];
  let importedFuncs = 0;
  const bodies = [];
  let i = 8;
  while (i < bytes.length) {
    const start = i;
    const id = bytes[i++];
    const [size, c] = uleb(bytes, i);
    const end = c + size;
    let name = null;
    if (id === 0) {
      const [len, j] = uleb(bytes, c);
      name = new TextDecoder().decode(bytes.subarray(j, j + len));
    } else if (id === 2) {
      let [n, j] = uleb(bytes, c);
      for (let k = 0; k < n; k++) {
        let len;
        [len, j] = uleb(bytes, j); j += len;
        [len, j] = uleb(bytes, j); j += len;
        const kind = bytes[j++];
        if (kind === 0) { j = uleb(bytes, j)[1]; importedFuncs++; }
        else if (kind === 1) j = skipLimits(bytes, j + 1);
        else if (kind === 2) j = skipLimits(bytes, j);
        else if (kind === 3) j += 2;
        else if (kind === 4) j = uleb(bytes, j + 1)[1];
        else throw new Error(`unknown import kind ${kind}`);
      }
    } else if (id === 10) {
      let [n, j] = uleb(bytes, c);
      for (let k = 0; k < n; k++) {
        let len;
        [len, j] = uleb(bytes, j);
        bodies.push(bytes.subarray(j, j + len));
        j += len;
      }
    }
    sections.push({ id, name, start, end });
    i = end;
  }
  return { sections, importedFuncs, bodies };
}

const SALTS = 48; // MinHash signature length
const SHINGLE = 8; // bytes per window
const SHORTLIST = 64; // candidates compressed per step
const WINDOW = 32768; // deflate's window

function mix(h) {
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function signatures(bodies) {
  const salts = new Uint32Array(SALTS);
  for (let k = 0; k < SALTS; k++) salts[k] = mix(0x9e3779b9 + k * 0x632be5ab);
  const sigs = new Uint32Array(bodies.length * SALTS).fill(0xffffffff);
  for (let f = 0; f < bodies.length; f++) {
    const b = bodies[f];
    const last = Math.max(0, b.length - SHINGLE);
    const seen = new Set();
    for (let i = 0; i <= last; i++) {
      let h = 0x811c9dc5;
      for (let k = i; k < Math.min(b.length, i + SHINGLE); k++) h = Math.imul(h ^ b[k], 0x01000193);
      h >>>= 0;
      if (seen.has(h)) continue;
      seen.add(h);
      for (let k = 0; k < SALTS; k++) {
        const v = mix(h ^ salts[k]);
        if (v < sigs[f * SALTS + k]) sigs[f * SALTS + k] = v;
      }
    }
  }
  return sigs;
}

// The greedy order: a permutation of 0..bodies.length.
export function chooseOrder(bodies) {
  const n = bodies.length;
  if (n < 3) return [...Array(n).keys()];
  const sigs = signatures(bodies);
  const solo = bodies.map((b) => deflateRawSync(b, { level: 9 }).length);
  const left = new Uint8Array(n).fill(1);
  const order = [0];
  left[0] = 0;
  // The bytes placed so far (only the last WINDOW are used).
  let placed = Buffer.from(bodies[0]);
  const score = new Int32Array(n);
  for (let step = 1; step < n; step++) {
    const cur = order[order.length - 1];
    // The shortlist: the most similar remaining functions (ties: lower index first).
    const cand = [];
    for (let j = 0; j < n; j++) {
      if (!left[j]) continue;
      let s = 0;
      for (let k = 0; k < SALTS; k++) if (sigs[cur * SALTS + k] === sigs[j * SALTS + k]) s++;
      score[j] = s;
      cand.push(j);
    }
    cand.sort((a, b) => score[b] - score[a] || a - b);
    cand.length = Math.min(cand.length, SHORTLIST);
    const dictionary = placed.subarray(Math.max(0, placed.length - WINDOW));
    let best = -1, bestGain = Infinity;
    for (const j of cand) {
      const gain = deflateRawSync(bodies[j], { level: 9, dictionary }).length - solo[j];
      if (gain < bestGain) { bestGain = gain; best = j; }
    }
    order.push(best);
    left[best] = 0;
    placed = Buffer.concat([placed.subarray(Math.max(0, placed.length - WINDOW)), bodies[best]]);
  }
  return order;
}

// The module with a name section that names defined function `order[r]` by its rank `r`
// (any previous name section dropped).
function withRankNames(bytes, mod, order) {
  const parts = [bytes.subarray(0, 8)];
  for (const s of mod.sections) {
    if (s.id === 0 && s.name === 'name') continue;
    parts.push(bytes.subarray(s.start, s.end));
  }
  const width = String(order.length).length;
  const entries = [];
  const byIndex = new Array(order.length);
  order.forEach((f, r) => { byIndex[f] = r; });
  for (let f = 0; f < order.length; f++) {
    const name = Buffer.from('o' + String(byIndex[f]).padStart(width, '0'));
    entries.push(Buffer.from(encodeUleb(mod.importedFuncs + f)), Buffer.from(encodeUleb(name.length)), name);
  }
  const sub = Buffer.concat([Buffer.from(encodeUleb(order.length)), ...entries]);
  const payload = Buffer.concat([
    Buffer.from([4]), Buffer.from('name'),
    Buffer.from([1]), Buffer.from(encodeUleb(sub.length)), sub,
  ]);
  parts.push(Buffer.from([0]), Buffer.from(encodeUleb(payload.length)), payload);
  return Buffer.concat(parts);
}

// The module with its functions in the chosen order (binaryen's `wasm-opt` from PATH does the
// renumbering; it must be the one the build uses). Returns the new bytes.
export function orderFunctions(bytes, wasmOpt = 'wasm-opt') {
  const mod = readModule(bytes);
  const order = chooseOrder(mod.bodies);
  const dir = mkdtempSync(join(tmpdir(), 'order-functions-'));
  try {
    const named = join(dir, 'named.wasm');
    const out = join(dir, 'out.wasm');
    writeFileSync(named, withRankNames(bytes, mod, order));
    // No optimization passes, but Stack IR optimized as -Oz writes it (a plain rewrite
    // would give back the local.get/set pairs -Oz removed at writing: +765 bytes).
    execFileSync(wasmOpt, [
      '--optimize-level=2', '--shrink-level=2', '--generate-stack-ir', '--optimize-stack-ir',
      '--reorder-functions-by-name', '--strip-debug', named, '-o', out,
    ], { stdio: 'inherit' });
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const [inp, outp] = process.argv.slice(2);
  if (!inp || !outp) {
    console.error('usage: node scripts/order-functions.mjs IN.wasm OUT.wasm');
    process.exit(2);
  }
  const before = readFileSync(inp);
  const after = orderFunctions(before);
  writeFileSync(outp, after);
  const gz = (b) => deflateRawSync(b, { level: 9 }).length;
  console.error(`${inp}: ${before.length} -> ${after.length} bytes, deflate ${gz(before)} -> ${gz(after)}`);
}

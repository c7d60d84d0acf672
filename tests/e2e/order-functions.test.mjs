// Unit tests of scripts/order-functions.mjs (the release build's function reordering): the
// reordered module computes what the original did, and similar functions end up together.
// The e2e test (app.test.mjs) then runs the whole reordered playground.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { orderFunctions, chooseOrder, readModule } from '../../scripts/order-functions.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmOpt = join(repo, '.tools', 'node_modules', '.bin', 'wasm-opt');

const leb = (n) => (n < 128 ? [n] : [(n & 0x7f) | 0x80, ...leb(n >> 7)]);
const sleb = (n) => {
  const out = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
const str = (s) => [s.length, ...Buffer.from(s)];
const section = (id, body) => [id, ...leb(body.length), ...body];

// Functions of two families, interleaved: family A adds 1000 + k, family B multiplies by
// 3 and xors 50000 + 7k, 40 times (long, alike within a family, unlike across). The last
// function calls the first A and the last B, so calls must be renumbered.
const FAMILY = ['A', 'B', 'A', 'B', 'A', 'B'];
function body(family, variant) {
  const ops = [0x20, 0]; // local.get 0
  for (let k = 0; k < 40; k++) {
    if (family === 'A') ops.push(0x41, ...sleb(1000 + k + (k === 7 ? variant : 0)), 0x6a); // i32.add
    else ops.push(0x41, 3, 0x6c, 0x41, ...sleb(50000 + 7 * k + (k === 9 ? variant : 0)), 0x73); // mul, xor
  }
  ops.push(0x0b);
  return [0, ...ops];
}
function moduleBytes() {
  const bodies = FAMILY.map((f, i) => body(f, i));
  // sum(x) = f0(x) + f5(x)
  bodies.push([0, 0x20, 0, 0x10, 0, 0x20, 0, 0x10, 5, 0x6a, 0x0b]);
  const n = bodies.length;
  const type = section(1, [1, 0x60, 1, 0x7f, 1, 0x7f]); // (i32) -> i32
  const func = section(3, [n, ...Array(n).fill(0)]);
  const exports = [n];
  for (let i = 0; i < n; i++) exports.push(...str(`f${i}`), 0, i);
  const code = [n];
  for (const b of bodies) code.push(...leb(b.length), ...b);
  return Uint8Array.from([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...type, ...func, ...section(7, exports), ...section(10, code),
  ]);
}

async function results(bytes) {
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const out = {};
  for (const [name, f] of Object.entries(instance.exports)) out[name] = [0, 1, 12345, -7].map((x) => f(x));
  return out;
}

test('the order is a permutation that puts alike functions together', () => {
  const { bodies } = readModule(moduleBytes());
  const order = chooseOrder(bodies);
  assert.deepEqual([...order].sort((a, b) => a - b), [...bodies.keys()]);
  const families = order.map((i) => FAMILY[i] ?? 'call').join('');
  // Whatever the tie-breaks, each family is one run (the caller goes anywhere).
  assert.match(families.replace('call', ''), /^(AAABBB|BBBAAA)$/, families);
});

test('the reordered module computes what the original did', async (t) => {
  if (!existsSync(wasmOpt)) {
    t.skip('no wasm-opt in .tools/ (scripts/lib.sh installs it with the release build)');
    return;
  }
  const before = moduleBytes();
  const after = orderFunctions(before, wasmOpt);
  assert.deepEqual(await results(after), await results(before));
  // The bodies really moved: function 1 (a B) no longer follows an A.
  const moved = readModule(after).bodies.map((b) => Buffer.from(b).toString('hex'));
  const orig = readModule(before).bodies.map((b) => Buffer.from(b).toString('hex'));
  assert.notDeepEqual(moved, orig);
  assert.equal(moved.slice(0, 3).every((b) => orig.filter((_, i) => FAMILY[i] === 'A').includes(b)), true, 'the three A bodies come first');
});

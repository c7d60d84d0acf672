// Unit tests of scripts/shrink-glue.mjs (the release build's import renaming): the renamed
// module must still be a valid module whose imports are exactly what the rewritten glue
// provides. The e2e test (app.test.mjs) then runs the whole shrunk playground.
import test from 'node:test';
import assert from 'node:assert/strict';
import { shrinkImports, functionImports, shortName } from '../../scripts/shrink-glue.mjs';

// A module importing three functions and a memory, and exporting a function that calls
// the first import (built by hand: the encoder is part of what is tested).
function moduleBytes(names) {
  const str = (s) => [s.length, ...Buffer.from(s)];
  const leb = (n) => (n < 128 ? [n] : [(n & 0x7f) | 0x80, ...leb(n >> 7)]);
  const section = (id, body) => [id, ...leb(body.length), ...body];
  const type = section(1, [1, 0x60, 0, 1, 0x7f]); // () -> i32
  const imports = [names.length + 1];
  for (const n of names) imports.push(...str('./glue.js'), ...str(n), 0, 0);
  imports.push(...str('env'), ...str('memory'), 2, 0, 1);
  const exp = section(7, [1, ...str('run'), 0, names.length]);
  const func = section(3, [1, 0]);
  const code = section(10, [1, 4, 0, 0x10, 0, 0x0b]); // call import 0
  return Uint8Array.from([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...type,
    ...section(2, imports),
    ...func,
    ...exp,
    ...code,
  ]);
}

const glue = `const imports = {
    __wbg_answer_0123456789abcdef: function() { return 42; },
    __wbg_other_fedcba9876543210: function() { return 1; },
    __wbg_twice_1111111111111111: function() { return 2; },
};
// __wbg_twice_1111111111111111 is named twice, so it must keep its name.
export default imports;
`;

test('renamed imports match the rewritten glue and the module still runs', async () => {
  const names = [
    '__wbg_answer_0123456789abcdef',
    '__wbg_other_fedcba9876543210',
    '__wbg_twice_1111111111111111',
  ];
  const { wasm, js, renamed } = shrinkImports(moduleBytes(names), glue);
  assert.equal(renamed, 2);
  const mod = new WebAssembly.Module(wasm);
  const got = WebAssembly.Module.imports(mod).map((i) => `${i.module}:${i.name}`);
  assert.deepEqual(got, ['./glue.js:a', './glue.js:b', './glue.js:__wbg_twice_1111111111111111', 'env:memory']);
  assert.match(js, /\ba: function\(\) \{ return 42; \}/);
  assert.doesNotMatch(js, /__wbg_answer_/);
  // Instantiate with the imports the rewritten glue defines.
  const provided = Object.fromEntries(
    [...js.matchAll(/^\s+([\w$]+): function\(\) \{ return (\d+); \}/gm)].map(([, k, v]) => [k, () => Number(v)]),
  );
  const inst = new WebAssembly.Instance(mod, {
    './glue.js': provided,
    env: { memory: new WebAssembly.Memory({ initial: 1 }) },
  });
  assert.equal(inst.exports.run(), 42);
  assert.deepEqual(functionImports(wasm).map((i) => i.name), ['a', 'b', '__wbg_twice_1111111111111111']);
});

test('short names are distinct identifiers and never keywords', () => {
  const seen = new Set();
  for (let k = 0; k < 3000; k++) {
    const s = shortName(k);
    assert.match(s, /^[A-Za-z][A-Za-z_]*$/);
    assert.ok(!['do', 'if', 'in'].includes(s), s);
    assert.ok(!seen.has(s), `${s} twice`);
    seen.add(s);
  }
});

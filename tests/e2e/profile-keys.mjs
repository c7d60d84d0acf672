// Profiling aid (not a test, not a benchmark): a Chromium CPU profile of real key presses in the
// stress scenario of bench.mjs, summed by function (self time). Point LAYERLAB_DIST at a build
// whose wasm keeps its name section (e.g. wasm-bindgen output without wasm-opt) to see Rust names.
//   node tests/e2e/profile-keys.mjs [keys=20] [top=40]
import { serveDist, launch } from './harness.mjs';
import { stressScenario } from './bench.mjs';

const keys = Number(process.argv[2] || 20);
const top = Number(process.argv[3] || 40);
const b64url = (s) => Buffer.from(s).toString('base64').replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
const server = await serveDist();
const browser = await launch();
try {
  const c = await browser.newContext();
  const pg = await c.newPage();
  await pg.goto(server.url + '#json:' + b64url(JSON.stringify(stressScenario(300))));
  await pg.waitForSelector('table.verdicts tbody tr');
  await pg.evaluate(() => {
    const ta = document.querySelector('textarea#dockerfile');
    ta.focus();
    const at = ta.value.indexOf('RUN ') + 4;
    ta.setSelectionRange(at, at);
  });
  for (let i = 0; i < 4; i++) await pg.keyboard.press(i % 2 ? 'Backspace' : 'x');
  await pg.waitForTimeout(500);
  const cdp = await c.newCDPSession(pg);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  for (let i = 0; i < keys; i++) {
    await pg.keyboard.press(i % 2 ? 'Backspace' : 'x');
    await pg.waitForTimeout(300);
  }
  const { profile } = await cdp.send('Profiler.stop');
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  profile.samples.forEach((id, i) => {
    const n = byId.get(id);
    const name = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}`;
    self.set(name, (self.get(name) || 0) + (dt[i] || 0));
  });
  const rows = [...self.entries()].filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(program)')).sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((a, [, v]) => a + v, 0);
  console.log(`busy ${(total / 1000 / keys).toFixed(1)} ms per key (${keys} keys), excluding idle/program`);
  for (const [k, v] of rows.slice(0, top)) console.log(`${(v / 1000 / keys).toFixed(2).padStart(7)} ms  ${k.slice(0, 140)}`);
  // Inclusive: each function once per sample, however deep it recurs.
  const parent = new Map();
  for (const n of profile.nodes) for (const ch of n.children || []) parent.set(ch, n.id);
  const incl = new Map();
  profile.samples.forEach((id, i) => {
    const seen = new Set();
    for (let x = id; x !== undefined; x = parent.get(x)) {
      const n = byId.get(x);
      const name = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}`;
      if (!seen.has(name)) { seen.add(name); incl.set(name, (incl.get(name) || 0) + (dt[i] || 0)); }
    }
  });
  console.log('--- inclusive');
  const irows = [...incl.entries()].filter(([k]) => !k.startsWith('(root)') && !k.startsWith('(idle)') && !k.startsWith('(program)')).sort((a, b) => b[1] - a[1]);
  for (const [k, v] of irows.slice(0, top)) console.log(`${(v / 1000 / keys).toFixed(2).padStart(7)} ms  ${k.slice(0, 140)}`);
  const gc = self.get('(garbage collector) ') || 0;
  console.log(`(program) ${(((self.get('(program) ') || 0)) / 1000 / keys).toFixed(2)} ms per key; gc ${(gc / 1000 / keys).toFixed(2)}`);
} finally {
  await browser.close();
  await server.close();
}

// Benchmarks of the built playground (not a test: numbers go to docs/benchmarks/app.md).
// Usage: node tests/e2e/bench.mjs        (after `trunk build --release --offline`)
//  1. transfer: gzip -9 bytes of every file the page loads (what a host compressing on the fly
//     sends), and what a host sends from dist/'s precompressed .gz files (transferPrecompressed);
//  2. time to interactive: navigation start → first verdict row rendered (median of 7 loads);
//  3. per keystroke (real key presses) on the default example and a stress scenario: parse +
//     simulate (the app's own measurement), edit (the app's own measurement: the edit's
//     dispatch → every panel rendered, i.e. re-simulate + re-render), the input handler, key
//     event → second animation frame (the keystroke is painted), and key event → verdicts
//     re-rendered (includes the debounce when the analysis is deferred).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { serveDist, launch, distDir } from './harness.mjs';

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const p90 = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * 0.9))]; };

/** A multi-stage Dockerfile of about `n` instructions, with ARGs, COPYs and RUNs. */
export function stressScenario(n = 300) {
  const lines = ['# syntax=docker/dockerfile:1', 'ARG BASE=debian:bookworm-slim', 'ARG VERSION=1'];
  const context = {};
  let stage = 0;
  while (lines.length < n) {
    lines.push(`FROM \${BASE} AS s${stage}`);
    lines.push('ARG VERSION', 'ENV APP_VERSION=${VERSION} PATH=/opt/bin:$PATH', 'WORKDIR /src');
    for (let i = 0; i < 12; i++) {
      context[`s${stage}/f${i}.txt`] = `file ${i} of stage ${stage}\n`;
      lines.push(`COPY s${stage}/f${i}.txt ./f${i}.txt`);
      lines.push(`RUN --mount=type=cache,target=/var/cache/apt \\\n    apt-get update && apt-get install -y pkg${i} && echo ${i} >> /log`);
    }
    if (stage > 0) lines.push(`COPY --from=s${stage - 1} /src /prev`);
    stage++;
  }
  return {
    name: `stress: ${lines.length} lines, ${stage} stages`,
    dockerfile: lines.join('\n') + '\n',
    context,
    args: { VERSION: '1' },
    change: { args: { VERSION: '2' }, files: { 's0/f3.txt': 'changed\n' } },
    cache: { source: 'local' },
  };
}

function b64url(s) {
  return Buffer.from(s).toString('base64').replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

async function keystrokes(browser, base, sc, label) {
  const c = await browser.newContext();
  const pg = await c.newPage();
  await pg.goto(sc ? base + '#json:' + b64url(JSON.stringify(sc)) : base);
  await pg.waitForSelector('table.verdicts tbody tr');
  const rowsShown = await pg.locator('table.verdicts tbody tr').count();
  // Real key presses (Chromium input events, as when a user types) inside the first RUN line:
  // a character, then Backspace. Listeners on window around the app's own handler time it.
  await pg.evaluate(() => {
    const ta = document.querySelector('textarea#dockerfile');
    ta.focus();
    const at = ta.value.indexOf('RUN ') + 4;
    ta.setSelectionRange(at, at);
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    window.__samples = [];
    window.__pending = 0;
    let t0 = 0;
    let seq = '';
    addEventListener('input', () => {
      t0 = performance.now();
      seq = document.querySelector('[data-analyses]').dataset.analyses;
    }, true);
    addEventListener('input', (e) => {
      const t1 = performance.now();
      window.__pending++;
      const before = seq;
      (async () => {
        await frame();
        const t2 = performance.now();
        while (document.querySelector('[data-analyses]').dataset.analyses === before) {
          await new Promise((r) => setTimeout(r, 0));
        }
        await frame();
        const t3 = performance.now();
        const us = Number(document.querySelector('[data-analysis-us]').dataset.analysisUs);
        // The app's own timing of the edit: dispatch → every panel rendered (re-simulate +
        // re-render), whether it ran at the key or after the typing pause.
        const edit = Number(document.documentElement.dataset.editUs || 0) / 1000;
        // `e.timeStamp` is when the browser received the key: queueing delay counts too.
        window.__samples.push({ analysis: us / 1000, edit, handler: t1 - t0, frame: t2 - e.timeStamp, settled: t3 - e.timeStamp });
        window.__pending--;
      })();
    });
  });
  for (let i = 0; i < 30; i++) {
    await pg.keyboard.press(i % 2 ? 'Backspace' : 'x');
    await pg.waitForFunction(() => window.__pending === 0);
  }
  const samples = (await pg.evaluate(() => window.__samples)).slice(4);
  await c.close();
  const stat = (k) => ({ median: +median(samples.map((s) => s[k])).toFixed(1), p90: +p90(samples.map((s) => s[k])).toFixed(1) });
  return {
    scenario: label || sc.name,
    rows: rowsShown,
    analysis: stat('analysis'),
    edit: stat('edit'),
    handler: stat('handler'),
    frame: stat('frame'),
    settled: stat('settled'),
  };
}

async function main() {
const server = await serveDist();
const browser = await launch();
const out = {};
try {
  // 1. Transfer size (gzip -9 of each file the page requests).
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const files = [];
  page.on('requestfinished', (r) => files.push(new URL(r.url()).pathname));
  await page.goto(server.url);
  await page.waitForSelector('table.verdicts tbody tr');
  await ctx.close();
  const rows = [...new Set(files)].map((p) => {
    const f = path.join(distDir, p === '/' ? 'index.html' : p.slice(1));
    const raw = fs.readFileSync(f);
    const gzip = zlib.gzipSync(raw, { level: 9 }).length;
    // What a host serving dist/'s precompressed .gz files sends (the same without them).
    const pre = fs.existsSync(f + '.gz') ? fs.statSync(f + '.gz').size : gzip;
    return { file: path.basename(f), raw: raw.length, gzip, precompressed: pre };
  });
  out.transfer = rows;
  out.transferTotal = rows.reduce((a, r) => a + r.gzip, 0);
  out.transferPrecompressed = rows.reduce((a, r) => a + r.precompressed, 0);

  // 2. Time to interactive.
  const ttis = [];
  for (let i = 0; i < 7; i++) {
    const c = await browser.newContext();
    const pg = await c.newPage();
    await pg.addInitScript(() => {
      new MutationObserver((_, obs) => {
        if (document.querySelector('table.verdicts tbody tr') && document.querySelector('textarea#dockerfile')) {
          window.__tti = performance.now();
          obs.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    });
    await pg.goto(server.url);
    await pg.waitForFunction(() => window.__tti);
    ttis.push(await pg.evaluate(() => window.__tti));
    await c.close();
  }
  out.tti = { median: median(ttis), all: ttis };

  // 3. Per keystroke: the default example (8 instructions) and the stress scenario.
  out.keystroke = [
    await keystrokes(browser, server.url, null, 'default example (pip index URL, 8 instructions)'),
    await keystrokes(browser, server.url, stressScenario(300)),
  ];
} finally {
  await browser.close();
  await server.close();
}
console.log(JSON.stringify(out, null, 2));
}

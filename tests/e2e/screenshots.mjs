// Takes the README/docs screenshots of the built playground: light, dark and phone width.
// Usage: node tests/e2e/screenshots.mjs [outdir]   (default docs/screenshots)
import path from 'node:path';
import fs from 'node:fs';
import { serveDist, launch, appReady, repoRoot } from './harness.mjs';

const out = process.argv[2] || path.join(repoRoot, 'docs/screenshots');
fs.mkdirSync(out, { recursive: true });
const server = await serveDist();
const browser = await launch();
try {
  const shots = [
    { name: 'playground-light.png', viewport: { width: 1400, height: 1000 }, colorScheme: 'light' },
    { name: 'playground-dark.png', viewport: { width: 1400, height: 1000 }, colorScheme: 'dark' },
    { name: 'playground-phone.png', viewport: { width: 390, height: 844 }, colorScheme: 'light', isMobile: true, deviceScaleFactor: 1 },
  ];
  for (const s of shots) {
    const ctx = await browser.newContext({ viewport: s.viewport, colorScheme: s.colorScheme, isMobile: s.isMobile, deviceScaleFactor: s.deviceScaleFactor || 1 });
    const page = await ctx.newPage();
    await page.goto(server.url);
    await appReady(page);
    // Select the first rebuilt step so the causal chain shows.
    const row = page.locator('table.verdicts tbody tr:has(.v-rebuilt)').first();
    if (await row.count()) await row.click();
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(out, s.name), fullPage: !!s.isMobile });
    await ctx.close();
    console.log('wrote', path.join(out, s.name));
  }
  // The embed, inside a host page (as docs/EMBED.md describes it).
  {
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 760 }, colorScheme: 'light' });
    const page = await ctx.newPage();
    await page.goto(server.url + '?embed=1');
    await appReady(page);
    const embedUrl = page.url();
    await page.close();
    // The host: a fresh page of another origin (about:blank), without the app's CSP.
    const host = await ctx.newPage();
    await host.setContent(`<!doctype html><body style="font:15px/1.5 system-ui;margin:24px;max-width:920px">
      <h2 style="margin:0 0 8px">Why does my CI rebuild everything?</h2>
      <p style="margin:0 0 12px;color:#444">A page of your docs with the scenario embedded:</p>
      <iframe id="f" src="${embedUrl}" width="100%" height="560" style="border:1px solid #ccc;border-radius:8px"></iframe>
      <script>addEventListener('message', (e) => { if (e.data?.type === 'resize') document.getElementById('f').style.height = Math.min(e.data.height, 600) + 'px'; });</script>
      </body>`);
    const frame = host.frames().find((f) => f.url().includes('embed=1'));
    await frame.waitForSelector('table.verdicts tbody tr');
    await host.waitForTimeout(500);
    await host.screenshot({ path: path.join(out, 'embed.png') });
    await ctx.close();
    console.log('wrote', path.join(out, 'embed.png'));
  }
} finally {
  await browser.close();
  await server.close();
}

// Shared helpers for the end-to-end test and the screenshot/benchmark scripts: a tiny static
// server for dist/ on 127.0.0.1 (random port) and Debian's headless Chromium via playwright-core.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const distDir = process.env.LAYERLAB_DIST || path.join(repoRoot, 'dist');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/** Serves `root` (gzip when asked, like a real static host; precompressed FILE.gz when there
 *  is one). Returns {url, close, bytes()}. */
export async function serveDist(root = distDir) {
  let sent = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let rel = decodeURIComponent(url.pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.join(root, path.normalize(rel));
    if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    let body = fs.readFileSync(file);
    const headers = { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' };
    if (/\bgzip\b/.test(req.headers['accept-encoding'] || '')) {
      // A precompressed FILE.gz (scripts/build.sh writes them) is sent as it is, like nginx's
      // gzip_static; anything else is compressed on the fly.
      body = fs.existsSync(file + '.gz') ? fs.readFileSync(file + '.gz') : zlib.gzipSync(body, { level: 9 });
      headers['content-encoding'] = 'gzip';
    }
    sent += body.length;
    res.writeHead(200, headers).end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    bytes: () => sent,
    resetBytes: () => { sent = 0; },
    close: () => new Promise((r) => server.close(r)),
  };
}

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Headless Chromium with the flags this machine needs (root, no network chatter).
 *  playwright gives every launch a fresh temporary profile (user data dir). */
export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** Waits until the app has rendered (the editor textarea exists). */
export async function appReady(page) {
  await page.waitForSelector('textarea#dockerfile', { timeout: 30000 });
}

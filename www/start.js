// Starts the playground. A static module instead of Trunk's inline loader, so the page runs
// under `script-src 'self'` (no 'unsafe-inline', no hash, no nonce). Trunk writes the hashed
// file names into this tag's data attributes (see pattern_script in Trunk.toml).
const tag = document.querySelector('script[data-wasm]');
const { default: init } = await import(tag.dataset.js);
await init({ module_or_path: tag.dataset.wasm });

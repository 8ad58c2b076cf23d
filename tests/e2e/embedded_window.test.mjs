// The embedded engine's window on GET /health/backend (what `anyclaude claude` gives Claude Code)
// and on /health: its --ctx-size, the model file's name, nothing to fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tinyModelForFile, withEmbedded } from './lib/embedded.mjs';

const tiny = tinyModelForFile('embedded-window');

test('embedded: /health/backend reports --ctx-size as the window', { timeout: 120000 }, async () => {
  await withEmbedded({ model: tiny.model, dir: tiny.dir, ctxSize: 4096 }, async (gw) => {
    const st = await (await fetch(`${gw.url}/health/backend`)).json();
    assert.deepEqual(st, {
      reachable: true, model: 'tiny.gguf', context_window: 4096, window_source: 'embedded --ctx-size', problem: '', fix: '',
    });
    const health = await (await fetch(`${gw.url}/health`)).json();
    assert.equal(health.context_window, 4096);
    assert.equal(health.window_source, 'embedded --ctx-size');
  });
});

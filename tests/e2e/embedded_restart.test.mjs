// The embedded engine's disk tier survives a restart: a turn, SIGTERM (exit 0, sequences written
// to the cache folder as 0600 files in a 0700 folder), a new gateway on the same --cache-dir, and
// the follow-up reads the previous turn's prompt from disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { client } from './lib/sdk.mjs';
import { filesUnder } from './lib/procs.mjs';
import {
  tinyModelForFile, startEmbedded, engineStats, admissions, fixture, countTokens, promptTotal, followUp, sendTurn,
} from './lib/embedded.mjs';

const FEW = 8;

const tiny = tinyModelForFile('embedded-restart');

// Every file under root: {path, mode, dirMode}.
function cacheFiles(root) {
  return filesUnder(root).map((f) => ({ path: f.rel, mode: fs.statSync(f.full).mode & 0o777, dirMode: fs.statSync(f.dir).mode & 0o777 }));
}

const octal = (m) => `0${m.toString(8)}`;
let cacheDirAfterRestart = null; // for the last test

test('restart: SIGTERM writes the prompt cache to disk; a new gateway on the same --cache-dir reuses it', { timeout: 120000 }, async (t) => {
  const cacheDir = path.join(tiny.dir, 'kv'); // the gateway creates it
  const opts = { model: tiny.model, cacheDir, ctxSize: 16384, maxTokensCap: 16 };

  // First life: one turn, then SIGTERM.
  const gw1 = await startEmbedded(opts);
  let t1, n1, r1, exit, logs1;
  try {
    t1 = fixture('capture-first.json');
    n1 = await countTokens(gw1, t1);
    r1 = await sendTurn(client(gw1, { timeout: 60000 }), t1, { stream: true });
    assert.equal(r1.start.cache_read_input_tokens, 0);
    assert.equal(promptTotal(r1.start), n1);
    const started = Date.now();
    exit = await gw1.proc.stop(20000); // SIGTERM; SIGKILL after 20 s
    t.diagnostic(`SIGTERM -> ${JSON.stringify(exit)} after ${Date.now() - started} ms`);
  } finally {
    logs1 = gw1.logs();
    await gw1.stop();
  }
  assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null },
    `SIGTERM ends the gateway with status 0\n${logs1.slice(-4000)}`);
  t.diagnostic(`first gateway, last lines: ${logs1.trim().split('\n').slice(-3).join(' | ')}`);

  const files = cacheFiles(cacheDir);
  t.diagnostic(`cache dir ${octal(fs.statSync(cacheDir).mode & 0o777)}; files: ${JSON.stringify(files.map((f) => ({ ...f, mode: octal(f.mode), dirMode: octal(f.dirMode) })))}`);
  assert.ok(files.length >= 1, 'the prompt cache was written to --cache-dir');
  for (const f of files) {
    assert.equal(octal(f.mode), '0600', `${f.path} is readable by its owner only`);
    assert.equal(octal(f.dirMode), '0700', `the folder of ${f.path} is private`);
  }

  // Second life on the same folder: the follow-up reads turn 1's prompt from disk.
  const gw2 = await startEmbedded(opts);
  try {
    const t2 = followUp(t1, r1.text, 'block parser sigma, after a restart.');
    const n2 = await countTokens(gw2, t2);
    const r2 = await sendTurn(client(gw2, { timeout: 60000 }), t2, { stream: true });
    const s1 = await engineStats(gw2);
    t.diagnostic(`after restart: usage ${JSON.stringify(r2.final)}, engine ${JSON.stringify(s1)}`);
    t.diagnostic(`admissions: ${JSON.stringify(admissions(gw2.logs()))}`);
    for (const [name, u] of [['message_start', r2.start], ['message_delta', r2.final]]) {
      assert.ok(u.cache_read_input_tokens > 0, `${name}: cache_read_input_tokens > 0 after a restart: ${JSON.stringify(u)}`);
      assert.ok(u.cache_read_input_tokens >= n1 - FEW, `${name}: turn 1's whole prompt (${n1}) comes from disk: ${JSON.stringify(u)}`);
      assert.equal(promptTotal(u), n2);
    }
    assert.equal(s1.reused_from.disk, 1, `/health engine.reused_from.disk: ${JSON.stringify(s1.reused_from)}`);
    assert.ok(s1.cache.disk_loads >= 1, `/health engine.cache.disk_loads: ${JSON.stringify(s1.cache)}`);
    assert.ok(s1.computed_tokens <= n2 - n1 + FEW, `only the new tokens are computed: ${s1.computed_tokens} of ${n2}`);
    cacheDirAfterRestart = cacheDir;
  } catch (err) {
    err.message += `\n--- second gateway log (tail) ---\n${gw2.logs().slice(-4000)}`;
    throw err;
  } finally {
    await gw2.stop();
  }
});

test('/health reports the snapshot files a starting gateway found on disk, before any request', { timeout: 60000 }, async (t) => {
  assert.ok(cacheDirAfterRestart, 'needs the cache folder of the restart test');
  const files = cacheFiles(cacheDirAfterRestart);
  assert.ok(files.length >= 1);
  const gw = await startEmbedded({ model: tiny.model, cacheDir: cacheDirAfterRestart, ctxSize: 16384, maxTokensCap: 16 });
  try {
    const line = gw.logs().match(/prompt cache: .*/)?.[0];
    const s = await engineStats(gw);
    t.diagnostic(`startup log: ${line}; /health engine.cache: ${JSON.stringify(s.cache)}`);
    assert.equal(s.cache.disk_files, files.length, `/health engine.cache.disk_files at startup (log: ${line}): ${JSON.stringify(s.cache)}`);
    assert.ok(s.cache.disk_bytes > 0, `/health engine.cache.disk_bytes at startup: ${JSON.stringify(s.cache)}`);
  } finally {
    await gw.stop();
  }
});

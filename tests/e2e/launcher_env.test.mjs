// `anyclaude claude` before Claude Code starts: the environment Claude Code receives for the
// backend's window (the local model id, CLAUDE_CODE_MAX_CONTEXT_TOKENS, CLAUDE_CODE_MAX_OUTPUT_TOKENS,
// the user's own values winning, the Claude-id route), the one-line notice, the warning for a
// tight window, the refusal of a window too small for Claude Code's first exchange, the two-line
// explanation and non-zero exit when the backend is down (no silent minutes of retries), the
// pointer to the gateway's log when Claude Code fails, and the first-run state written for the
// interactive screen only.
//
// Claude Code here is a recorder (ANYCLAUDE_CLAUDE_BIN): a script that writes the environment it
// was given to a file and exits with the status it is told, so the test sees exactly what the
// launcher handed over. The launcher, its gateway and the backend probe are the real ones.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { start } from './scripted_backend.mjs';
import { gatewayBin } from './lib/paths.mjs';
import { runProcess, scratchDir, removeDir } from './lib/procs.mjs';

let backend;
let dir;
let home;
let recorder;
let record;
before(async () => {
  backend = await start({ port: 0, models: ['served-model'] });
  dir = scratchDir('launcher-env');
  recorder = path.join(dir, 'claude-recorder.sh');
  fs.writeFileSync(recorder, '#!/bin/sh\nenv > "$RECORD_FILE"\nexit "${RECORD_EXIT:-0}"\n', { mode: 0o755 });
});
after(async () => { await backend?.close(); removeDir(dir); });
beforeEach(() => {
  home = fs.mkdtempSync(path.join(dir, 'home-'));
  record = path.join(home, 'claude-env.txt');
});

// A loopback port nothing listens on.
async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

async function launch(args, extraEnv = {}) {
  const env = {
    PATH: process.env.PATH, HOME: home, TMPDIR: home, ANYCLAUDE_CLAUDE_BIN: recorder, RECORD_FILE: record,
    ANYCLAUDE_MODE: 'openai', ANYCLAUDE_BACKEND_URL: backend.url, ANYCLAUDE_SMALL_MODEL: 'small-model', ...extraEnv,
  };
  const r = await runProcess(gatewayBin(), ['claude', ...args], { cwd: home, env }, 30000);
  const seen = fs.existsSync(record)
    ? Object.fromEntries(fs.readFileSync(record, 'utf8').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
    : null;
  // The status page's address is one line of its own (tests/e2e/status_page_browser.test.mjs opens
  // the page); `lines` are the launcher's other notices.
  const all = r.stderr.split('\n').filter((l) => l.startsWith('anyclaude:'));
  const page = all.filter((l) => l.startsWith('anyclaude: status page '));
  return { ...r, seen, page, lines: all.filter((l) => !page.includes(l)) };
}
const describe = (r) => `exit ${r.code}${r.timedOut ? ' TIMED OUT' : ''}\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout}`;

test('Claude Code gets the served model id and the window the backend has', async () => {
  const r = await launch(['-p', 'hi'], { ANYCLAUDE_CONTEXT_WINDOW: '65536' });
  assert.equal(r.code, 0, describe(r));
  assert.ok(r.seen, `claude was started: ${describe(r)}`);
  assert.equal(r.seen.ANTHROPIC_MODEL, 'served-model', 'the id the backend serves (not a Claude id)');
  assert.equal(r.seen.ANTHROPIC_DEFAULT_OPUS_MODEL, 'served-model');
  assert.equal(r.seen.ANTHROPIC_DEFAULT_SONNET_MODEL, 'served-model');
  assert.equal(r.seen.ANTHROPIC_DEFAULT_HAIKU_MODEL, 'small-model');
  assert.equal(r.seen.CLAUDE_CODE_MAX_CONTEXT_TOKENS, '65536');
  assert.equal(r.seen.CLAUDE_CODE_MAX_OUTPUT_TOKENS, '8192');
  assert.match(r.seen.ANTHROPIC_BASE_URL, /^http:\/\/127\.0\.0\.1:\d+$/);
  for (const k of Object.keys(r.seen)) assert.ok(!/DISABLE.*COMPACT|COMPACT.*DISABLE|UNKNOWN_MODEL_WINDOW/.test(k), `never set: ${k}`);
  assert.deepEqual(r.lines, ["anyclaude: Claude Code gets served-model's 65536-token window (setting context-window): answers up to 8192 tokens, compaction from ~44k tokens"]);
  assert.equal(r.page.length, 1, describe(r));
  assert.equal(r.page[0], `anyclaude: status page ${r.seen.ANTHROPIC_BASE_URL}/`);
  assert.ok(!fs.existsSync(path.join(home, '.claude.json')), '-p needs no first-run state: none written');
});

test("the user's own variables win over the launcher's", async () => {
  const r = await launch(['-p', 'hi'], {
    ANYCLAUDE_CONTEXT_WINDOW: '65536', ANTHROPIC_MODEL: 'my-own-model', CLAUDE_CODE_MAX_OUTPUT_TOKENS: '1234',
  });
  assert.equal(r.code, 0, describe(r));
  assert.equal(r.seen.ANTHROPIC_MODEL, 'my-own-model');
  assert.equal(r.seen.CLAUDE_CODE_MAX_OUTPUT_TOKENS, '1234');
  assert.equal(r.seen.CLAUDE_CODE_MAX_CONTEXT_TOKENS, '65536', 'what the user did not set is still set');
  assert.equal(r.seen.ANTHROPIC_DEFAULT_SONNET_MODEL, 'served-model');
  assert.match(r.lines[0], /yours kept: ANTHROPIC_MODEL=my-own-model CLAUDE_CODE_MAX_OUTPUT_TOKENS=1234$/, describe(r));
});

test('a 32k window: compaction later than Claude Code would place it, and a warning with the fix', async () => {
  const r = await launch(['-p', 'hi'], { ANYCLAUDE_CONTEXT_WINDOW: '32768' });
  assert.equal(r.code, 0, describe(r));
  assert.equal(r.seen.CLAUDE_CODE_MAX_CONTEXT_TOKENS, '41672');  // T = 41672 - 4096 - 13000 = 24576
  assert.equal(r.seen.CLAUDE_CODE_MAX_OUTPUT_TOKENS, '4096');
  assert.equal(r.lines.length, 2, describe(r));
  assert.match(r.lines[1], /^anyclaude: warning: 33k tokens is tight .*Autocompact is thrashing.*65536 or more: restart the server with a larger context/);
});

test('--claude-ids keeps Claude ids and sizes compaction with CLAUDE_CODE_AUTO_COMPACT_WINDOW', async () => {
  const r = await launch(['-p', 'hi'], { ANYCLAUDE_CONTEXT_WINDOW: '32768', ANYCLAUDE_CLAUDE_IDS: 'true' });
  assert.equal(r.code, 0, describe(r));
  assert.equal(r.seen.ANTHROPIC_MODEL, undefined);
  assert.equal(r.seen.CLAUDE_CODE_MAX_CONTEXT_TOKENS, undefined);
  assert.equal(r.seen.CLAUDE_CODE_AUTO_COMPACT_WINDOW, '100000');
  assert.equal(r.seen.CLAUDE_AUTOCOMPACT_PCT_OVERRIDE, '25');
});

test('a window under Claude Code\'s first exchange is refused before Claude Code starts', async () => {
  const r = await launch(['-p', 'hi'], { ANYCLAUDE_CONTEXT_WINDOW: '8192' });
  assert.equal(r.code, 2, describe(r));
  assert.equal(r.seen, null, 'claude was not started');
  assert.equal(r.page.length, 0, `no status page for a refused start: ${describe(r)}`);
  assert.equal(r.lines.length, 1, describe(r));
  assert.match(r.lines[0], /8192 tokens .*too small for Claude Code: its first exchange .*needs 16384 or more.*--allow-small-window/);
  const forced = await launch(['-p', 'hi'], { ANYCLAUDE_CONTEXT_WINDOW: '8192', ANYCLAUDE_ALLOW_SMALL_WINDOW: 'true' });
  assert.equal(forced.code, 0, describe(forced));
  assert.ok(forced.seen, 'started when the user insists');
});

test('a backend that is down: two lines and a non-zero exit at once, -p and interactive alike', async () => {
  const url = `http://127.0.0.1:${await closedPort()}/v1`;
  for (const args of [['-p', 'hello'], []]) {
    const t0 = Date.now();
    const r = await launch(args, { ANYCLAUDE_BACKEND_URL: url });
    assert.equal(r.code, 2, describe(r));
    assert.ok(Date.now() - t0 < 15000, `told within seconds, not minutes: ${Date.now() - t0} ms`);
    assert.equal(r.seen, null, 'claude was not started');
    assert.equal(r.page.length, 0, `no status page for a refused start: ${describe(r)}`);
    assert.equal(r.lines.length, 2, describe(r));
    assert.ok(r.lines[0].includes(url) && r.lines[0].endsWith('; Claude Code not started'), describe(r));
    assert.match(r.lines[1], /^anyclaude: fix: .*--backend-url/, describe(r));
  }
});

test('Claude Code failing: one line pointing at the gateway log', async () => {
  const r = await launch(['-p', 'hi'], { RECORD_EXIT: '3' });
  assert.equal(r.code, 3, describe(r));
  const log = path.join(home, '.cache', 'anyclaude', 'gateway.log');
  assert.equal(r.lines.at(-1), `anyclaude: Claude Code exited with status 3; the gateway's log: ${log}`);
  assert.ok(fs.existsSync(log), 'the log is where the line says');
  const ok = await launch(['-p', 'hi']);
  assert.ok(!ok.stderr.includes('exited with status'), describe(ok));
});

test('the interactive screen gets its offline first-run state, merged into what is there', async () => {
  const state = path.join(home, '.claude.json');
  fs.writeFileSync(state, JSON.stringify({ theme: 'light', projects: { '/x': { allowedTools: ['Read'] } } }, null, 2));
  const r = await launch([]);
  assert.equal(r.code, 0, describe(r));
  const written = JSON.parse(fs.readFileSync(state, 'utf8'));
  assert.equal(written.hasCompletedOnboarding, true);
  assert.deepEqual(written.customApiKeyResponses, { approved: ['anyclaude-local'], rejected: [] }, 'the key Claude Code is given');
  assert.equal(r.seen.ANTHROPIC_API_KEY, 'anyclaude-local');
  assert.equal(written.theme, 'light');
  assert.deepEqual(written.projects, { '/x': { allowedTools: ['Read'] } });
  assert.ok(r.lines.some((l) => l === `anyclaude: Claude Code first-run state in ${state} (so it starts offline): onboarding done, the gateway's key approved`), describe(r));
  const again = await launch([]);
  assert.ok(!again.stderr.includes('first-run state'), `written once: ${describe(again)}`);
});

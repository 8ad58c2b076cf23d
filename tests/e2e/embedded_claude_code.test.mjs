// Real Claude Code 2.1.328 against the embedded engine (`anyclaude serve --model tiny.gguf`):
// `claude -p "say hi"` completes, `claude -p ... --continue` reuses the whole conversation from the
// prompt cache (checked on /health's engine counters), and a new session in the same project
// reuses the tools + system prefix (the per-prompt billing-header line is removed).
//
// Claude Code treats stop_reason max_tokens as an error ("Claude's response exceeded the N output
// token maximum", exit 1, after three "continue" retries), so the model here is the tiny random
// model patched to end its turns by itself after a few tokens (lib/gguf.mjs makeModelStopEarly).
// What reaches the gateway: `claude -p` sends one /v1/messages request per turn, with or without
// CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 (without it, also a HEAD /api/hello); no title or
// other side requests (those come from the interactive screen). When the model's answer is empty,
// Claude Code sends the turn again (a second request, mostly reused), so the checks below use
// /health's totals per claude run rather than assume one request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CLAUDE_BIN } from './lib/paths.mjs';
import { runProcess, scratchDir, removeDir } from './lib/procs.mjs';
import { makeTinyModel, startEmbedded, engineStats, statsDelta, admissions } from './lib/embedded.mjs';

const CLAUDE_TIMEOUT_MS = 90000;
let dir;
let gw;
let home;
let project;
before(async () => {
  assert.ok(fs.existsSync(CLAUDE_BIN), `claude CLI not found at ${CLAUDE_BIN} (run npm install)`);
  dir = scratchDir('embedded-cc');
  home = path.join(dir, 'home');
  project = path.join(dir, 'project');
  fs.mkdirSync(home);
  fs.mkdirSync(project);
  const model = await makeTinyModel(dir, { stopEarly: true });
  // Claude Code's prompt is ~11.6k tokens on this template; the cap only bounds a turn the
  // patched model would not end by itself (about one chance in 10^9).
  gw = await startEmbedded({ model, cacheDir: path.join(dir, 'kv'), ctxSize: 16384, maxTokensCap: 512 });
});
after(async () => {
  await gw?.stop();
  removeDir(dir);
});

// The environment of the fixtures README: offline, no telemetry; one HOME and project folder for
// the whole file, so --continue finds the session.
const claudeEnv = () => ({
  PATH: process.env.PATH, HOME: home, TMPDIR: home, ANTHROPIC_API_KEY: 'any', ANTHROPIC_BASE_URL: gw.url,
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1',
});
const describe = (r) => `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}${r.timedOut ? ' TIMED OUT' : ''}\n--- claude stdout ---\n${r.stdout}\n--- claude stderr ---\n${r.stderr}\n--- gateway ---\n${gw.logs().slice(-4000)}`;

async function claude(args) {
  const before = await engineStats(gw);
  const seen = admissions(gw.logs()).length;
  const started = Date.now();
  const r = await runProcess(CLAUDE_BIN, args, { cwd: project, env: claudeEnv() }, CLAUDE_TIMEOUT_MS);
  const d = statsDelta(before, await engineStats(gw));
  return { ...r, d, ms: Date.now() - started, requests: admissions(gw.logs()).slice(seen) };
}

const report = (t, label, r) => t.diagnostic(`${label}: exit ${r.code} in ${r.ms} ms; engine ${JSON.stringify(r.d)}; requests ${JSON.stringify(r.requests)}`);

let first;
test('claude -p "say hi" completes a turn on the embedded engine', { timeout: CLAUDE_TIMEOUT_MS + 10000 }, async (t) => {
  first = await claude(['-p', 'say hi']);
  report(t, 'say hi', first);
  assert.equal(first.code, 0, describe(first));
  assert.equal(first.leftover, false, 'claude leaves no process behind');
  assert.ok(first.d.requests >= 1, `the engine saw Claude Code's request: ${JSON.stringify(first.d)}`);
  assert.ok(first.d.prompt_tokens >= 5000, `Claude Code's prompt (system + tools + environment) is ~11k tokens: ${JSON.stringify(first.d)}`);
  assert.ok(first.d.computed_tokens >= 5000, `a cold cache computes the prompt: ${JSON.stringify(first.d)}`);
});

test('claude -p ... --continue reuses the conversation from the prompt cache', { timeout: CLAUDE_TIMEOUT_MS + 10000 }, async (t) => {
  assert.ok(first?.code === 0, 'needs the first turn');
  const r = await claude(['-p', 'and now say bye', '--continue']);
  report(t, '--continue', r);
  assert.equal(r.code, 0, describe(r));
  const { d } = r;
  assert.ok(d.requests >= 1, `the follow-up reached the engine: ${JSON.stringify(d)}`);
  // The engine's admission log lines say what each request was: the follow-up's main request is
  // longer than the first turn's (it carries the previous turn).
  const longest = (x) => Math.max(0, ...x.requests.map((q) => q.prompt));
  assert.ok(longest(r) > longest(first), `the follow-up carries the previous turn: ${JSON.stringify(r.requests)} vs ${JSON.stringify(first.requests)}`);
  assert.ok(d.reused_tokens >= 0.9 * d.prompt_tokens, `at least 90% of the follow-up's prompt comes from the cache: ${JSON.stringify(d)}`);
  assert.ok(d.computed_tokens <= Math.max(512, 0.05 * d.prompt_tokens), `only the new tokens are computed: ${JSON.stringify(d)}`);
  assert.ok(d.from_live >= 1, `the conversation was still live in its sequence: ${JSON.stringify(d)}`);
});

test('a new claude session in the same project reuses the tools + system prefix', { timeout: CLAUDE_TIMEOUT_MS + 10000 }, async (t) => {
  const r = await claude(['-p', 'a different question in a new session']);
  report(t, 'new session', r);
  assert.equal(r.code, 0, describe(r));
  const { d } = r;
  // The billing-header line (its last segment changes with the prompt) is removed before rendering,
  // so only the environment block and the prompt itself differ from the first session.
  assert.ok(d.reused_tokens >= 0.7 * d.prompt_tokens, `most of a new session's first turn comes from the cache: ${JSON.stringify(d)}`);
});

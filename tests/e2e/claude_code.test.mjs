// Real Claude Code 2.1.328 (node_modules/.bin/claude, or ANYCLAUDE_CLAUDE_BIN) against the
// gateway: `claude -p "say hi"`, a turn where the model calls Read on a file in the project,
// and the `anyclaude claude` launcher configured through the environment.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { start } from './scripted_backend.mjs';
import { startPair } from './lib/gateway.mjs';
import { CLAUDE_BIN, REPO, gatewayBin } from './lib/paths.mjs';
import { runProcess, scratchDir, removeDir } from './lib/procs.mjs';

const CLAUDE_TIMEOUT_MS = 90000;
let pair;
let home;
let project;
before(async () => {
  assert.ok(fs.existsSync(CLAUDE_BIN), `claude CLI not found at ${CLAUDE_BIN} (run npm install)`);
  pair = await startPair(start, { model: 'main-model', smallModel: 'small-model' });
});
after(async () => { await pair?.stop(); });
beforeEach(() => {
  pair.backend.reset();
  pair.backend.setDefault({ kind: 'text', text: 'default side answer' });
  removeDir(home);
  removeDir(project);
  home = scratchDir('home');
  project = scratchDir('project');
});
after(() => { removeDir(home); removeDir(project); });

// The environment of the fixtures README: offline, no telemetry, a fresh HOME and TMPDIR.
function claudeEnv(extra = {}) {
  return {
    PATH: process.env.PATH, HOME: home, TMPDIR: home, ANTHROPIC_API_KEY: 'any',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1', ...extra,
  };
}

const mainRequests = () => pair.backend.requests().map((r) => ({ ...r, json: JSON.parse(r.body) }))
  .filter((r) => Array.isArray(r.json.tools) && r.json.tools.length > 0);
const textOf = (c) => (typeof c === 'string' ? c : (c ?? []).map((p) => p.text ?? '').join(''));
const describe = (r) => `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}${r.timedOut ? ' TIMED OUT' : ''}\n--- claude stdout ---\n${r.stdout}\n--- claude stderr ---\n${r.stderr}\n--- gateway ---\n${pair.gw.logs().slice(-4000)}`;

test('claude -p "say hi" prints the scripted answer', { timeout: CLAUDE_TIMEOUT_MS + 10000 }, async () => {
  pair.backend.script([{ kind: 'text', content: ['Hi there ', 'from the ', 'scripted backend!'], match: { has_tools: true } }]);
  const r = await runProcess(CLAUDE_BIN, ['-p', 'say hi'],
    { cwd: project, env: claudeEnv({ ANTHROPIC_BASE_URL: pair.gw.url }) }, CLAUDE_TIMEOUT_MS);
  assert.equal(r.code, 0, describe(r));
  assert.ok(r.stdout.includes('Hi there from the scripted backend!'), describe(r));
  assert.equal(r.leftover, false, 'claude leaves no process behind');

  const [first] = mainRequests();
  assert.ok(first, 'the main turn reached the backend');
  assert.equal(first.json.model, 'main-model');
  assert.ok(!first.body.includes('x-anthropic-billing-header'), 'billing header removed');
  assert.equal(first.json.messages[0].role, 'system');
  const sysAfter = first.json.messages.map((m, i) => [m.role, i]).filter(([role, i]) => role === 'system' && i > 0);
  assert.ok(sysAfter.length >= 1 && sysAfter[0][1] === 2, `environment block stays the second client message: ${JSON.stringify(first.json.messages.map((m) => m.role))}`);
  assert.equal(first.json.messages[1].role, 'user');
  assert.ok(textOf(first.json.messages[1].content).includes('say hi'), 'the prompt is in the first user message');
});

test('claude runs the Read tool the backend asked for and sends its result back as role "tool"', { timeout: CLAUDE_TIMEOUT_MS + 10000 }, async () => {
  const secret = 'The secret word is zebra-marmalade-42.';
  const file = path.join(project, 'notes.txt');
  fs.writeFileSync(file, `${secret}\n`);
  pair.backend.script([
    { kind: 'tool_calls', calls: [{ name: 'Read', arguments: { file_path: file } }], match: { has_tools: true, lacks_role: 'tool' } },
    { kind: 'text', content: ['The file says: ', 'zebra-marmalade-42.'], match: { has_tools: true, has_role: 'tool' } },
  ]);
  const r = await runProcess(CLAUDE_BIN, ['-p', 'What is the secret word in notes.txt?', '--allowedTools', 'Read'],
    { cwd: project, env: claudeEnv({ ANTHROPIC_BASE_URL: pair.gw.url }) }, CLAUDE_TIMEOUT_MS);
  assert.equal(r.code, 0, describe(r));
  assert.ok(r.stdout.includes('The file says: zebra-marmalade-42.'), describe(r));

  const mains = mainRequests();
  assert.ok(mains.length >= 2, `expected 2 main-turn requests, got ${mains.length}\n${describe(r)}`);
  const second = mains.find((m) => m.json.messages.some((x) => x.role === 'tool'));
  assert.ok(second, 'a later request carries a role "tool" message');
  const tool = second.json.messages.find((x) => x.role === 'tool');
  assert.ok(textOf(tool.content).includes(secret), `tool message has the file's text: ${JSON.stringify(tool).slice(0, 500)}`);
  const call = second.json.messages.find((x) => x.role === 'assistant' && x.tool_calls?.length);
  assert.ok(call, 'the assistant tool call is in the history');
  assert.equal(call.tool_calls[0].function.name, 'Read');
  assert.deepEqual(JSON.parse(call.tool_calls[0].function.arguments), { file_path: file });
  assert.equal(tool.tool_call_id, call.tool_calls[0].id);
});

async function runLauncher(extraEnv) {
  const env = claudeEnv({
    ANYCLAUDE_MODE: 'openai', ANYCLAUDE_BACKEND_URL: pair.backend.url, ANYCLAUDE_MODEL: 'launcher-main',
    ANYCLAUDE_SMALL_MODEL: 'launcher-small', ...extraEnv,
  });
  return runProcess(gatewayBin(), ['claude', '-p', 'say hi'], { cwd: project, env }, CLAUDE_TIMEOUT_MS);
}

test('anyclaude claude -p "say hi" (launcher, backend from env, claude from ANYCLAUDE_CLAUDE_BIN)', { timeout: CLAUDE_TIMEOUT_MS + 10000 }, async () => {
  pair.backend.script([{ kind: 'text', text: 'Hello through the launcher!', match: { has_tools: true } }]);
  const r = await runLauncher({ ANYCLAUDE_CLAUDE_BIN: CLAUDE_BIN });
  assert.equal(r.code, 0, describe(r));
  assert.ok(r.stdout.includes('Hello through the launcher!'), describe(r));
  assert.equal(r.leftover, false, 'the launcher stops its gateway (no process of its group outlives it)');
  assert.equal(mainRequests()[0]?.json.model, 'launcher-main');
});

test('anyclaude claude finds claude on PATH', { timeout: CLAUDE_TIMEOUT_MS + 10000 }, async () => {
  pair.backend.script([{ kind: 'text', text: 'Found on PATH!', match: { has_tools: true } }]);
  const r = await runLauncher({ PATH: `${path.join(REPO, 'node_modules/.bin')}:${process.env.PATH}` });
  assert.equal(r.code, 0, describe(r));
  assert.ok(r.stdout.includes('Found on PATH!'), describe(r));
});

// Two situations in which Claude Code itself fails with different statuses (1: an unknown
// option; 2: a bad flag to its self-hosted-runner subcommand, checked below), so a launcher that
// answered any failure with one fixed status would fail one of them.
const EXIT_CASES = [
  { args: ['--definitely-not-a-claude-flag'], stderr: "unknown option '--definitely-not-a-claude-flag'" },
  { args: ['self-hosted-runner', '--definitely-not-a-runner-flag'], stderr: 'unknown flag --definitely-not-a-runner-flag' },
];

test('anyclaude claude passes claude\'s exit status through', { timeout: 2 * EXIT_CASES.length * CLAUDE_TIMEOUT_MS }, async () => {
  const direct = [];
  for (const c of EXIT_CASES) {
    // Claude Code on its own, the same arguments, pointed at a gateway as the launcher points it.
    const own = await runProcess(CLAUDE_BIN, c.args,
      { cwd: project, env: claudeEnv({ ANTHROPIC_BASE_URL: pair.gw.url }) }, CLAUDE_TIMEOUT_MS);
    assert.equal(own.timedOut, false, describe(own));
    assert.ok(own.stderr.includes(c.stderr), `claude ${c.args.join(' ')} fails as expected: ${describe(own)}`);
    const r = await runProcess(gatewayBin(), ['claude', ...c.args], {
      cwd: project,
      env: claudeEnv({ ANYCLAUDE_MODE: 'openai', ANYCLAUDE_BACKEND_URL: pair.backend.url, ANYCLAUDE_MODEL: 'm', ANYCLAUDE_CLAUDE_BIN: CLAUDE_BIN }),
    }, CLAUDE_TIMEOUT_MS);
    assert.equal(r.timedOut, false, describe(r));
    assert.ok(r.stderr.includes(c.stderr), `the launcher ran claude ${c.args.join(' ')}: ${describe(r)}`);
    assert.equal(r.code, own.code, `anyclaude claude ${c.args.join(' ')}: claude's own status ${own.code}\n${describe(r)}`);
    direct.push(own.code);
  }
  assert.deepEqual(direct, [1, 2], 'the two situations give Claude Code distinct non-zero statuses');
});

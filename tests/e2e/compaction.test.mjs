// A long Claude Code session on a small window, end to end: real Claude Code 2.1.328 started by
// `anyclaude claude -p ...` and then `-p ... --continue` (a user's session over several turns),
// the real launcher and gateway, and a scripted llama-server (tests/e2e/lib/agent_policy.mjs)
// that plays a model reading a repository file by file with the Read tool, reports a real-sized
// prompt_tokens and refuses a prompt over its window with llama-server's own context error.
// The window comes from the server's /props, as a user's would.
//
// - 32k and 64k: Claude Code compacts on its own at its threshold T (the compaction request is
//   seen, the request before it under T, none over the window: no 400 at all), each turn exits
//   0, and neither "Prompt is too long" nor "Autocompact is thrashing" is printed;
// - 32k with larger files: Claude Code's own re-reading of 5 recent files after each compaction
//   refills the window and it stops with "Autocompact is thrashing" (what the launcher's warning
//   says); pinned here so that the limit in README's table stays true;
// - overshoot: a data file of digits, which Claude Code estimates at 3 bytes a token while the
//   server counts one token a digit, takes a turn over the window: the server's 400 reaches
//   Claude Code as "prompt is too long: N tokens > 65536 maximum", it compacts reactively, and
//   the turn completes.
// Each session prints its measurements (t.diagnostic): where compaction came, prompt sizes
// before/after, the number of requests and the wall time (README "Context windows").
// COMPACTION_TEST_ENV='{"NAME":"value"}' adds to every launcher's environment, to see the tests
// fail: CLAUDE_CODE_MAX_CONTEXT_TOKENS=1000000 (the launcher's window lost: a 400 instead of a
// compaction in time) or =32768 (the window declared as it is: thrashing at 32k and 64k).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { start, BACKEND_KINDS } from './scripted_backend.mjs';
import { agentPolicy } from './lib/agent_policy.mjs';
import { CLAUDE_BIN, gatewayBin } from './lib/paths.mjs';
import { runProcess, scratchDir, removeDir } from './lib/procs.mjs';

const MODEL = 'local-coder';
const TURN_TIMEOUT_MS = 60000;
const FINAL = 'All files read; the work is done.';
// The launcher gives Claude Code, for a window W (launcher_env.test.mjs checks the values):
// 32768 -> CLAUDE_CODE_MAX_CONTEXT_TOKENS 41672, max output 4096; 65536 -> 65536, 8192. Claude
// Code's threshold is T = declared - output - 13000, its "effectiveWindow" declared - output.
const LAUNCHER = {
  32768: { effectiveWindow: 41672 - 4096, T: 41672 - 4096 - 13000 },
  65536: { effectiveWindow: 65536 - 8192, T: 65536 - 8192 - 13000 },
};

before(() => { assert.ok(fs.existsSync(CLAUDE_BIN), `claude CLI not found at ${CLAUDE_BIN} (run npm install)`); });

// A small repository: `count` JavaScript modules of `kb` KiB each (about kb/3 thousand tokens
// as Read returns them, line numbers included), and optionally at position `dataAt` a CSV of
// `dataKb` KiB of numbers. Returns the paths in reading order.
function makeRepo(project, { count, kb, dataAt = -1, dataKb = 0 }) {
  const words = ['request', 'window', 'token', 'buffer', 'session', 'handler', 'compact', 'summary', 'reader', 'stream', 'parser', 'client', 'server', 'config', 'result'];
  const files = [];
  for (let i = 0; i < count; i++) {
    const letter = String.fromCharCode(97 + i);
    let text = '';
    let file;
    if (i === dataAt) {
      file = path.join(project, 'data', 'samples.csv');
      text = 'sample_id,load,latency_us,bytes_in,bytes_out,errors\n';
      for (let x = 12345, col = 0; text.length < dataKb * 1024; col = (col + 1) % 6) {
        x = (x * 1103515245 + 12345) % 2147483648;
        text += String(x).padStart(10, '0') + (col === 5 ? '\n' : ',');
      }
    } else {
      file = path.join(project, 'src', `mod_${letter}.js`);
      text = `// module ${letter}: part of a small service\n`;
      for (let k = i; text.length < kb * 1024; k++) {
        const a = words[k % words.length];
        const b = words[(k * 7 + 3) % words.length];
        text += `export function ${a}_${b}_${String.fromCharCode(97 + (k % 26))}(input, options) {\n`
          + `  // Apply the ${a} rule to the ${b} and return what changed.\n`
          + `  const value = options.${b} ?? input.${a};\n  if (!value) return null;\n`
          + `  return { ${a}: value, ${b}: input.${b}, changed: value !== input.${a} };\n}\n\n`;
      }
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    files.push(file);
  }
  return files;
}

// Runs one session: turns[0] with -p, the others with -p --continue, each through the launcher
// (a new gateway each time, as a user's separate commands), in one scratch HOME and project.
async function session(t, { window, repo, turns, readsPerTurn = Infinity, env = {} }) {
  const dir = scratchDir('compaction');
  t.after(() => removeDir(dir));
  const home = path.join(dir, 'home');
  const project = path.join(dir, 'project');
  fs.mkdirSync(home);
  fs.mkdirSync(project);
  const files = makeRepo(project, repo);
  const policy = agentPolicy({ window, files, readsPerTurn, finalText: FINAL });
  const backend = await start({ port: 0, models: [MODEL], endpoints: BACKEND_KINDS['llama-server'].endpoints(MODEL, window), policy });
  t.after(() => backend.close());
  const results = [];
  const t0 = Date.now();
  for (let i = 0; i < turns.length; i++) {
    const debugFile = path.join(dir, `claude-debug-${i + 1}.txt`);
    const args = ['claude', '--debug-file', debugFile, '-p', turns[i], '--allowedTools', 'Read', ...(i ? ['--continue'] : [])];
    const first = backend.requests().length;
    const r = await runProcess(gatewayBin(), args, {
      cwd: project,
      env: {
        PATH: process.env.PATH, HOME: home, TMPDIR: home, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1',
        DISABLE_AUTOUPDATER: '1', ANYCLAUDE_MODE: 'openai', ANYCLAUDE_BACKEND_URL: backend.url, ANYCLAUDE_CLAUDE_BIN: CLAUDE_BIN, ...env, ...JSON.parse(process.env.COMPACTION_TEST_ENV ?? '{}'),
      },
    }, TURN_TIMEOUT_MS);
    const debug = fs.existsSync(debugFile) ? fs.readFileSync(debugFile, 'utf8') : '';
    results.push({ ...r, turn: i + 1, debug, firstRequest: first });
    if (r.code !== 0) break;
  }
  const wallMs = Date.now() - t0;
  const reqs = backend.requests().map((r, i) => ({
    seq: r.seq, status: r.status, ...r.agent, body: r.body, turn: results.filter((x) => x.firstRequest <= i).length,
  }));
  const compactions = reqs.map((c, i) => ({ c, i })).filter(({ c }) => c.role === 'compaction').map(({ c, i }) => {
    const before = reqs.slice(0, i).reverse().find((r) => r.role === 'read' || r.role === 'final' || r.role === 'too_long');
    const after = reqs.slice(i + 1).find((r) => r.role === 'read' || r.role === 'final' || r.role === 'too_long');
    return { turn: c.turn, readsBefore: reqs.slice(0, i).filter((r) => r.role === 'read').length, before, compaction: c, after };
  });
  const roles = {};
  for (const r of reqs) roles[r.role] = (roles[r.role] ?? 0) + 1;
  const steps = reqs.filter((r) => r.role === 'read').map((r, i, a) => (i && a[i - 1].turn === r.turn ? r.prompt_tokens - a[i - 1].prompt_tokens : 0));
  const out = { results, reqs, compactions, roles, wallMs, policy, files, maxStep: Math.max(...steps) };
  t.diagnostic(`window ${window}: ${turns.length} turn(s), exits ${results.map((r) => r.code).join(',')}, ${reqs.length} requests ${JSON.stringify(roles)}, `
    + `read step up to ${out.maxStep} tokens, wall ${wallMs} ms`);
  for (const k of compactions) {
    t.diagnostic(`compaction in turn ${k.turn} after ${k.readsBefore} reads: last request ${k.before?.prompt_tokens} (${k.before?.role}), `
      + `compaction request ${k.compaction.prompt_tokens}, next request ${k.after?.prompt_tokens} (${k.after?.role})`);
  }
  return out;
}

const output = (s) => s.results.map((r) => r.stdout + r.stderr).join('\n');
const describe = (s) => s.results.map((r) => `--- turn ${r.turn}: exit ${r.code}${r.signal ? ` (${r.signal})` : ''}${r.timedOut ? ' TIMED OUT' : ''}\n`
  + `stdout: ${r.stdout.slice(-1500)}\nstderr: ${r.stderr.slice(-1500)}`).join('\n')
  + `\n--- requests: ${s.reqs.map((r) => `${r.seq}:${r.role}:${r.prompt_tokens}:${r.status}`).join(' ')}`;

// What a session that compacted on its own, in time, shows.
function assertProactive(s, window) {
  const { T, effectiveWindow } = LAUNCHER[window];
  for (const r of s.results) assert.equal(r.code, 0, `turn ${r.turn} completes\n${describe(s)}`);
  assert.ok(!/prompt is too long/i.test(output(s)), `no "Prompt is too long"\n${describe(s)}`);
  // (Claude Code's message; the launcher's warning at 32k quotes its first words.)
  assert.ok(!/Autocompact is thrashing:/i.test(output(s)), `no "Autocompact is thrashing"\n${describe(s)}`);
  assert.ok(s.results.at(-1).stdout.includes(FINAL), describe(s));
  assert.equal(s.policy.filesRead(), s.files.length, 'every file was read');
  assert.deepEqual(s.reqs.filter((r) => r.status !== 200).map((r) => `${r.seq}:${r.role}:${r.prompt_tokens}`), [], `no request over the window (no 400)\n${describe(s)}`);
  assert.ok(s.compactions.length >= 2, `compacted, and again after refilling (${s.compactions.length})\n${describe(s)}`);
  for (const k of s.compactions) {
    // Claude Code compacts when its count (the last usage plus ~3 bytes a token of the newest
    // Read result) reaches T: the request before is under T, and not more than two reads short.
    assert.ok(k.before.prompt_tokens < T && k.before.prompt_tokens >= T - 2 * s.maxStep,
      `compaction at T=${T}: the request before it had ${k.before.prompt_tokens} tokens (a read adds up to ${s.maxStep})\n${describe(s)}`);
    assert.ok(k.compaction.prompt_tokens < window, 'the compaction request fits');
    assert.ok(k.after.body.includes('This session is being continued from a previous conversation') && k.after.body.includes('files read'),
      `the request after compaction starts from the summary\n${describe(s)}`);
    assert.ok(k.after.prompt_tokens < k.compaction.prompt_tokens, 'compaction made the prompt smaller');
  }
  // Claude Code's own view (its debug log): the window the launcher gave it, and each
  // compaction a proactive one.
  const debug = s.results.map((r) => r.debug).join('\n');
  const windows = [...new Set([...debug.matchAll(/autocompact: tokens=\S+ level=\w+ effectiveWindow=(\d+)/g)].map((m) => Number(m[1])))];
  assert.deepEqual(windows, [effectiveWindow], 'Claude Code used the window the launcher declared');
  assert.equal([...debug.matchAll(/autocompact: routing through reactive \(thresholdSource=unknown-model\)/g)].length, s.compactions.length,
    'every compaction was started by the threshold');
  assert.ok(!debug.includes('API error'), 'no API error in Claude Code\'s log');
}

const TURNS = [
  'Read the files under src/ one at a time and tell me what this service does.',
  'Go on reading the files under src/.',
  'Finish reading src/ and summarise.',
];

test('32k window: Claude Code compacts in time over a 3-turn session and completes', { timeout: 110000 }, async (t) => {
  // 21 modules of 4 KiB: ~1.3k tokens a Read.
  const s = await session(t, { window: 32768, repo: { count: 21, kb: 4 }, turns: TURNS, readsPerTurn: 7 });
  assertProactive(s, 32768);
  assert.match(s.results[0].stderr, /Claude Code gets local-coder's 32768-token window \(llama-server \/props\)/, describe(s));
});

test('64k window: Claude Code compacts in time over a 3-turn session and completes', { timeout: 110000 }, async (t) => {
  // 21 modules of 10 KiB: ~3.4k tokens a Read.
  const s = await session(t, { window: 65536, repo: { count: 21, kb: 10 }, turns: TURNS, readsPerTurn: 7 });
  assertProactive(s, 65536);
  assert.match(s.results[0].stderr, /Claude Code gets local-coder's 65536-token window \(llama-server \/props\)/, describe(s));
});

test('32k window, ~2k-token files: Claude Code\'s re-reading of recent files after compacting thrashes (the launcher warns)', { timeout: 110000 }, async (t) => {
  // 12 modules of 6 KiB: ~2k tokens a Read. After compacting Claude Code re-attaches up to 5
  // recently read files: ~10k, with its own ~12k prompt already over T - 2k.
  const s = await session(t, { window: 32768, repo: { count: 12, kb: 6 }, turns: [TURNS[0]] });
  const r = s.results[0];
  assert.equal(r.code, 1, describe(s));
  assert.match(r.stdout, /Autocompact is thrashing: the context refilled to the limit within 3 turns/, describe(s));
  assert.match(r.stderr, /warning: 33k tokens is tight for Claude Code.*Autocompact is thrashing/, 'the launcher said so at start');
  assert.ok(s.compactions.length >= 3, describe(s));
  assert.ok(s.reqs.every((q) => q.status === 200), `thrashing is Claude Code's own stop, not a 400\n${describe(s)}`);
});

test('64k window: a turn that overshoots gets the 400, Claude Code compacts reactively and the turn completes', { timeout: 110000 }, async (t) => {
  // 12 modules of 4 KiB, then data/samples.csv (40 KiB of digits: Claude Code estimates ~14k
  // tokens, the server counts ~40k), then 2 more modules.
  const window = 65536;
  const { T } = LAUNCHER[window];
  const s = await session(t, { window, repo: { count: 15, kb: 4, dataAt: 12, dataKb: 40 }, turns: [TURNS[0]] });
  const r = s.results[0];
  assert.equal(r.code, 0, describe(s));
  assert.ok(r.stdout.includes(FINAL), describe(s));
  assert.ok(!/prompt is too long/i.test(r.stdout), describe(s));
  assert.equal(s.policy.filesRead(), s.files.length, 'every file was read');
  const over = s.reqs.filter((q) => q.role === 'too_long');
  assert.equal(over.length, 1, `one request over the window\n${describe(s)}`);
  const i = s.reqs.indexOf(over[0]);
  const prev = s.reqs.slice(0, i).reverse().find((q) => q.role === 'read');
  assert.ok(prev.prompt_tokens < T, `Claude Code was under its threshold before the jump (${prev.prompt_tokens} < ${T})`);
  assert.ok(over[0].prompt_tokens >= window && over[0].body.includes('samples.csv'), 'the jump is the data file\'s Read result');
  const reactive = s.reqs[i + 1];
  assert.equal(reactive.role, 'compaction', `the next request is the compaction\n${describe(s)}`);
  const resent = s.reqs.slice(i + 2).find((q) => q.role !== 'side');
  assert.ok(resent.status === 200 && resent.prompt_tokens < window, `resent after compacting, and it fits\n${describe(s)}`);
  assert.ok(resent.body.includes('This session is being continued from a previous conversation'), 'from the summary');
  assert.ok(resent.body.includes('sample_id,load,latency_us'), 'with the data file\'s content kept');
  // Claude Code got the gateway's translation of llama-server's error, with the server's N and M.
  assert.ok(r.debug.includes(`"prompt is too long: ${over[0].prompt_tokens} tokens > ${window} maximum"`), 'Claude Code saw the 400 with N and M');
  assert.ok(/Forked agent \[reactive-compact\]/.test(r.debug.slice(r.debug.indexOf('prompt is too long'))), 'and compacted after it');
});

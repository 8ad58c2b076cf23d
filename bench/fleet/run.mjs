#!/usr/bin/env node
// Fleet benchmark: anyclaude in front of several llama-server processes, Claude-Code-shaped
// sessions interleaved over them, one run per routing policy (affinity, round-robin,
// least-loaded), each on fresh servers. Reports per policy: the fraction of prompt tokens the
// servers read from their caches, the total time, TTFT p50/p90 (README.md here).
//
//   node bench/fleet/run.mjs [--servers 3] [--sessions 6] [--turns 4] [--concurrency 2]
//        [--policies affinity,round-robin,least-loaded] [--threads 1] [--ctx 32768]
//        [--tools N] [--system-pieces N] [--reply-tokens 8] [--query-tokens 60]
//        [--model PATH | --shape bench] [--llama-server PATH] [--bin build/anyclaude] [--results-dir DIR]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, runProcess, waitFor } from '../../tests/e2e/lib/procs.mjs';
import { makeTarget } from '../session/targets.mjs';
import { loadFixtures, TraceBuilder } from '../session/trace.mjs';
import { followUp } from '../../tests/e2e/lib/embedded.mjs';
import { sendMessage, promptTokens } from '../session/client.mjs';
import { rng } from '../session/filler.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const defaults = {
  servers: '3', sessions: '6', turns: '4', concurrency: '2', policies: 'affinity,round-robin,least-loaded',
  threads: '1', ctx: '32768', tools: '', 'system-pieces': '', 'reply-tokens': '8', 'query-tokens': '60',
  shape: 'bench', model: '', 'llama-server': '', bin: 'build/anyclaude', 'results-dir': 'bench/results',
};
const o = { ...defaults };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in defaults)) { console.error(`unknown option --${k} (known: ${Object.keys(defaults).join(', ')})`); process.exit(2); }
  o[k] = process.argv[i + 1];
}
const num = (k) => Number(o[k]);
const log = (...a) => console.error(`[fleet-bench ${new Date().toISOString().slice(11, 19)}]`, ...a);
const bin = path.resolve(REPO, o.bin);

async function ensureModel() {
  if (o.model) return path.resolve(o.model);
  const file = path.join(REPO, '.cache/models', `${o.shape}-qwen2.gguf`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    log(`making the ${o.shape} model: ${file}`);
    const r = await runProcess(path.join(path.dirname(bin), 'anyclaude-make-model'), ['--out', file, '--shape', o.shape, '--type', 'f16', '--seed', '1'], {}, 600000);
    if (r.code !== 0) throw new Error(`anyclaude-make-model failed:\n${r.stderr}`);
  }
  return file;
}

function llamaServerPath() {
  if (o['llama-server']) return path.resolve(o['llama-server']);
  const built = path.join(os.homedir(), '.cache/anyclaude/llama.cpp/node-llama-cpp-3.22.1/build-server/bin/llama-server');
  if (!fs.existsSync(built)) throw new Error(`no llama-server at ${built}: run bench/session/setup_llama_server.sh or pass --llama-server`);
  return built;
}

// The sessions: Claude Code 2.1.328's first request (tools, system with the billing line, the
// environment block), each session its own first prompt; later turns a reply and a new query.
function buildSessions() {
  const fx = loadFixtures(path.join(REPO, '../shared/fixtures/claude-code-2.1.328'));
  if (o.tools) fx.first.tools = fx.first.tools.slice(0, num('tools'));
  const tb = new TraceBuilder(fx, { seed: 7, turns: num('turns'), queryTokens: num('query-tokens'), replyTokens: num('reply-tokens'), toolResultTokens: 200, sideMaxTokens: 16 }, null);
  if (o['system-pieces']) tb.systemWords = -num('system-pieces');
  const keys = Array.from({ length: num('sessions') }, (_, i) => String.fromCharCode(65 + i));
  return keys.map((k) => {
    const reqs = [tb.first(k, { env: tb.otherEnv(k) })];
    for (let t = 2; t <= num('turns'); t++) reqs.push(followUp(reqs.at(-1), tb.reply(k, t - 1), tb.query(k, t)));
    return { key: k, reqs };
  });
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : null; };

// The sessions in a seeded order per turn: people do not take turns in a fixed order (and a fixed
// order would let round-robin land every session on the same server each turn by accident).
function shuffled(list, turn) {
  const next = rng(1000 + turn);
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// One policy on fresh servers: turn t of every session before turn t + 1 of any, `concurrency`
// sessions at a time (interleaved, as several Claude Code windows on one fleet are).
async function runPolicy(policy, sessions, env, scratch) {
  const servers = Array.from({ length: num('servers') }, (_, i) => makeTarget('llama:fleet', { ...env, logPrefix: `${policy}-${i}-` }));
  for (const s of servers) await s.start();
  const portFile = path.join(scratch, `${policy}.port`);
  const args = ['serve', '--port', '0', '--port-file', portFile, '--mode', 'openai', '--model', 'bench-model',
    '--route-policy', policy, '--max-tokens-cap', o['reply-tokens'], '--log-level', 'info'];
  for (const s of servers) args.push('--backend-url', `${s.url}/v1`);
  const gw = startProcess(bin, args, { env: { PATH: process.env.PATH, HOME: scratch }, cwd: scratch });
  const rows = [];
  const t0 = performance.now();
  try {
    const port = await waitFor(() => (fs.existsSync(portFile) && Number(fs.readFileSync(portFile, 'utf8'))) || 0, 30000, 'gateway port', 50);
    const url = `http://127.0.0.1:${port}`;
    for (let t = 0; t < num('turns'); t++) {
      const order = shuffled(sessions, t);
      for (let i = 0; i < order.length; i += num('concurrency')) {
        await Promise.all(order.slice(i, i + num('concurrency')).map(async (s) => {
          const r = await sendMessage(url, s.reqs[t]);
          if (r.error || r.status !== 200) throw new Error(`${policy} ${s.key} turn ${t + 1}: ${r.status} ${r.error}`);
          rows.push({ session: s.key, turn: t + 1, ttftMs: r.ttftMs, totalMs: r.totalMs, prompt: promptTokens(r.usage), cached: r.usage.cache_read_input_tokens ?? 0 });
        }));
      }
    }
    const fleet = (await (await fetch(`${url}/health`)).json()).fleet;
    const wall = performance.now() - t0;
    const prompt = rows.reduce((a, r) => a + r.prompt, 0);
    const cached = rows.reduce((a, r) => a + r.cached, 0);
    const later = rows.filter((r) => r.turn > 1);
    return {
      policy, requests: rows.length, cachedFraction: prompt ? cached / prompt : 0,
      laterTurnsCachedFraction: later.reduce((a, r) => a + r.cached, 0) / Math.max(1, later.reduce((a, r) => a + r.prompt, 0)),
      totalS: wall / 1000, ttftP50Ms: pct(rows.map((r) => r.ttftMs), 0.5), ttftP90Ms: pct(rows.map((r) => r.ttftMs), 0.9),
      perBackend: fleet?.backends.map((b) => b.requests), rows,
    };
  } finally {
    await gw.stop();
    fs.appendFileSync(path.join(env.logDir, `${policy}-gateway.log`), gw.output());
    for (const s of servers) await s.stop();
  }
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const outDir = path.resolve(REPO, o['results-dir'], `fleet-${stamp}`);
fs.mkdirSync(path.join(outDir, 'logs'), { recursive: true });
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'anyclaude-fleet-bench-'));
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));
const env = {
  anyclaude: bin, llamaServer: llamaServerPath(), model: await ensureModel(), threads: num('threads'), gpuLayers: null,
  logDir: path.join(outDir, 'logs'), scratchDir: scratch,
  // One slot per session at most; cache-ram keeps prompts a slot gave up.
  llamaConfigs: { fleet: ['-np', '2', '--no-kv-unified', '-c', o.ctx, '-sps', '0.95'] },
};
const sessions = buildSessions();
log(`${sessions.length} sessions x ${o.turns} turns over ${o.servers} llama-server processes; results in ${outDir}`);
const results = [];
for (const policy of o.policies.split(',')) {
  log(`policy ${policy}`);
  results.push(await runPolicy(policy, sessions, env, scratch));
}
fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify({ options: o, results }, null, 2));
const f = (x, d = 0) => (x === null || x === undefined ? '-' : x.toFixed(d));
const table = ['| policy | requests | cached fraction (all / turns 2+) | total s | TTFT p50 ms | TTFT p90 ms | requests per server |', '|---|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.policy} | ${r.requests} | ${f(r.cachedFraction, 2)} / ${f(r.laterTurnsCachedFraction, 2)} | ${f(r.totalS, 1)} | ${f(r.ttftP50Ms)} | ${f(r.ttftP90Ms)} | ${r.perBackend?.join(' / ') ?? '-'} |`)].join('\n');
fs.writeFileSync(path.join(outDir, 'report.md'), `${table}\n`);
console.log(table);

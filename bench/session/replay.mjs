#!/usr/bin/env node
// Replays recorded Claude Code sessions (`anyclaude serve --record DIR`; recording.mjs reads them)
// against /v1/messages targets, keeping the recorded order and concurrency, with max_tokens
// capped; reports per request (main, subagent, side, compaction, count_tokens) TTFT, total and
// usage, and per session the cached fraction of prompt tokens and the time, side by side per
// target. Writes report.md, requests.csv and summary.json to bench/results/replay-<UTC time>/.
//
//   node bench/session/replay.mjs [--url URL | --targets embedded,openai,llama:default,llama:best]
//        [--max-tokens 32] [--shape bench | --model PATH] [--threads N] [--repeat N] [DIR ...]
// Without DIR: every folder under bench/session/recordings/. --repeat N runs every recording on
// every target N times, in rounds whose target order rotates (this VM's speed drifts by tens of
// percent over minutes), and reports the median and range per target. See bench/session/README.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO } from '../../tests/e2e/lib/paths.mjs';
import { runProcess } from '../../tests/e2e/lib/procs.mjs';
import { loadRecording, capMaxTokens, replayHeaders } from './recording.mjs';
import { sendRecorded } from './replay_client.mjs';
import { makeTarget, LLAMA_CONFIGS, EMBEDDED_CONFIGS } from './targets.mjs';

// Sends every request of rec to baseUrl: each one once the requests it depended on (recording.mjs)
// have finished, in arrival order. Returns {wallMs, maxInFlight, rows (by seq)}.
export async function replayRecording(rec, baseUrl, { maxTokens = 0, onResult } = {}) {
  const done = new Map();
  const rows = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const t0 = performance.now();
  for (const r of rec.requests) {
    await Promise.all(r.deps.map((s) => done.get(s)));
    const startMs = performance.now() - t0;
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    const sent = capMaxTokens(r.body, maxTokens);
    done.set(r.seq, sendRecorded(baseUrl, { method: r.method, target: r.target, headers: replayHeaders(r), body: sent }).then((res) => {
      --inFlight;
      const row = { recording: rec.name, seq: r.seq, kind: r.kind, bytes: r.bytes, overlapped: r.in_flight.length, startMs, ...res };
      rows.push(row);
      onResult?.(row);
      return row;
    }));
  }
  await Promise.all(done.values());
  return { wallMs: performance.now() - t0, maxInFlight, rows: rows.sort((a, b) => a.seq - b.seq) };
}

const prompt = (u) => (u.input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
const median = (xs) => { const s = xs.filter((x) => x !== null).sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : null; };

// One session on one target: counts by kind, time, prompt tokens and the part read from cache.
export function summarize(result) {
  const msgs = result.rows.filter((r) => r.kind !== 'count_tokens' && r.kind !== 'other');
  const promptTokens = msgs.reduce((a, r) => a + prompt(r.usage), 0);
  const read = msgs.reduce((a, r) => a + (r.usage.cache_read_input_tokens ?? 0), 0);
  const kinds = {};
  for (const r of result.rows) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
  return {
    requests: result.rows.length, kinds, wallMs: result.wallMs, maxInFlight: result.maxInFlight,
    sumTotalMs: result.rows.reduce((a, r) => a + r.totalMs, 0), promptTokens, cacheRead: read,
    cachedFraction: promptTokens ? read / promptTokens : null, errors: result.rows.filter((r) => r.error || r.status !== 200).length,
    ttftMedianMs: Object.fromEntries(Object.keys(kinds).map((k) => [k, median(result.rows.filter((r) => r.kind === k).map((r) => r.ttftMs))])),
  };
}

// Whether a request carries a new user prompt: after the last assistant message, a user text
// that is not a system reminder (task notifications and tool results are not prompts).
function startsPrompt(json) {
  const msgs = json?.messages ?? [];
  const last = msgs.findLastIndex((m) => m.role === 'assistant');
  const texts = (m) => (typeof m.content === 'string' ? [m.content] : (m.content ?? []).filter((b) => b.type === 'text').map((b) => b.text));
  return msgs.slice(last + 1).some((m) => m.role === 'user' && texts(m).some((t) => !t.trimStart().startsWith('<system-reminder>')));
}

// Traffic facts of a recording (no target): what Claude Code sent.
export function describeRecording(rec) {
  const kb = (xs) => (xs.length ? `${(Math.min(...xs) / 1024).toFixed(0)}-${(Math.max(...xs) / 1024).toFixed(0)} KB` : '-');
  const by = (k) => rec.requests.filter((r) => r.kind === k);
  const prompts = rec.requests.filter((r) => r.kind === 'main' && startsPrompt(r.json));
  const reminders = rec.requests.reduce((a, r) => a + (r.body.toString('utf8').match(/<system-reminder>/g)?.length ?? 0), 0);
  const agents = new Set(by('subagent').map((r) => r.headers['x-claude-code-agent-id']).filter(Boolean));
  return {
    name: rec.name, requests: rec.requests.length, main: by('main').length, subagent: by('subagent').length, agents: agents.size,
    side: by('side').length, compaction: by('compaction').length, countTokens: by('count_tokens').length, prompts: prompts.length,
    maxInFlight: 1 + Math.max(0, ...rec.requests.map((r) => r.in_flight.length)), overlapped: rec.requests.filter((r) => r.in_flight.length).length,
    mainSize: kb(by('main').map((r) => r.bytes)), subagentSize: kb(by('subagent').map((r) => r.bytes)), sideSize: kb(by('side').map((r) => r.bytes)),
    reminders, sessions: new Set(rec.requests.map((r) => r.headers['x-claude-code-session-id'])).size,
    bytes: rec.requests.reduce((a, r) => a + r.bytes, 0),
  };
}

async function ensureModel(o, bin) {
  if (o.model) return path.resolve(o.model);
  const type = o.shape === '0.5b' ? 'q8_0' : 'f16';
  const file = path.join(REPO, '.cache/models', o.shape === 'bench' ? 'bench-qwen2.gguf' : `${o.shape}-qwen2-${type}.gguf`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const r = await runProcess(path.join(path.dirname(bin), 'anyclaude-make-model'), ['--out', file, '--shape', o.shape, '--type', type, '--seed', '1'], {}, 600000);
    if (r.code !== 0) throw new Error(`anyclaude-make-model failed:\n${r.stderr}`);
  }
  return file;
}

async function ensureLlamaServer(o) {
  if (o['llama-server']) return path.resolve(o['llama-server']);
  const r = await runProcess(path.join(REPO, 'bench/session/setup_llama_server.sh'), [], { cwd: REPO }, 3 * 3600 * 1000);
  if (r.code !== 0) throw new Error(`setup_llama_server.sh failed:\n${r.stderr.slice(-3000)}`);
  return r.stdout.trim().split('\n').at(-1);
}

// Per (recording, target): median and range over the rounds of wall time and cached fraction.
function medians(results) {
  const groups = new Map();
  for (const x of results) {
    const k = `${x.recording}\t${x.target}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(x.summary);
  }
  const mr = (xs, f) => `${f(median(xs))} (${f(Math.min(...xs))}-${f(Math.max(...xs))})`;
  return [...groups].map(([k, ss]) => {
    const [recording, target] = k.split('\t');
    return {
      recording, target, rounds: ss.length, wallS: median(ss.map((s) => s.wallMs / 1000)),
      wall: mr(ss.map((s) => s.wallMs / 1000), (x) => x.toFixed(1)),
      cached: mr(ss.map((s) => 100 * (s.cachedFraction ?? 0)), (x) => `${x.toFixed(1)}%`),
      ttft: `${f1(median(ss.map((s) => s.ttftMedianMs.main)))} / ${f1(median(ss.map((s) => s.ttftMedianMs.subagent)))}`,
      errors: ss.reduce((a, s) => a + s.errors, 0),
    };
  });
}

const f1 = (x) => (x === null || x === undefined ? '-' : x.toFixed(0));

function markdown(info, recs, results) {
  const out = [`# Replayed Claude Code sessions`, '', `${info.command}`, '', `model ${info.model}, ${info.threads} threads, max_tokens capped at ${info.maxTokens}; ${info.cpu}; load before ${info.load0}, after ${info.load1}`, ''];
  out.push('## What the recordings hold', '', '| recording | requests | main | subagent (agents) | side | compaction | count_tokens | max in flight | main size | subagent size | reminders |', '|---|---|---|---|---|---|---|---|---|---|---|');
  for (const d of recs.map(describeRecording)) out.push(`| ${d.name} | ${d.requests} | ${d.main} | ${d.subagent} (${d.agents}) | ${d.side} | ${d.compaction} | ${d.countTokens} | ${d.maxInFlight} | ${d.mainSize} | ${d.subagentSize} | ${d.reminders} |`);
  out.push('', '## Per session', '', '| recording | target | wall s | sum of totals s | max in flight | prompt tokens | cached | TTFT median main / subagent ms | errors |', '|---|---|---|---|---|---|---|---|---|');
  for (const x of results) {
    const s = x.summary;
    out.push(`| ${x.recording} | ${x.target} | ${(s.wallMs / 1000).toFixed(1)} | ${(s.sumTotalMs / 1000).toFixed(1)} | ${s.maxInFlight} | ${s.promptTokens} | ${s.cachedFraction === null ? '-' : `${(100 * s.cachedFraction).toFixed(1)}%`} | ${f1(s.ttftMedianMs.main)} / ${f1(s.ttftMedianMs.subagent)} | ${s.errors} |`);
  }
  out.push('', '## Median of the rounds (range)', '', '| recording | target | rounds | wall s | cached | TTFT median main / subagent ms | errors |', '|---|---|---|---|---|---|---|');
  for (const m of medians(results)) {
    out.push(`| ${m.recording} | ${m.target} | ${m.rounds} | ${m.wall} | ${m.cached} | ${m.ttft} | ${m.errors} |`);
  }
  out.push('', '## Per request', '', '| recording | target | seq | kind | overlapped | TTFT ms | total ms | input | cache read | cache created | out | error |', '|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const x of results) for (const r of x.rows) out.push(`| ${x.recording} | ${x.target} | ${r.seq} | ${r.kind} | ${r.overlapped} | ${f1(r.ttftMs)} | ${f1(r.totalMs)} | ${r.usage.input_tokens ?? '-'} | ${r.usage.cache_read_input_tokens ?? '-'} | ${r.usage.cache_creation_input_tokens ?? '-'} | ${r.usage.output_tokens ?? '-'} | ${r.error ? r.error.slice(0, 80).replace(/\|/g, '/') : ''} |`);
  return `${out.join('\n')}\n`;
}

async function main() {
  const { values: o, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string' }, targets: { type: 'string', default: 'embedded,openai,llama:default,llama:best' },
      'max-tokens': { type: 'string', default: '32' }, shape: { type: 'string', default: 'bench' }, model: { type: 'string' },
      bin: { type: 'string', default: process.env.ANYCLAUDE_BIN ?? 'build/anyclaude' }, 'llama-server': { type: 'string' },
      threads: { type: 'string', default: String(os.availableParallelism?.() ?? os.cpus().length) },
      'ctx-size': { type: 'string', default: '0' }, 'results-dir': { type: 'string', default: 'bench/results' },
      repeat: { type: 'string', default: '1' }, 'llama-config': { type: 'string', multiple: true, default: [] },
      'embedded-config': { type: 'string', multiple: true, default: [] },
    },
  });
  const dirs = positionals.length ? positionals : fs.readdirSync(path.join(REPO, 'bench/session/recordings'), { withFileTypes: true })
    .filter((e) => e.isDirectory()).map((e) => path.join(REPO, 'bench/session/recordings', e.name));
  const recs = dirs.map(loadRecording);
  const maxTokens = Number(o['max-tokens']);
  const log = (...a) => console.error(`[replay ${new Date().toISOString().slice(11, 19)}]`, ...a);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z');
  const outDir = path.resolve(REPO, o['results-dir'], `replay-${stamp}`);
  fs.mkdirSync(path.join(outDir, 'logs'), { recursive: true });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'anyclaude-replay-'));
  process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));
  const info = { command: `node bench/session/replay.mjs ${process.argv.slice(2).join(' ')}`.trim(), maxTokens, threads: Number(o.threads), cpu: os.cpus()[0]?.model ?? '?', load0: os.loadavg()[0].toFixed(2) };

  const results = [];
  const runOn = async (targetName, url, rec) => {
    log(`${rec.name} -> ${targetName}: ${rec.requests.length} requests`);
    const res = await replayRecording(rec, url, {
      maxTokens, onResult: (r) => log(`  ${String(r.seq).padStart(3)} ${r.kind.padEnd(12)} TTFT ${f1(r.ttftMs)} ms total ${f1(r.totalMs)} ms in ${r.usage.input_tokens ?? '-'} read ${r.usage.cache_read_input_tokens ?? '-'}${r.error ? ` ERROR ${r.error.slice(0, 200)}` : ''}`),
    });
    results.push({ recording: rec.name, target: targetName, rows: res.rows, summary: summarize(res) });
  };
  if (o.url) {
    info.model = '(the URL\'s)';
    for (const rec of recs) await runOn(o.url, o.url, rec);
  } else {
    const bin = path.resolve(REPO, o.bin);
    const model = await ensureModel(o, bin);
    info.model = model;
    const named = (list, flag) => Object.fromEntries(list.map((spec) => {
      const i = spec.indexOf('=');
      if (i <= 0) throw new Error(`--${flag} NAME=ARGS, got ${spec}`);
      return [spec.slice(0, i), spec.slice(i + 1).split(/\s+/).filter(Boolean)];
    }));
    const env = {
      embeddedConfigs: { ...EMBEDDED_CONFIGS, ...named(o['embedded-config'], 'embedded-config') },
      anyclaude: bin, llamaServer: await ensureLlamaServer(o), model, threads: Number(o.threads), gpuLayers: null, ctxSize: Number(o['ctx-size']),
      replyTokens: maxTokens || 32000, flashAttn: true, openaiBackend: 'gateway', logDir: path.join(outDir, 'logs'), scratchDir: scratch, llamaConfigs: { ...LLAMA_CONFIGS, ...named(o['llama-config'], 'llama-config') },
    };
    // Each recording on each target from a fresh start (empty caches), one target at a time;
    // round r starts at target r (mod the count), so no target always runs first or last.
    const specs = o.targets.split(',').map((s) => s.trim());
    for (let round = 0; round < Number(o.repeat); ++round) {
      for (const rec of recs) {
        for (let i = 0; i < specs.length; ++i) {
          const t = makeTarget(specs[(i + round) % specs.length], { ...env, logPrefix: `${rec.name}-r${round}-` });
          log(`round ${round + 1}/${o.repeat}, load ${os.loadavg()[0].toFixed(2)}`);
          await t.start();
          try { await runOn(t.name, t.url, rec); } finally { await t.stop(); }
        }
      }
    }
  }
  info.load1 = os.loadavg()[0].toFixed(2);
  const md = markdown(info, recs, results);
  fs.writeFileSync(path.join(outDir, 'report.md'), md);
  fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify({ info, recordings: recs.map(describeRecording), sessions: results.map((x) => ({ recording: x.recording, target: x.target, ...x.summary })), medians: medians(results) }, null, 1));
  const cols = ['recording', 'target', 'seq', 'kind', 'overlapped', 'startMs', 'ttftMs', 'totalMs', 'status', 'input_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens', 'output_tokens', 'error'];
  const csv = [cols.join(',')];
  for (const x of results) for (const r of x.rows) csv.push(cols.map((c) => JSON.stringify(c in r ? r[c] ?? '' : c === 'target' ? x.target : r.usage[c] ?? '')).join(','));
  fs.writeFileSync(path.join(outDir, 'requests.csv'), `${csv.join('\n')}\n`);
  console.log(md);
  log(`results in ${path.relative(REPO, outDir)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main().catch((e) => { console.error(e.stack ?? e); process.exit(1); });

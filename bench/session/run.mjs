#!/usr/bin/env node
// Session benchmark: replays Claude-Code-shaped sessions (trace.mjs) against anyclaude embedded,
// anyclaude in openai mode in front of llama-server, and llama-server's own /v1/messages in
// named configurations, all on the same GGUF file and thread count, in the same run; measures per
// turn TTFT, total time and the usage each server reports, beside the physical limit and the
// no-cache reference (limit.mjs); prints a markdown report and writes it, a CSV and one PNG chart
// per scenario to bench/results/session-<UTC time>/. See bench/session/README.md.
//
//   node bench/session/run.mjs [--shape bench|0.5b|tiny | --model PATH] [--turns 10] [--scenarios ...]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { REPO, FIXTURES } from '../../tests/e2e/lib/paths.mjs';
import { sleep, runProcess } from '../../tests/e2e/lib/procs.mjs';
import { loadFixtures, buildTrace } from './trace.mjs';
import { makeTarget, LLAMA_CONFIGS, EMBEDDED_CONFIGS } from './targets.mjs';
import { LimitMeter } from './limit.mjs';
import { SCENARIOS, scenarioSteps, limitShape } from './scenarios.mjs';
import { sendMessage } from './client.mjs';
import { startCounter } from './counter.mjs';
import { writeReport } from './report.mjs';
import { writeCharts } from './plot.mjs';
import { machineCpu, processCpuMs, selfCpuMs, othersShare } from './machine.mjs';

const { values: o } = parseArgs({
  options: {
    shape: { type: 'string', default: 'bench' },
    model: { type: 'string' },
    bin: { type: 'string', default: process.env.ANYCLAUDE_BIN ?? 'build/anyclaude' },
    'llama-server': { type: 'string' },
    cuda: { type: 'boolean', default: false },
    'gpu-layers': { type: 'string' },
    threads: { type: 'string', default: String(os.availableParallelism?.() ?? os.cpus().length) },
    'flash-attn': { type: 'string', default: 'on' },
    'openai-backend': { type: 'string', default: 'gateway' },
    'limit-repeats': { type: 'string', default: '5' },
    'ctx-size': { type: 'string', default: '0' },
    'prompt-tokens': { type: 'string', default: '18500' },
    turns: { type: 'string', default: '10' },
    'query-tokens': { type: 'string', default: '100' },
    'reply-tokens': { type: 'string', default: '32' },
    'tool-result-tokens': { type: 'string', default: '300' },
    'side-max-tokens': { type: 'string', default: '24' },
    'side-format': { type: 'string', default: 'keep' },
    subagents: { type: 'string', default: '4' },
    'subagent-turns': { type: 'string', default: '3' },
    'subagent-system-tokens': { type: 'string', default: '1500' },
    seed: { type: 'string', default: '1' },
    scenarios: { type: 'string', default: Object.keys(SCENARIOS).join(',') },
    targets: { type: 'string', default: 'embedded,openai,llama:default,llama:best' },
    'llama-config': { type: 'string', multiple: true, default: [] },
    'embedded-config': { type: 'string', multiple: true, default: [] },
    'settle-ms': { type: 'string', default: '250' },
    fixtures: { type: 'string', default: FIXTURES },
    'results-dir': { type: 'string', default: 'bench/results' },
    'dump-trace': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (o.help) {
  console.log(fs.readFileSync(new URL('./README.md', import.meta.url), 'utf8'));
  process.exit(0);
}

const num = (k) => { const v = Number(o[k]); if (!Number.isFinite(v)) throw new Error(`--${k} must be a number`); return v; };
const log = (...a) => console.error(`[session-bench ${new Date().toISOString().slice(11, 19)}]`, ...a);
const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z');
const outDir = path.resolve(REPO, o['results-dir'], `session-${stamp}`);
fs.mkdirSync(path.join(outDir, 'logs'), { recursive: true });
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'anyclaude-session-bench-'));
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));

const machine = () => ({
  uptime: execFileSync('uptime', { encoding: 'utf8' }).trim(),
  loadavg: os.loadavg().map((x) => x.toFixed(2)).join(' '),
});

// The model: --model, or made by anyclaude-make-model into .cache/models/ for --shape.
async function ensureModel(bin) {
  if (o.model) return path.resolve(o.model);
  const type = o.shape === '0.5b' ? 'q8_0' : 'f16';
  const file = path.join(REPO, '.cache/models', o.shape === 'bench' ? 'bench-qwen2.gguf' : `${o.shape}-qwen2-${type}.gguf`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const maker = path.join(path.dirname(bin), 'anyclaude-make-model');
    log(`making the ${o.shape} model: ${file}`);
    const r = await runProcess(maker, ['--out', file, '--shape', o.shape, '--type', type, '--seed', '1'], {}, 600000);
    if (r.code !== 0) throw new Error(`anyclaude-make-model failed:\n${r.stderr}`);
  }
  return file;
}

// llama-server: --llama-server, or bench/session/setup_llama_server.sh (builds it once).
async function ensureLlamaServer() {
  if (o['llama-server']) return path.resolve(o['llama-server']);
  log('llama-server: bench/session/setup_llama_server.sh (builds it the first time, -j2)');
  const r = await runProcess(path.join(REPO, 'bench/session/setup_llama_server.sh'), o.cuda ? ['--cuda'] : [], { cwd: REPO }, 3 * 3600 * 1000);
  if (r.code !== 0) throw new Error(`setup_llama_server.sh failed:\n${r.stderr.slice(-3000)}`);
  return r.stdout.trim().split('\n').at(-1);
}

function parseLlamaConfigs(flag = 'llama-config') {
  const extra = {};
  for (const spec of o[flag]) {
    const i = spec.indexOf('=');
    if (i <= 0) throw new Error(`--${flag} NAME=ARGS, got ${spec}`);
    extra[spec.slice(0, i)] = spec.slice(i + 1).split(/\s+/).filter(Boolean);
  }
  return extra;
}

async function runScenario(name, trace, env, limit, rows, events) {
  const steps = scenarioSteps(name, trace);
  const targets = o.targets.split(',').map((s) => makeTarget(s.trim(), { ...env, logPrefix: `${name}-` }));
  const load0 = machine().loadavg;
  log(`scenario ${name}: ${steps.length} steps x ${targets.length} targets; load ${load0}`);
  const cpu0 = { m: machineCpu(), self: selfCpuMs(), limit: processCpuMs(limit.proc.child.pid) };
  limit.beginScenario(name);
  for (const t of targets) {
    await t.start();
    events.push({ scenario: name, target: t.name, what: 'start', commands: t.commands });
  }
  const settle = () => sleep(num('settle-ms'));
  // One request of a step to one target, logged and kept as a row.
  const send = async (i, step, t) => {
    const shape = limitShape(step, trace);
    // A subagent carries its agent id and the main agent's session id, as Claude Code sends them.
    const headers = step.kind === 'subagent' ? { 'x-claude-code-agent-id': `agent-${step.chain}` } : {};
    const r = await sendMessage(t.url, step.body, { sessionId: `session-${step.kind === 'subagent' ? 'A' : step.chain}`, headers });
    rows.push({ scenario: name, step: i + 1, label: step.label, kind: step.kind, chain: step.chain, turn: step.turn, group: step.group ?? null, target: t.name, prompt: trace.tokens.get(step.body), D: shape.D, N: shape.N, ...r });
    const u = r.usage;
    log(`  ${step.label.padEnd(7)} ${t.name.padEnd(14)} TTFT ${r.ttftMs?.toFixed(1) ?? '-'} ms, total ${r.totalMs.toFixed(0)} ms, in ${u.input_tokens ?? '-'} read ${u.cache_read_input_tokens ?? '-'} create ${u.cache_creation_input_tokens ?? '-'} out ${u.output_tokens ?? '-'}${r.error ? ` ERROR ${r.error}` : ''}`);
  };
  const measureLimit = async (step) => {
    const shape = limitShape(step, trace);
    if (limit.memo.has(`${shape.D}+${shape.N}`)) return;
    await settle();
    const l = await limit.measure(shape.D, shape.N);
    log(`  ${step.label.padEnd(7)} limit          ${l.limitMs.toFixed(1)} ms (prefill ${l.N} at depth ${l.D}: ${l.prefillMs.toFixed(1)} ms + decode step ${l.decodeMs.toFixed(1)} ms)${l.note ? ` (${l.note})` : ''}`);
  };
  try {
    for (let i = 0; i < steps.length; ++i) {
      const step = steps[i];
      const order = targets.map((_, k) => targets[(k + i) % targets.length]);
      if (step.kind === 'restart') {
        for (const t of order) {
          const r = await t.restart();
          events.push({ scenario: name, target: t.name, what: 'restart', ...r });
          log(`  ${t.name}: restarted (stop ${r.stopMs.toFixed(0)} ms, start ${r.startMs.toFixed(0)} ms)`);
        }
        continue;
      }
      if (step.group !== undefined) {
        // A group: on each target in turn, every chain of the group at once, each chain in order.
        let j = i;
        while (j < steps.length && steps[j].group === step.group) ++j;
        const members = steps.slice(i, j).map((st, k) => [i + k, st]);
        const chains = [...new Set(members.map(([, st]) => st.chain))];
        for (const t of order) {
          await settle();
          const t0 = performance.now();
          await Promise.all(chains.map(async (c) => { for (const [k, st] of members.filter(([, x]) => x.chain === c)) await send(k, st, t); }));
          const wallMs = performance.now() - t0;
          events.push({ scenario: name, target: t.name, what: 'group', group: step.group, wallMs });
          log(`  group ${step.group} ${t.name.padEnd(14)} ${members.length} requests in ${wallMs.toFixed(0)} ms`);
        }
        for (const [, st] of members) await measureLimit(st);
        i = j - 1;
        continue;
      }
      for (const t of order) {
        await settle();
        await send(i, step, t);
      }
      await measureLimit(step);
    }
  } finally {
    for (const t of targets) await t.stop();
  }
  // Other people's share of the CPUs while the scenario ran: all busy time minus ours (the
  // targets' processes, the limit server, this process).
  const ours = targets.reduce((a, t) => a + t.cpuMs, 0) + (processCpuMs(limit.proc.child.pid) - cpu0.limit) + (selfCpuMs() - cpu0.self);
  const others = othersShare(cpu0.m, machineCpu(), ours);
  events.push({ scenario: name, what: 'load', before: load0, after: machine().loadavg, othersPct: others === null ? null : 100 * others });
  log(`scenario ${name} done; other processes used ${others === null ? '?' : (100 * others).toFixed(0)}% of the CPUs`);
}

async function main() {
  const started = Date.now();
  const bin = path.resolve(REPO, o.bin);
  if (!fs.existsSync(bin)) throw new Error(`anyclaude not found at ${bin} (build it first: scripts/setup.sh, or --bin)`);
  const model = await ensureModel(bin);
  const llamaServer = await ensureLlamaServer();
  const gpuLayers = o['gpu-layers'] !== undefined ? num('gpu-layers') : (o.cuda ? 999 : null);
  const opts = {
    seed: num('seed'), promptTokens: num('prompt-tokens'), turns: num('turns'), queryTokens: num('query-tokens'),
    replyTokens: num('reply-tokens'), toolResultTokens: num('tool-result-tokens'), sideMaxTokens: num('side-max-tokens'),
    sideFormat: o['side-format'], subagents: num('subagents'), subagentTurns: num('subagent-turns'),
    subagentSystemTokens: num('subagent-system-tokens'),
  };
  if (!['keep', 'drop'].includes(opts.sideFormat)) throw new Error('--side-format must be keep or drop');
  const env = {
    anyclaude: bin, llamaServer, model, threads: num('threads'), gpuLayers, ctxSize: num('ctx-size'),
    replyTokens: opts.replyTokens, flashAttn: o['flash-attn'] === 'on', openaiBackend: o['openai-backend'], logDir: path.join(outDir, 'logs'), scratchDir: scratch,
    llamaConfigs: { ...LLAMA_CONFIGS, ...parseLlamaConfigs() },
    embeddedConfigs: { ...EMBEDDED_CONFIGS, ...parseLlamaConfigs('embedded-config') },
  };
  const info = {
    started: new Date(started).toISOString(), machine: machine(), nproc: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? '?', model, modelBytes: fs.statSync(model).size, shape: o.model ? 'custom' : o.shape,
    threads: env.threads, gpuLayers, flashAttn: env.flashAttn, ctxSize: env.ctxSize, opts,
    targets: o.targets, scenarios: o.scenarios, llamaConfigs: env.llamaConfigs,
    command: `node bench/session/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  };
  log(`load before the run: ${info.machine.uptime}`);
  log(`model ${model} (${(info.modelBytes / 2 ** 20).toFixed(1)} MiB), ${env.threads} threads, llama-server ${llamaServer}`);

  // The trace, sized with the embedded render's exact token counts.
  const counter = await startCounter(env);
  let trace;
  try {
    trace = await buildTrace(loadFixtures(o.fixtures), opts, counter.count);
  } finally { await counter.stop(); }
  log(`trace: turn 1 = ${trace.scale.tokens} tokens (fixture ${trace.scale.base} + ${trace.scale.systemWords} words), ${opts.turns} turns, ${trace.scale.tokensPerWord.toFixed(2)} tokens/word`);
  if (o['dump-trace']) {
    const lines = [];
    for (const k of [...Object.keys(trace.chains), 'sides']) trace[k].forEach((b, i) => lines.push(JSON.stringify({ chain: k, turn: i + 1, tokens: trace.tokens.get(b), body: b })));
    fs.writeFileSync(path.join(outDir, 'trace.jsonl'), `${lines.join('\n')}\n`);
  }

  const maxPrompt = Math.max(...trace.tokens.values());
  const limit = new LimitMeter({ ...env, repeats: num('limit-repeats'), slotCtx: Math.ceil((maxPrompt + 1024) / 256) * 256, logFile: path.join(outDir, 'logs', 'limit-llama-server.log') });
  await limit.start();
  const rows = [];
  const events = [];
  try {
    for (const s of o.scenarios.split(',').map((x) => x.trim())) await runScenario(s, trace, env, limit, rows, events);
  } finally {
    await limit.stop();
  }
  info.limitCommand = `llama-server ${limit.args.join(' ')}`;
  info.finished = new Date().toISOString();
  info.wallS = (Date.now() - started) / 1000;
  info.machineAfter = machine();
  log(`load after the run: ${info.machineAfter.uptime} (${info.wallS.toFixed(0)} s)`);

  const report = writeReport(outDir, { info, trace, rows, events, limit });
  await writeCharts(outDir, report);
  console.log(report.markdown);
  log(`results in ${path.relative(REPO, outDir)}`);
}

main().catch((err) => { console.error(err.stack ?? err); process.exit(1); });

#!/usr/bin/env node
// Gateway overhead: what anyclaude (and claude-code-router, measured in the same run) adds to
// time to first token and per streamed event, compared with calling the backend directly.
// The backend is the scripted test backend in latency mode (N content chunks, no delay); the
// request is Claude Code's interactive first turn (capture-interactive-first.json, ~57-62 KB).
// Requests are sequential on keep-alive connections, after a warm-up, interleaved target by
// target so that machine noise hits all of them alike.
//
//   node bench/overhead/run.mjs [--n 300] [--warmup 30] [--events 100] [--breakdown 100] [--no-ccr]
//        [--bin build/anyclaude] [--log-level warn] [--out bench/results/overhead.json] [--concurrency 16]
// --concurrency C adds a run of C streams at once per target (C keep-alive connections, N
// requests in all), target after target: added TTFT p50 and throughput under load.
// claude-code-router must be installed first: bench/overhead/setup_ccr.sh
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO, readFixture } from '../../tests/e2e/lib/paths.mjs';
import { sleep } from '../../tests/e2e/lib/procs.mjs';
import { makeAgent, measureOnce, streamText, percentile } from './measure.mjs';
import os from 'node:os';
import { startBackend, startAnyclaude, startCcr, treeRssMb, treeCpuMs } from './targets.mjs';

const { values: opt } = parseArgs({
  options: {
    n: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '30' },
    events: { type: 'string', default: '100' },
    breakdown: { type: 'string', default: '100' },
    'no-ccr': { type: 'boolean', default: false },
    bin: { type: 'string', default: process.env.ANYCLAUDE_BIN ?? 'build/anyclaude' },
    'log-level': { type: 'string', default: 'warn' },
    out: { type: 'string' },
    order: { type: 'string', default: 'interleaved' },  // interleaved | blocks
    concurrency: { type: 'string', default: '0' },
  },
});
const N = Number(opt.n);
const ORDER = opt.order;
if (!['interleaved', 'blocks'].includes(ORDER)) throw new Error('--order must be interleaved or blocks');
const WARMUP = Number(opt.warmup);
const EVENTS = Number(opt.events);
const BREAKDOWN = Number(opt.breakdown);
const BIN = path.resolve(REPO, opt.bin);
const CONCURRENCY = Number(opt.concurrency);

const CLAUDE_HEADERS = {
  'anthropic-version': '2023-06-01',
  'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27',
  'user-agent': 'claude-cli/2.1.328 (external, cli)',
  'x-app': 'cli',
};

const started = [];
async function stopAll() { for (const s of started.reverse()) await s.stop().catch(() => {}); }
process.on('SIGINT', () => stopAll().finally(() => process.exit(130)));

function anthropicTarget(t) {
  return { name: t.name, url: t.url, path: '/v1/messages?beta=true', kind: 'anthropic', agent: makeAgent(), headers: { ...CLAUDE_HEADERS, 'x-api-key': t.key }, gw: t };
}

// Warm-up requests; the first ones are checked for the full answer.
async function warm(target, body) {
  for (let i = 0; i < WARMUP; i++) {
    const r = await measureOnce(target, body, { keepText: i < 3 });
    if (r.status !== 200) throw new Error(`${target.name}: HTTP ${r.status}: ${r.lines?.join('\n').slice(0, 500)}`);
    if (i < 3) {
      const text = streamText(target.kind, r.lines);
      if (text !== 'x'.repeat(EVENTS)) throw new Error(`${target.name}: expected ${EVENTS} x's, got ${JSON.stringify(text.slice(0, 200))} (${text.length})`);
    }
  }
}

// Extra requests, each followed by a look at the backend's record of it: how long the request
// took to reach the backend, and how long the answer took from the backend to the client.
async function breakdown(targets, bodyOf, backend) {
  const acc = Object.fromEntries(targets.map((t) => [t.name, { headers: [], body: [], back: [] }]));
  for (let i = 0; i < BREAKDOWN; i++) {
    for (const t of targets) {
      const r = await measureOnce(t, bodyOf(t));
      const rec = await backend.last();
      acc[t.name].headers.push(rec.arrived_at - r.t0e);
      acc[t.name].body.push(rec.received_at - r.t0e);
      acc[t.name].back.push(r.ttft - (rec.headers_sent_at - r.t0e));
    }
  }
  const p50 = (v) => percentile(v, 50);
  return Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, { headers: p50(v.headers), body: p50(v.body), back: p50(v.back) }]));
}

// C streams at once against one target, N requests in all; the same body and targets as above.
async function concurrent(target, body, c) {
  const out = [];
  let left = N;
  const worker = async () => {
    const t = { ...target, agent: makeAgent() };
    while (left-- > 0) out.push(await measureOnce(t, body));
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: c }, worker));
  return { results: out, seconds: (performance.now() - t0) / 1000 };
}

async function concurrentRuns(targets, bodyOf) {
  const acc = Object.fromEntries(targets.map((t) => [t.name, { results: [], seconds: 0 }]));
  for (let round = 0; round < 2; round++) {  // two rounds, targets alternating, against drift
    for (const t of targets) {
      const r = await concurrent(t, bodyOf(t), CONCURRENCY);
      acc[t.name].results.push(...r.results);
      acc[t.name].seconds += r.seconds;
    }
  }
  return Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, {
    ttft_p50: percentile(v.results.map((r) => r.ttft), 50), ttft_p90: percentile(v.results.map((r) => r.ttft), 90),
    per_second: v.results.length / v.seconds, n: v.results.length,
  }]));
}

function summarize(name, rs) {
  const f = (k, p) => percentile(rs.map((r) => r[k]), p);
  const stream = rs.map((r) => r.total - r.ttft);
  return {
    name, n: rs.length,
    ttft: { p50: f('ttft', 50), p90: f('ttft', 90), p99: f('ttft', 99) },
    ttfb: { p50: f('ttfb', 50), p90: f('ttfb', 90), p99: f('ttfb', 99) },
    total_p50: f('total', 50),
    stream_p50: percentile(stream, 50),
    events_p50: f('events', 50),
  };
}

const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

async function main() {
  if (!fs.existsSync(BIN)) throw new Error(`anyclaude binary not found: ${BIN} (build it or pass --bin)`);
  const anthropicBody = JSON.stringify(JSON.parse(readFixture('capture-interactive-first.json')));
  const backend = await startBackend(EVENTS);
  started.push(backend);

  const gw = await startAnyclaude(BIN, backend.url, opt['log-level']);
  started.push(gw);
  await sleep(300);
  const rss = { anyclaude: { start: treeRssMb(gw.rootPid) } };
  const targets = [anthropicTarget(gw)];

  // The direct request is exactly what anyclaude sends upstream for this Claude Code request.
  await measureOnce(targets[0], anthropicBody);
  const directBody = (await backend.last()).body;
  const direct = { name: 'direct', url: backend.url.replace(/\/v1$/, ''), path: '/v1/chat/completions', kind: 'openai', agent: makeAgent(), headers: {} };
  targets.unshift(direct);

  let ccrError = null;
  if (!opt['no-ccr']) {
    try {
      const ccr = await startCcr(backend.url);
      started.push(ccr);
      await sleep(1000);
      rss.ccr = { start: treeRssMb(ccr.rootPid) };
      targets.push(anthropicTarget(ccr));
    } catch (err) { ccrError = err.message; }
  }

  const bodyOf = (t) => (t.kind === 'openai' ? directBody : anthropicBody);
  for (const t of targets) await warm(t, bodyOf(t));

  const results = Object.fromEntries(targets.map((t) => [t.name, []]));
  const load0 = os.loadavg()[0];
  const cpu0 = Object.fromEntries(targets.filter((t) => t.gw).map((t) => [t.name, treeCpuMs(t.gw.rootPid)]));
  if (ORDER === 'blocks') {
    // Each target's requests back to back (how a client session looks to one gateway).
    for (const t of targets) for (let i = 0; i < N; i++) results[t.name].push(await measureOnce(t, bodyOf(t)));
  } else {
    // Targets take turns request by request, so machine noise hits them alike.
    for (let i = 0; i < N; i++) for (const t of targets) results[t.name].push(await measureOnce(t, bodyOf(t)));
  }
  const cpuPerRequest = Object.fromEntries(Object.entries(cpu0).map(([k, v]) => [k, (treeCpuMs(targets.find((t) => t.name === k).gw.rootPid) - v) / N]));
  const load1 = os.loadavg()[0];
  const split = await breakdown(targets, bodyOf, backend);
  const conc = CONCURRENCY > 1 ? await concurrentRuns(targets, bodyOf) : null;
  await sleep(1000);
  rss.anyclaude.after = treeRssMb(gw.rootPid);
  if (rss.ccr) rss.ccr.after = treeRssMb(targets.at(-1).gw.rootPid);

  const sums = Object.fromEntries(targets.map((t) => [t.name, summarize(t.name, results[t.name])]));
  const d = sums.direct;
  const added = (s) => s.ttft.p50 - d.ttft.p50;
  const perEvent = (s) => (s.stream_p50 - d.stream_p50) / EVENTS;

  console.log(`\ngateway overhead (${ORDER}): ${N} sequential requests per target after ${WARMUP} warm-up; request ${anthropicBody.length} bytes (Anthropic) / ${directBody.length} bytes (upstream); ${EVENTS} streamed events each`);
  console.log('TTFT = time to the first content delta; TTFB = time to the first response byte; ms\n');
  console.log(`machine: ${os.cpus().length} CPUs, load average ${load0.toFixed(2)} before the run, ${load1.toFixed(2)} after\n`);
  const head = ['target', 'TTFT p50', 'p90', 'p99', 'TTFB p50', 'added p50', 'per-event added', 'CPU ms/req', 'RSS start MB', 'RSS after MB'];
  const rows = targets.map((t) => {
    const s = sums[t.name];
    const r = rss[t.name];
    return [t.name, fmt(s.ttft.p50), fmt(s.ttft.p90), fmt(s.ttft.p99), fmt(s.ttfb.p50),
      t.name === 'direct' ? '-' : fmt(added(s)), t.name === 'direct' ? '-' : fmt(perEvent(s), 4),
      cpuPerRequest[t.name] === undefined ? '-' : fmt(cpuPerRequest[t.name]),
      r ? fmt(r.start.total, 1) : '-', r ? fmt(r.after.total, 1) : '-'];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padStart(widths[i])).join('  '));
  for (const t of targets) if (sums[t.name].events_p50 !== EVENTS) console.log(`note: ${t.name} delivered ${sums[t.name].events_p50} content events per answer (p50), upstream sent ${EVENTS}`);
  if (rss.ccr) console.log(`ccr processes after the run: ${rss.ccr.after.each.map((e) => `${e.cmd} ${fmt(e.mb, 1)} MB`).join('; ')}`);
  if (ccrError) console.log(`ccr not measured: ${ccrError}`);
  if (BREAKDOWN > 0) {
    console.log(`\nwhere the time goes (p50 of ${BREAKDOWN} more requests, ms; backend clock vs client clock, both epoch-based):`);
    console.log('   target  send->upstream headers  send->upstream body read  upstream first write->client first delta');
    for (const t of targets) {
      const b = split[t.name];
      console.log(`${t.name.padStart(9)}  ${fmt(b.headers).padStart(22)}  ${fmt(b.body).padStart(24)}  ${fmt(b.back).padStart(41)}`);
    }
  }

  if (conc) {
    console.log(`\n${CONCURRENCY} concurrent streams (${N} requests per target per round, 2 rounds; ms):`);
    console.log('   target  TTFT p50  TTFT p90  added p50  requests/s');
    for (const t of targets) {
      const c = conc[t.name];
      const add = t.name === 'direct' ? '-' : fmt(c.ttft_p50 - conc.direct.ttft_p50);
      console.log(`${t.name.padStart(9)}  ${fmt(c.ttft_p50).padStart(8)}  ${fmt(c.ttft_p90).padStart(8)}  ${add.padStart(9)}  ${fmt(c.per_second, 0).padStart(10)}`);
    }
  }

  const gwAdded = added(sums.anyclaude);
  const ccrAdded = sums.ccr ? added(sums.ccr) : NaN;
  const ratio = ccrAdded / Math.max(gwAdded, 0.01);
  console.log(`\nratio ccr-added / anyclaude-added (p50 TTFT): ${Number.isFinite(ratio) ? `${fmt(ratio, 1)}x` : 'n/a (ccr not measured)'}` +
    `${gwAdded < 0.01 ? ' (anyclaude added < 0.01 ms; divided by 0.01)' : ''}`);
  if (sums.ccr) console.log(`ratio of CPU per request, ccr / anyclaude: ${fmt(cpuPerRequest.ccr / cpuPerRequest.anyclaude, 1)}x`);
  const idle = Math.max(rss.anyclaude.start.total, rss.anyclaude.after.total);
  const checks = [
    ['p50 added TTFT <= 0.5 ms', gwAdded <= 0.5, `${fmt(gwAdded)} ms`],
    ['p90 added TTFT <= 1 ms', sums.anyclaude.ttft.p90 - d.ttft.p90 <= 1, `${fmt(sums.anyclaude.ttft.p90 - d.ttft.p90)} ms`],
    ['CPU per request <= 0.5 ms', cpuPerRequest.anyclaude <= 0.5, `${fmt(cpuPerRequest.anyclaude)} ms`],
    ['>= 10x below ccr', Number.isFinite(ratio) && ratio >= 10, Number.isFinite(ratio) ? `${fmt(ratio, 1)}x` : 'ccr not measured'],
    ['idle RSS <= 30 MB', idle <= 30, `${fmt(idle, 1)} MB (max of after start / after run)`],
  ];
  for (const [what, ok, val] of checks) console.log(`${ok ? 'PASS' : 'MISS'}  ${what}: ${val}`);

  const out = opt.out ?? path.join(REPO, 'bench/results', `gateway_overhead-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ n: N, warmup: WARMUP, events: EVENTS, sizes: { anthropic: anthropicBody.length, upstream: directBody.length }, summaries: sums, rss, ratio, checks, breakdown: split, concurrency: conc && { streams: CONCURRENCY, ...conc }, cpuPerRequest, load: [load0, load1], raw: results }, null, 1));
  console.log(`\nraw results: ${path.relative(process.cwd(), out)}`);
}

main().then(stopAll, async (err) => { console.error(`overhead: ${err.stack ?? err}`); await stopAll(); process.exitCode = 1; });

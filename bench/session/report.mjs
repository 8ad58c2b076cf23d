// Report of the session benchmark: per-scenario session totals, the no-cache reference and
// speedups, the issue's targets (PASS/MISS with figures), one per-turn table per scenario, and a
// CSV with one row per request. Writes report.md, requests.csv and summary.json into the results
// folder and returns what the charts need.
import fs from 'node:fs';
import path from 'node:path';
import { SCENARIOS } from './scenarios.mjs';
import { promptTokens } from './client.mjs';

const f0 = (x) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(0));
const f1 = (x) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(1));
const f2 = (x) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(2));
const s1 = (ms) => (ms === null || ms === undefined ? '-' : (ms / 1000).toFixed(1));
const median = (xs) => { const a = [...xs].sort((x, y) => x - y); const m = a.length >> 1; return a.length ? (a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2) : null; };

// The no-cache time of every main and side request: the whole prompt computed from scratch
// (the measured cold prefill of the chain's turn 1 plus the measured prefills of each later
// turn's new tokens at its depth: the same computation, done in pieces) and max_tokens decode
// steps at the measured per-step time.
function noCacheTimes(trace, memo, steps) {
  const lim = (D, N) => memo.get(`${D}+${N}`);
  const cold = new Map();   // body -> cold prefill ms
  for (const k of Object.keys(trace.chains)) {
    let acc = null;
    trace[k].forEach((body, i) => {
      const P = trace.tokens.get(body);
      const D = i === 0 ? 0 : trace.tokens.get(trace[k][i - 1]);
      const l = lim(D, P - D);
      acc = l && (i === 0 || acc !== null) ? (i === 0 ? 0 : acc) + l.prefillMs : null;
      if (acc !== null) cold.set(body, acc);
    });
  }
  for (const body of trace.sides) { const l = lim(0, trace.tokens.get(body)); if (l) cold.set(body, l.prefillMs); }
  const out = new Map();
  for (const st of steps) {
    const l = lim(st.D, st.N);
    const c = cold.get(st.body);
    if (l && c !== undefined) out.set(st.body, c + st.body.max_tokens * l.decodeMs);
  }
  return out;
}

export function writeReport(outDir, { info, trace, rows, events, limit }) {
  const targets = [...new Set(rows.map((r) => r.target))];
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  // Limits are measured in each scenario (beside its requests), so each scenario has its own.
  const memoOf = (s) => limit.memos.get(s) ?? new Map();
  const lim = (r) => memoOf(r.scenario).get(`${r.D}+${r.N}`);

  // Steps per scenario (one per step index), with the body for the no-cache lookup.
  const stepsOf = (s) => {
    const m = new Map();
    for (const r of rows.filter((x) => x.scenario === s)) if (!m.has(r.step)) m.set(r.step, r);
    return [...m.values()];
  };
  const bodies = new Map();
  for (const k of Object.keys(trace.chains)) trace[k].forEach((b, i) => bodies.set(`${k}${i + 1}`, b));
  trace.sides.forEach((b, i) => bodies.set(`side${i + 1}`, b));
  const ncOf = new Map(scenarios.map((s) => [s, noCacheTimes(trace, memoOf(s), stepsOf(s).map((r) => ({ ...r, body: bodies.get(r.label) })))]));
  const noCache = { get: (r) => ncOf.get(r.scenario)?.get(bodies.get(r.label)) };
  const row = (s, step, t) => rows.find((r) => r.scenario === s && r.step === step && r.target === t);

  // Session totals and speedups.
  const totals = {};
  for (const s of scenarios) {
    const steps = stepsOf(s);
    const nc = steps.reduce((a, r) => a + (noCache.get(r) ?? NaN), 0);
    totals[s] = { noCacheMs: nc, byTarget: {} };
    for (const t of targets) {
      const rs = steps.map((st) => row(s, st.step, t)).filter(Boolean);
      // Requests that ran concurrently (a group) count once, as the group's wall time.
      const groupMs = events.filter((e) => e.what === 'group' && e.scenario === s && e.target === t).reduce((a, e) => a + e.wallMs, 0);
      const ms = rs.filter((r) => r.group === null || r.group === undefined).reduce((a, r) => a + r.totalMs, 0) + groupMs;
      const errors = rs.filter((r) => r.error).length;
      const mainMs = rs.filter((r) => r.kind === 'main').reduce((a, r) => a + r.totalMs, 0);
      totals[s].byTarget[t] = { ms, mainMs, sideMs: ms - mainMs, speedup: nc / ms, errors };
    }
  }
  const llamas = targets.filter((t) => t.startsWith('llama-'));
  const bestLlama = llamas.length
    ? llamas.reduce((b, t) => (scenarios.reduce((a, s) => a + totals[s].byTarget[t].ms, 0) < scenarios.reduce((a, s) => a + totals[s].byTarget[b].ms, 0) ? t : b))
    : null;

  // The issue's targets.
  const checks = [];
  const emb = targets.includes('embedded');
  if (emb && bestLlama) {
    for (const [s, bound] of [['plain', 1.0], ['side', 0.9], ['restart', 0.9], ['two', 0.9], ['fanout', 0.8], ['sessions', 0.8]]) {
      if (!totals[s]) continue;
      const e = totals[s].byTarget.embedded.ms;
      const b = totals[s].byTarget[bestLlama].ms;
      checks.push({ what: `${SCENARIOS[s].n}. ${s}: embedded session total / ${bestLlama}`, measured: `${f2(e / b)} (${s1(e)} s / ${s1(b)} s)`, goal: `<= ${bound.toFixed(1)}`, pass: e / b <= bound });
      if (s === 'side') {
        const em = totals[s].byTarget.embedded;
        const bm = totals[s].byTarget[bestLlama];
        checks.push({ what: '(2. side, main turns only / side requests only)', measured: `${f2(em.mainMs / bm.mainMs)} (${s1(em.mainMs)} s / ${s1(bm.mainMs)} s) / ${f2(em.sideMs / bm.sideMs)} (${s1(em.sideMs)} s / ${s1(bm.sideMs)} s)`, goal: 'info', pass: null });
      }
    }
  }
  // Fan-out: the main turn after the subagents, and the subagents' shared prefix computed once.
  const cachedShare = (r) => (r ? (r.usage.cache_read_input_tokens ?? 0) / promptTokens(r.usage) : NaN);
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  if (emb && totals.fanout) {
    const after = rows.filter((r) => r.scenario === 'fanout' && r.target === 'embedded' && r.chain === 'A' && r.turn === 4)[0];
    // All of the main conversation as it stood before the fan-out must still be there: the turn
    // reuses the previous main turn's whole prompt (D) and computes only its new tokens.
    const read = after?.usage.cache_read_input_tokens ?? 0;
    checks.push({ what: '6. fanout: main turn after the fan-out, prompt read from cache (embedded)', measured: `${pct(cachedShare(after))} (${read} of ${after ? promptTokens(after.usage) : '-'}; the previous main turn held ${after?.D ?? '-'})`, goal: '>= 99%, and all the previous turn held', pass: cachedShare(after) >= 0.99 && read >= (after?.D ?? Infinity) });
    const firsts = rows.filter((r) => r.scenario === 'fanout' && r.kind === 'subagent' && r.turn === 1);
    for (const t of targets) {
      const fs1 = firsts.filter((r) => r.target === t);
      const computed = fs1.reduce((a, r) => a + (r.usage.input_tokens ?? 0) + (r.usage.cache_creation_input_tokens ?? 0), 0);
      checks.push({ what: `(6. fanout: subagents' first requests, prompt tokens computed / of all, ${t})`, measured: `${computed} / ${fs1.reduce((a, r) => a + promptTokens(r.usage), 0)}`, goal: 'info', pass: null });
    }
  }
  // Sessions: each session's first turn after the restart.
  if (emb && totals.sessions) {
    for (const c of ['A', 'B', 'C']) {
      const r = rows.find((x) => x.scenario === 'sessions' && x.target === 'embedded' && x.chain === c && x.turn === 3);
      checks.push({ what: `7. sessions: ${c}'s first turn after the restart read from cache (embedded)`, measured: pct(cachedShare(r)), goal: '>= 95%', pass: cachedShare(r) >= 0.95 });
    }
  }
  // TTFT / limit of the embedded target's follow-ups (main turns 2..N) in a scenario.
  const limitRatios = (s) => stepsOf(s).filter((st) => st.kind === 'main' && st.turn > 1).map((st) => {
    const r = row(s, st.step, 'embedded');
    return r && r.ttftMs !== null && lim(st) ? r.ttftMs / lim(st).limitMs : NaN;
  }).filter((x) => !Number.isNaN(x));
  const ratioText = (xs) => `${f2(median(xs))} (range ${f2(Math.min(...xs))}-${f2(Math.max(...xs))}; ${xs.filter((x) => x > 1.15).length} of ${xs.length} turns over 1.15)`;
  if (emb && totals.plain) {
    const ratios = limitRatios('plain');
    checks.push({ what: 'follow-up TTFT / physical limit (embedded, plain, turns 2..N; median)', measured: ratioText(ratios), goal: '<= 1.15', pass: median(ratios) <= 1.15 });
  }
  for (const s of ['side', 'two', 'tools']) {
    const ratios = emb && totals[s] ? limitRatios(s) : [];
    if (ratios.length) checks.push({ what: `(${SCENARIOS[s].n}. ${s}: follow-up TTFT / physical limit, embedded, median)`, measured: ratioText(ratios), goal: 'info', pass: null });
  }
  if (emb && totals.plain && totals.restart) {
    const t2 = (s) => rows.find((r) => r.scenario === s && r.target === 'embedded' && r.chain === 'A' && r.turn === 2)?.ttftMs;
    const a = t2('restart');
    const b = t2('plain');
    checks.push({ what: 'restart: turn 2 TTFT / plain session turn 2 TTFT (embedded)', measured: `${f2(a / b)} (${f1(a)} / ${f1(b)} ms)`, goal: '<= 2', pass: a / b <= 2 });
  }

  // Markdown.
  const md = [];
  const i = info;
  md.push(`# Session benchmark, ${i.started}`, '');
  md.push(`- machine: ${i.nproc} x ${i.cpu}; load before: ${i.machine.uptime.replace(/.*load average/, 'load average')}; after: ${i.machineAfter.uptime.replace(/.*load average/, 'load average')}`);
  md.push(`- model: ${path.basename(i.model)} (${i.shape} shape, ${(i.modelBytes / 2 ** 20).toFixed(1)} MiB), ${i.threads} threads${i.gpuLayers !== null ? `, ${i.gpuLayers} GPU layers` : ', CPU only'}, flash attention ${i.flashAttn ? 'on' : 'off'} (embedded and limit)`);
  md.push(`- trace: seed ${i.opts.seed}, turn 1 = ${trace.scale.tokens} tokens (target ${i.opts.promptTokens}), ${i.opts.turns} turns, ~${i.opts.queryTokens}-token queries, scripted ~${i.opts.replyTokens}-token replies, max_tokens ${i.opts.replyTokens} (side requests ${i.opts.sideMaxTokens}, json_schema output format ${i.opts.sideFormat === 'drop' ? 'dropped' : 'kept'}), ~${i.opts.toolResultTokens}-token tool results, temperature 0`);
  md.push(`- command: \`${i.command}\` (${f0(i.wallS)} s wall)`);
  md.push(`- limit: ${i.limitCommand.replace(/-m \S+/, '-m MODEL').replace(/--port \d+/, '--port P')}`);
  md.push('');
  if (checks.length) {
    md.push('| target | measured | goal | result |', '|---|---|---|---|');
    for (const c of checks) md.push(`| ${c.what} | ${c.measured} | ${c.goal} | ${c.pass === null ? '-' : c.pass ? 'PASS' : 'MISS'} |`);
    md.push('');
  }
  md.push(`Session totals (s; sum of each request's time, first byte sent to end of stream, and the wall time of each group of concurrent requests; restarts not included) and speedup vs no cache:`, '');
  md.push(`| scenario | others' CPU | no cache | ${targets.join(' | ')} |`, `|---|---|---|${targets.map(() => '---').join('|')}|`);
  for (const s of scenarios) {
    const c = targets.map((t) => { const x = totals[s].byTarget[t]; return `${s1(x.ms)} (${f1(x.speedup)}x)${x.errors ? ` ${x.errors} err` : ''}`; });
    const load = events.find((e) => e.scenario === s && e.what === 'load');
    md.push(`| ${SCENARIOS[s].n}. ${s} | ${load?.othersPct == null ? '-' : `${f0(load.othersPct)}%`} | ${s1(totals[s].noCacheMs)} | ${c.join(' | ')} |`);
  }
  md.push('', "others' CPU: the share of the machine's CPUs used by processes other than the bench's own while the scenario ran (other people's work; absolute times grow with it).");
  md.push('');
  const restarts = events.filter((e) => e.what === 'restart');
  if (restarts.length) md.push(`Restart (stop + start until healthy, ms): ${restarts.map((e) => `${e.target} ${f0(e.stopMs)} + ${f0(e.startMs)}`).join('; ')}`, '');

  for (const s of scenarios) {
    md.push(`## ${SCENARIOS[s].n}. ${SCENARIOS[s].title}`, '');
    const load = events.find((e) => e.scenario === s && e.what === 'load');
    if (load) md.push(`Load average ${load.before} before, ${load.after} after; other processes used ${load.othersPct == null ? '?' : f0(load.othersPct)}% of the CPUs. Cells: TTFT ms / total ms (prompt tokens read from cache of the prompt tokens, as the server reports them).`, '');
    md.push(`| step | prompt | depth | new | limit ms | no cache ms | ${targets.join(' | ')} |`, `|---|---|---|---|---|---|${targets.map(() => '---').join('|')}|`);
    for (const st of stepsOf(s)) {
      const l = lim(st);
      const cells = targets.map((t) => {
        const r = row(s, st.step, t);
        if (!r) return '-';
        const e = r.error ? ` **${r.complete ? 'err' : 'ERR'}**` : '';
        return `${f1(r.ttftMs)} / ${f0(r.totalMs)} (${r.usage.cache_read_input_tokens ?? 0} of ${promptTokens(r.usage)})${e}`;
      });
      md.push(`| ${st.label} | ${st.prompt} | ${st.D} | ${st.N} | ${l ? f1(l.limitMs) : '-'} | ${f0(noCache.get(st))} | ${cells.join(' | ')} |`);
    }
    md.push('');
  }
  const errs = rows.filter((r) => r.error);
  if (errs.length) {
    md.push('Errors (err: an error event or status, but the stream ended with message_stop; ERR: it did not):', '');
    for (const r of errs.slice(0, 20)) md.push(`- ${r.scenario} ${r.label} ${r.target}: ${r.error}`);
    md.push('');
  }
  md.push('Commands (first start of each target):', '');
  const seen = new Set();
  for (const e of events.filter((x) => x.what === 'start')) {
    if (seen.has(e.target)) continue;
    seen.add(e.target);
    for (const c of e.commands) md.push(`- ${e.target}: \`${c.replace(/--port(-file)? \S+/g, '').replace(/--cache-dir \S+/, '--cache-dir TMP').replace(/-m \S+|--model \/\S+/, (m) => m.startsWith('-m') ? '-m MODEL' : '--model MODEL').replace(/\s+/g, ' ')}\``);
  }
  const markdown = `${md.join('\n')}\n`;
  fs.writeFileSync(path.join(outDir, 'report.md'), markdown);

  // CSV: one row per request.
  const cols = ['scenario', 'step', 'label', 'kind', 'chain', 'turn', 'target', 'prompt', 'D', 'N', 'ttft_ms', 'total_ms',
    'input_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens', 'output_tokens', 'stop_reason', 'complete', 'error',
    'limit_ms', 'limit_prefill_ms', 'limit_decode_ms', 'no_cache_ms'];
  const q = (v) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  const lines = [cols.join(',')];
  for (const r of rows) {
    const l = lim(r);
    lines.push([r.scenario, r.step, r.label, r.kind, r.chain, r.turn, r.target, r.prompt, r.D, r.N, r.ttftMs?.toFixed(2), r.totalMs.toFixed(2),
      r.usage.input_tokens, r.usage.cache_read_input_tokens, r.usage.cache_creation_input_tokens, r.usage.output_tokens, r.stopReason, r.complete, r.error,
      l?.limitMs.toFixed(2), l?.prefillMs.toFixed(2), l?.decodeMs.toFixed(2), noCache.get(r)?.toFixed(2)].map(q).join(','));
  }
  fs.writeFileSync(path.join(outDir, 'requests.csv'), `${lines.join('\n')}\n`);
  fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify({ info, scale: trace.scale, totals, bestLlama, checks, events }, null, 2));

  return { markdown, targets, scenarios, stepsOf, row, lim, noCache, bodies, outDir };
}

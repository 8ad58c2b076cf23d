// Charts of the session benchmark: for each scenario, a data file of TTFT per main request (one
// column per target, plus the physical limit) and a PNG drawn by gnuplot with ttft.gp. Side
// requests are left out of the charts (they are in the tables and the CSV).
import fs from 'node:fs';
import path from 'node:path';
import { runProcess } from '../../tests/e2e/lib/procs.mjs';
import { SCENARIOS } from './scenarios.mjs';

export async function writeCharts(outDir, report) {
  const { targets, scenarios, stepsOf, row, lim } = report;
  const charts = [];
  for (const s of scenarios) {
    const steps = stepsOf(s).filter((st) => st.kind === 'main');
    const head = ['x', 'step', '"physical limit"', ...targets.map((t) => `"${t}"`)];
    const lines = [head.join('\t')];
    steps.forEach((st, i) => {
      const l = lim(st);
      const cells = targets.map((t) => { const r = row(s, st.step, t); return r && r.ttftMs !== null ? r.ttftMs.toFixed(2) : '-'; });
      lines.push([i + 1, st.label, l ? l.limitMs.toFixed(2) : '-', ...cells].join('\t'));
    });
    const base = `ttft-${SCENARIOS[s].n}-${s}`;
    const dat = path.join(outDir, `${base}.dat`);
    const png = path.join(outDir, `${base}.png`);
    fs.writeFileSync(dat, `${lines.join('\n')}\n`);
    const title = `Scenario ${SCENARIOS[s].n}: ${SCENARIOS[s].title} - TTFT per request`;
    // The restart scenario marks where the servers were restarted (between turns 1 and 2).
    const restartX = s === 'restart' ? 1.5 : 0;
    const expr = `datafile='${dat}'; outfile='${png}'; charttitle='${title}'; ncols=${3 + targets.length}; restartx=${restartX}`;
    const r = await runProcess('gnuplot', ['-e', expr, path.join(path.dirname(new URL(import.meta.url).pathname), 'ttft.gp')], {}, 60000);
    if (r.code !== 0) console.error(`gnuplot failed for ${s} (${r.code}): ${r.stderr}`);
    else charts.push(png);
  }
  return charts;
}

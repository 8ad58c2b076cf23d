// Starts what the gateway-overhead benchmark measures: the scripted backend in latency mode
// (its own process), the anyclaude gateway and claude-code-router in front of it, and reads
// their resident memory from /proc.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startProcess, waitFor, scratchDir, removeDir } from '../../tests/e2e/lib/procs.mjs';
import { REPO } from '../../tests/e2e/lib/paths.mjs';

export const CCR_CLI = path.join(REPO, '.cache/ccr/node_modules/@musistudio/claude-code-router/dist/main/cli.js');
export const CCR_PORT = 3456;
export const CCR_KEY = 'bench-key';

export async function startBackend(events) {
  const p = startProcess(process.execPath, [path.join(REPO, 'tests/e2e/scripted_backend.mjs'), '--port', '0', '--keep-requests', '5']);
  const port = await waitFor(() => Number(/LISTENING (\d+)/.exec(p.stdout())?.[1]), 10000, 'the scripted backend');
  const base = `http://127.0.0.1:${port}`;
  const latency = { kind: 'latency', chunks: events, piece: 'x' };
  await fetch(`${base}/__default`, { method: 'POST', body: JSON.stringify(latency) });
  return {
    port, url: `${base}/v1`, pid: p.child.pid,
    async last() { return (await (await fetch(`${base}/__requests`)).json()).at(-1); },
    stop: () => p.stop(),
  };
}

export async function startAnyclaude(bin, backendUrl, logLevel) {
  const dir = scratchDir('bench-gw');
  const portFile = path.join(dir, 'port');
  const args = ['serve', '--port', '0', '--port-file', portFile, '--mode', 'openai', '--backend-url', backendUrl,
    '--model', 'scripted-model', '--small-model', 'scripted-model', ...(logLevel ? ['--log-level', logLevel] : [])];
  const p = startProcess(bin, args, { env: { PATH: process.env.PATH, HOME: dir }, cwd: dir });
  const port = await waitFor(() => {
    if (p.child.exitCode !== null) throw new Error(`anyclaude exited: ${p.output()}`);
    const t = fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8') : '';
    return /^\d+\s*$/.test(t) ? Number(t) : 0;
  }, 10000, 'the anyclaude port file');
  return {
    name: 'anyclaude', url: `http://127.0.0.1:${port}`, rootPid: p.child.pid, key: 'any',
    async stop() { await p.stop(); removeDir(dir); },
  };
}

const portOpen = (port) => new Promise((resolve) => {
  const s = net.connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

// claude-code-router with a fresh HOME whose config.json routes every claude* model to the backend.
export async function startCcr(backendUrl) {
  if (!fs.existsSync(CCR_CLI)) throw new Error(`claude-code-router is not installed (${CCR_CLI}); run bench/overhead/setup_ccr.sh`);
  if (await portOpen(CCR_PORT)) throw new Error(`port ${CCR_PORT} is already in use; claude-code-router needs it`);
  const home = path.join(REPO, '.cache/ccr/run-home');
  removeDir(home);
  fs.mkdirSync(path.join(home, '.claude-code-router'), { recursive: true });
  const config = {
    APIKEY: CCR_KEY, HOST: '127.0.0.1', LOG: false,
    Providers: [{ name: 'scripted', api_base_url: `${backendUrl}/chat/completions`, api_key: 'x', models: ['scripted-model'] }],
    Router: { rules: [{ type: 'model-prefix', pattern: 'claude', target: 'scripted,scripted-model' }] },
  };
  fs.writeFileSync(path.join(home, '.claude-code-router/config.json'), JSON.stringify(config, null, 2));
  const p = startProcess(process.execPath, [CCR_CLI, 'serve', '--no-open', '--host', '127.0.0.1'], { env: { PATH: process.env.PATH, HOME: home }, cwd: home });
  try {
    await waitFor(async () => {
      if (p.child.exitCode !== null) throw new Error(`ccr exited: ${p.output()}`);
      return portOpen(CCR_PORT);
    }, 60000, `claude-code-router on port ${CCR_PORT}`, 200);
  } catch (err) { await p.stop(); throw err; }
  return { name: 'ccr', url: `http://127.0.0.1:${CCR_PORT}`, rootPid: p.child.pid, key: CCR_KEY, stop: () => p.stop(5000) };
}

function children(pid) {
  const out = [];
  let tasks = [];
  try { tasks = fs.readdirSync(`/proc/${pid}/task`); } catch { return out; }
  for (const t of tasks) {
    try {
      for (const c of fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) out.push(Number(c));
    } catch { /* exited */ }
  }
  return out;
}

export function rssKb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  } catch { return NaN; }
}

// Resident memory of a process and all its descendants, in MB, with the per-process list.
export function treeRssMb(rootPid) {
  const pids = [];
  const walk = (p) => { pids.push(p); for (const c of children(p)) walk(c); };
  walk(rootPid);
  const each = pids.map((p) => ({ pid: p, mb: rssKb(p) / 1024, cmd: cmdline(p) }));
  return { total: each.reduce((a, b) => a + (Number.isFinite(b.mb) ? b.mb : 0), 0), each };
}

// CPU time (user + system) used so far by a process and its descendants, in ms.
export function treeCpuMs(rootPid) {
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  let total = 0;
  const walk = (p) => {
    try {
      const f = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * tick; // utime, stime
    } catch { /* exited */ }
    for (const c of children(p)) walk(c);
  };
  walk(rootPid);
  return total;
}

function cmdline(pid) {
  try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).map((a) => path.basename(a)).slice(0, 3).join(' '); } catch { return '?'; }
}

// Child processes the tests start: each in its own process group, output captured, and all of
// them killed when the test process exits (normally, by an uncaught error, or by a signal).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const live = new Set();

function killGroup(child, signal) {
  try { process.kill(-child.pid, signal); } catch { try { child.kill(signal); } catch { /* gone */ } }
}

process.on('exit', () => { for (const c of live) killGroup(c, 'SIGKILL'); });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => { for (const c of live) killGroup(c, 'SIGKILL'); process.exit(130); });
}

const MAX_LOG = 1 << 20;

// Starts cmd in a new process group. Returns {child, output(), exited (promise of
// {code, signal}), stop(timeoutMs)}; stdout and stderr are kept (up to 1 MiB each).
export function startProcess(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { if (stdout.length < MAX_LOG) stdout += d; });
  child.stderr.on('data', (d) => { if (stderr.length < MAX_LOG) stderr += d; });
  const exited = new Promise((resolve) => {
    child.on('error', (err) => { live.delete(child); resolve({ code: null, signal: null, error: err }); });
    child.on('exit', (code, signal) => { live.delete(child); resolve({ code, signal }); });
  });
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`,
    // SIGTERM to the group, SIGKILL after timeoutMs; resolves when the process is gone.
    async stop(timeoutMs = 3000) {
      if (!live.has(child)) return exited;
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
      const r = await exited;
      clearTimeout(timer);
      killGroup(child, 'SIGKILL'); // leftovers of the group
      return r;
    },
  };
}

function groupAlive(child) {
  try { process.kill(-child.pid, 0); return true; } catch { return false; }
}

// Runs to completion (bounded); kills the group on timeout. Resolves {code, signal, stdout,
// stderr, timedOut, leftover}: leftover is true when processes of its group outlived it by 2 s.
export async function runProcess(cmd, args, opts = {}, timeoutMs = 60000) {
  const p = startProcess(cmd, args, opts);
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; killGroup(p.child, 'SIGKILL'); }, timeoutMs);
  const r = await p.exited;
  clearTimeout(timer);
  let leftover = false;
  if (!timedOut) {
    const end = Date.now() + 2000;
    while (groupAlive(p.child) && Date.now() < end) await sleep(50);
    leftover = groupAlive(p.child);
  }
  killGroup(p.child, 'SIGKILL');
  return { ...r, stdout: p.stdout(), stderr: p.stderr(), timedOut, leftover };
}

export function scratchDir(tag) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `anyclaude-e2e-${tag}-`));
}

// Every regular file under root, recursively, sorted: [{rel (path from root), full, dir (its
// folder)}]; [] when root does not exist.
export function filesUnder(root) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.push({ rel: path.relative(root, full), full, dir: d });
    }
  };
  if (fs.existsSync(root)) walk(root);
  return out.sort((a, b) => a.rel.localeCompare(b.rel));
}

export function removeDir(dir) {
  try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn() every stepMs until it returns a truthy value; throws after timeoutMs.
export async function waitFor(fn, timeoutMs, what, stepMs = 20) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

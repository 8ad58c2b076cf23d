// The servers the session benchmark compares, all on the same model file and thread count:
// anyclaude embedded (in-process llama.cpp, disk tier in a fresh folder per scenario), anyclaude in
// openai mode in front of llama-server, and llama-server's own /v1/messages in named
// configurations. Each target can start, stop and restart (a restart keeps what a real restart
// keeps: anyclaude's disk tier, nothing of llama-server's). Logs go to the results folder.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startProcess, waitFor } from '../../tests/e2e/lib/procs.mjs';
import { processCpuMs } from './machine.mjs';

// llama-server configurations. `default` passes nothing but what every target shares (model,
// threads, port, --jinja, --no-webui); in this build that is 4 slots in one unified KV buffer of
// 4 x the training context, flash attention auto (on for CPU), an 8 GiB host-RAM prompt cache
// and slot prompt similarity 0.1. `best` is the one that did best on this workload (see
// README.md): one KV buffer per slot, so a slot's attention never runs over another slot's cells.
// `gateway` is the best behind anyclaude's openai mode: with the billing line removed, two
// sessions share ~90% of their prompt, and at similarity 0.1 or 0.5 they take turns overwriting
// one slot; at 0.95 each session keeps its own slot. The others are what was tried. More:
// --llama-config NAME='ARGS'.
export const LLAMA_CONFIGS = {
  default: [],
  best: ['-np', '4', '--no-kv-unified', '-c', '131072'],
  gateway: ['-np', '4', '--no-kv-unified', '-c', '131072', '-sps', '0.95'],
  nokvu: ['-np', '4', '--no-kv-unified', '-c', '131072'],
  sps5: ['-sps', '0.5'],
  np1: ['-np', '1'],
  'np1-nocram': ['-np', '1', '--cache-ram', '0'],
  faoff: ['-fa', 'off'],
  issue: ['--cache-ram', '8192', '-np', '4', '--kv-unified', '-sps', '0.1', '-fa', 'off', '-c', '65536'],
};

// anyclaude embedded configurations: arguments after the shared ones (a later flag wins).
// `default` is the shipped defaults (per-sequence KV buffers, sized automatically: 4 x 32k for the
// bench model) unless --ctx-size is given; the others are what the KV layout measurement compared
// (README.md). More: --embedded-config NAME='ARGS'.
export const EMBEDDED_CONFIGS = {
  default: [],
  unified: ['--kv-layout', 'unified', '--ctx-size', '65536'],
  unified128k: ['--kv-layout', 'unified', '--ctx-size', '131072'],
  perseq: ['--kv-layout', 'per-sequence', '--ctx-size', '131072'],
};

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function healthy(url) {
  try {
    const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    return r.status === 200;
  } catch { return false; }
}

function logTo(file, proc) {
  fs.appendFileSync(file, `${proc.output()}\n`);
}

// One llama-server process.
class LlamaServer {
  constructor(env, args, logFile) {
    this.env = env;
    this.args = args;
    this.logFile = logFile;
    this.proc = null;
    this.cpuMs = 0;  // CPU time of every process this part has run, counted when it stops
  }

  async start() {
    const port = await freePort();
    const e = this.env;
    const args = ['-m', e.model, '--host', '127.0.0.1', '--port', String(port), '-t', String(e.threads), '--jinja',
      '--no-webui', ...(e.gpuLayers !== null ? ['-ngl', String(e.gpuLayers)] : []), ...this.args];
    this.cmd = `llama-server ${args.join(' ')}`;
    this.proc = startProcess(e.llamaServer, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    this.url = `http://127.0.0.1:${port}`;
    await waitFor(async () => {
      if (this.proc.child.exitCode !== null) throw new Error(`llama-server exited:\n${this.proc.output().slice(-3000)}`);
      return healthy(this.url);
    }, 120000, 'llama-server /health', 100);
  }

  async stop() {
    if (!this.proc) return;
    this.cpuMs += processCpuMs(this.proc.child.pid);
    await this.proc.stop(10000);
    logTo(this.logFile, this.proc);
    this.proc = null;
  }
}

// One anyclaude gateway process (embedded or openai mode).
class Anyclaude {
  constructor(env, args, logFile, scratch) {
    this.env = env;
    this.args = args;
    this.logFile = logFile;
    this.scratch = scratch;
    this.proc = null;
    this.cpuMs = 0;
  }

  async start() {
    const portFile = path.join(this.scratch, 'port');
    fs.rmSync(portFile, { force: true });
    const args = ['serve', '--port', '0', '--port-file', portFile, '--log-level', 'info', ...this.args];
    this.cmd = `anyclaude ${args.join(' ')}`;
    this.proc = startProcess(this.env.anyclaude, args, { env: { PATH: process.env.PATH, HOME: this.scratch }, cwd: this.scratch });
    const port = await waitFor(() => {
      if (this.proc.child.exitCode !== null) throw new Error(`anyclaude exited:\n${this.proc.output().slice(-3000)}`);
      const t = fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8') : '';
      return /^\d+\s*$/.test(t) ? Number(t) : 0;
    }, 120000, 'the anyclaude port file', 50);
    this.url = `http://127.0.0.1:${port}`;
    await waitFor(() => healthy(this.url), 30000, 'anyclaude /health', 50);
  }

  // SIGTERM: the embedded engine writes its live sequences to the disk tier before exiting.
  async stop() {
    if (!this.proc) return;
    this.cpuMs += processCpuMs(this.proc.child.pid);
    await this.proc.stop(60000);
    logTo(this.logFile, this.proc);
    this.proc = null;
  }
}

// A target: name, url, start() (fresh caches), restart() (a process restart), stop().
class Target {
  constructor(name, label, parts, onFresh) {
    this.name = name;
    this.label = label;
    this.parts = parts;       // started in order, stopped in reverse
    this.onFresh = onFresh ?? (() => {});
  }
  get url() { return this.parts.at(-1).url; }
  get commands() { return this.parts.map((p) => p.cmd).filter(Boolean); }
  get cpuMs() { return this.parts.reduce((a, p) => a + p.cpuMs, 0); }
  async start({ fresh = true } = {}) {
    if (fresh) this.onFresh();
    for (const p of this.parts) await p.start();
  }
  async stop() { for (const p of [...this.parts].reverse()) await p.stop(); }
  // Stops and starts again, keeping what survives a restart; returns {stopMs, startMs}.
  async restart() {
    const t0 = performance.now();
    await this.stop();
    const t1 = performance.now();
    await this.start({ fresh: false });
    return { stopMs: t1 - t0, startMs: performance.now() - t1 };
  }
}

// env: {anyclaude, llamaServer, model, threads, gpuLayers (null: none), ctxSize, replyTokens,
// logDir, scratchDir}. spec: 'embedded[:<config>]' | 'openai[:<config>]' | 'llama:<config>'.
export function makeTarget(spec, env) {
  const log = (n) => path.join(env.logDir, `${env.logPrefix ?? ''}${n}.log`);
  const gpu = env.gpuLayers !== null ? ['--gpu-layers', String(env.gpuLayers)] : [];
  const em = /^embedded(?::([\w-]+))?$/.exec(spec);
  if (em) {
    const config = em[1] ?? 'default';
    const extra = env.embeddedConfigs?.[config] ?? EMBEDDED_CONFIGS[config];
    if (!extra) throw new Error(`unknown anyclaude embedded configuration ${config} (known: ${Object.keys({ ...EMBEDDED_CONFIGS, ...env.embeddedConfigs }).join(', ')})`);
    const name = em[1] ? `embedded-${em[1]}` : 'embedded';
    const scratch = fs.mkdtempSync(path.join(env.scratchDir, 'embedded-'));
    const cacheDir = path.join(scratch, 'kv');
    const args = ['--model', env.model, '--cache-dir', cacheDir, '--threads', String(env.threads),
      ...(env.ctxSize ? ['--ctx-size', String(env.ctxSize)] : []), '--parallel', '4', '--flash-attn', String(env.flashAttn),
      '--max-tokens-cap', String(env.replyTokens), ...gpu, ...extra];
    const gw = new Anyclaude(env, args, log(name), scratch);
    return new Target(name, `anyclaude embedded${em[1] ? ` ${em[1]}` : ''}`, [gw], () => fs.rmSync(cacheDir, { recursive: true, force: true }));
  }
  const oa = /^openai(?::([\w-]+))?$/.exec(spec);
  if (oa) {
    const backend = oa[1] ?? env.openaiBackend ?? 'gateway';
    const name = oa[1] ? `openai-${oa[1]}` : 'openai';
    const backendArgs = env.llamaConfigs?.[backend] ?? LLAMA_CONFIGS[backend];
    if (!backendArgs) throw new Error(`unknown llama-server configuration ${backend} for the openai target`);
    const ls = new LlamaServer(env, backendArgs, log(`${name}-llama-server`));
    const scratch = fs.mkdtempSync(path.join(env.scratchDir, 'openai-'));
    const gw = new Anyclaude(env, [], log(`${name}-gateway`), scratch);
    const target = new Target(name, `anyclaude openai -> llama-server ${backend}`, [ls, gw]);
    // The gateway's backend URL is known once llama-server has its port.
    const start = ls.start.bind(ls);
    ls.start = async () => {
      await start();
      gw.args = ['--mode', 'openai', '--backend-url', `${ls.url}/v1`, '--model', 'bench-model', '--max-tokens-cap', String(env.replyTokens)];
    };
    return target;
  }
  const m = /^llama:([\w-]+)$/.exec(spec);
  if (!m) throw new Error(`unknown target ${spec}`);
  const args = env.llamaConfigs?.[m[1]] ?? LLAMA_CONFIGS[m[1]];
  if (!args) throw new Error(`unknown llama-server configuration ${m[1]} (known: ${Object.keys({ ...LLAMA_CONFIGS, ...env.llamaConfigs }).join(', ')})`);
  const ls = new LlamaServer(env, args, log(`llama-${m[1]}`));
  return new Target(`llama-${m[1]}`, `llama-server ${m[1]}`, [ls]);
}


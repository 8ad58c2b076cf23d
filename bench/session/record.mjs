#!/usr/bin/env node
// Records real Claude Code sessions driven by the scripted agent: a fresh copy of the small
// repository (agent_repo.mjs), the agent (agent_backend.mjs) behind `anyclaude serve --mode openai
// --record DIR`, and real Claude Code (node_modules/.bin/claude) running the prompts of
// agent_plan.mjs with `-p` (the second and later with `--continue`), offline, in a fresh HOME.
// The interactive recordings (record_interactive.mjs) run `anyclaude claude` in a terminal instead,
// typing prompts and /compact. Regenerates the committed recordings under
// bench/session/recordings/ (bodies gzipped):
//
//   node bench/session/record.mjs [--out bench/session/recordings] [--latency-ms 300] [--sessions a,b]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { parseArgs } from 'node:util';
import { REPO, CLAUDE_BIN } from '../../tests/e2e/lib/paths.mjs';
import { runProcess, startProcess, waitFor } from '../../tests/e2e/lib/procs.mjs';
import { startAgent } from './agent_backend.mjs';
import { makeRepo } from './agent_repo.mjs';
import { PROMPTS } from './agent_plan.mjs';
import { recordInteractive } from './record_interactive.mjs';

// The committed sessions: name -> prompts in order (agent_plan.mjs PROMPTS).
export const SESSIONS = {
  'agents-continue': ['A', 'B'],  // three parallel subagents, the fix, then a --continue prompt
  'one-prompt': ['B'],            // one prompt, no subagents
};

// The interactive sessions: name -> {steps (prompts or /compact), env}. The launcher turns
// Claude Code's nonessential traffic off (CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1) and that
// also stops the session-title request; set empty here (the launcher keeps a value the user set,
// and Claude Code reads an empty one as off), so the title request is recorded too.
export const INTERACTIVE = {
  'interactive-compact': { steps: ['A', '/compact', 'B'], env: { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '' } },
};

// Claude Code's environment as in ../shared/fixtures/claude-code-2.1.328/README.md: offline, no
// telemetry, its own HOME.
export function claudeEnv(home, baseUrl, extra = {}) {
  return {
    PATH: process.env.PATH, HOME: home, TMPDIR: home, ANTHROPIC_BASE_URL: baseUrl, ANTHROPIC_API_KEY: 'any',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1', ...extra,
  };
}

// Starts `anyclaude serve` recording into recDir in front of backendUrl; returns {url, stop()}.
export async function startRecordingGateway({ bin, backendUrl, recDir, redact = false, scratch }) {
  const portFile = path.join(scratch, `port-${Math.random().toString(36).slice(2)}`);
  const args = ['serve', '--port', '0', '--port-file', portFile, '--mode', 'openai', '--backend-url', backendUrl,
    '--model', 'agent-model', '--record', recDir, '--record-redact', String(redact), '--log-level', 'warn'];
  const proc = startProcess(bin, args, { env: { PATH: process.env.PATH, HOME: scratch }, cwd: scratch });
  const port = await waitFor(() => {
    if (proc.child.exitCode !== null) throw new Error(`anyclaude exited:\n${proc.output()}`);
    const t = fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8') : '';
    return /^\d+\s*$/.test(t) ? Number(t) : 0;
  }, 20000, 'the gateway port file', 20);
  return { url: `http://127.0.0.1:${port}`, proc, stop: () => proc.stop(10000) };
}

// Runs one session: prompts (keys of PROMPTS) in order against a recording gateway. Returns
// {runs: [{prompt, code, stdout, stderr, ms}], repo, recDir}. opts: bin, recDir, prompts,
// repoDir, latencyMs, redact, timeoutMs (per prompt), allowedTools.
export async function recordSession({ bin, recDir, prompts, repoDir, latencyMs = 0, redact = false, timeoutMs = 120000 }) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'anyclaude-record-'));
  const home = path.join(scratch, 'home');
  fs.mkdirSync(home);
  makeRepo(repoDir);
  const agent = await startAgent({ repo: repoDir, latencyMs });
  const gw = await startRecordingGateway({ bin, backendUrl: agent.url, recDir, redact, scratch });
  const runs = [];
  try {
    for (const [i, p] of prompts.entries()) {
      const args = ['-p', PROMPTS[p].text, '--allowedTools', 'Read Edit Bash Agent Glob Grep Write', ...(i > 0 ? ['--continue'] : [])];
      const t0 = performance.now();
      const r = await runProcess(CLAUDE_BIN, args, { cwd: repoDir, env: claudeEnv(home, gw.url) }, timeoutMs);
      runs.push({ prompt: p, code: r.code, timedOut: r.timedOut, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 });
      if (r.code !== 0) break;
    }
  } finally {
    await gw.stop();
    await agent.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return { runs, repo: repoDir, recDir, gatewayLog: gw.proc.output() };
}

// requests/*.json -> .json.gz (replay reads either): what gets committed.
export function gzipBodies(recDir) {
  const dir = path.join(recDir, 'requests');
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    fs.writeFileSync(path.join(dir, `${f}.gz`), zlib.gzipSync(fs.readFileSync(path.join(dir, f)), { level: 9 }));
    fs.rmSync(path.join(dir, f));
  }
}

async function main() {
  const { values: o } = parseArgs({
    options: {
      out: { type: 'string', default: 'bench/session/recordings' }, 'latency-ms': { type: 'string', default: '300' },
      bin: { type: 'string', default: process.env.ANYCLAUDE_BIN ?? 'build/anyclaude' }, redact: { type: 'boolean', default: false },
      sessions: { type: 'string', default: [...Object.keys(SESSIONS), ...Object.keys(INTERACTIVE)].join(',') },
    },
  });
  const bin = path.resolve(REPO, o.bin);
  for (const name of o.sessions.split(',')) {
    const recDir = path.resolve(REPO, o.out, name);
    fs.rmSync(recDir, { recursive: true, force: true });
    // A fixed repository path: the recordings' environment blocks and tool inputs stay the same.
    const repoDir = path.join(os.tmpdir(), 'anyclaude-agent-repo');
    if (INTERACTIVE[name]) {
      const { steps, env } = INTERACTIVE[name];
      const r = await recordInteractive({ bin, recDir, steps, repoDir, env, latencyMs: Number(o['latency-ms']), redact: o.redact });
      console.error(`${name} (${steps.join(', ')}): ${(r.ms / 1000).toFixed(1)} s`);
    } else {
      const r = await recordSession({ bin, recDir, prompts: SESSIONS[name], repoDir, latencyMs: Number(o['latency-ms']), redact: o.redact });
      for (const run of r.runs) console.error(`${name} prompt ${run.prompt}: exit ${run.code} in ${(run.ms / 1000).toFixed(1)} s: ${run.stdout.trim().split('\n').at(-1)}`);
      if (r.runs.some((x) => x.code !== 0)) throw new Error(`${name}: claude failed\n${r.runs.map((x) => x.stderr).join('\n')}\n${r.gatewayLog}`);
    }
    gzipBodies(recDir);
    console.error(`${name}: ${fs.readFileSync(path.join(recDir, 'index.jsonl'), 'utf8').trim().split('\n').length} requests in ${path.relative(REPO, recDir)}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main().catch((e) => { console.error(e.stack ?? e); process.exit(1); });

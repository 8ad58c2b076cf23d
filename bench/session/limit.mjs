// The physical limit of a turn and the no-cache reference, measured on raw llama.cpp through a
// dedicated llama-server's /completion endpoint (same model file, threads, n_batch = n_ubatch =
// 512 and flash-attention setting as the embedded engine; one KV pool, no host-RAM cache).
// Prompts are token ids, not text: the cost of a dense model's prefill does not depend on which
// ids they are, so a turn with D tokens of reusable prefix and N new tokens is measured as
// "prefill N unseen ids after D cached ids, then one decode step", read from llama-server's own
// timings (prompt_ms for the N tokens, predicted_ms for n_predict = 2: one decode step and the
// sampling around it). Slot 0 keeps a long synthetic prefix S, so any depth D is reached by
// computing only what slot 0 lacks (untimed); D = 0 (a cold prompt) runs on slot 1 with fresh ids.
// The two slots have separate KV buffers (--no-kv-unified): in a unified buffer each slot's
// attention would also run over the other slot's cells (masked, but computed without flash
// attention), which is not the cost of the turn itself.
import { startProcess, waitFor } from '../../tests/e2e/lib/procs.mjs';
import { rng } from './filler.mjs';
import { freePort } from './targets.mjs';
import fs from 'node:fs';

const MAX_TOKENS = 1 << 17;

function ids(seed, n) {
  const r = rng(seed);
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = 1000 + Math.floor(r() * 140000); // plain BPE ids, no specials
  return out;
}

export class LimitMeter {
  // env: {llamaServer, model, threads, flashAttn, gpuLayers, slotCtx (KV cells per slot), repeats, logFile}
  constructor(env) {
    this.env = env;
    this.S = ids(0x5eed, MAX_TOKENS);
    this.inSlot0 = 0;   // length of the prefix of S that slot 0 holds
    this.fresh = 1;     // seed of the next unseen-ids sequence
    this.memo = new Map();
    this.memos = new Map(); // scenario -> its measurements
  }

  // Measurements are kept per scenario and made beside the scenario's own requests, so that a
  // slow or fast phase of the (shared) machine hits the targets and their limit alike.
  beginScenario(name) {
    this.memo = new Map();
    this.memos.set(name, this.memo);
  }

  async start() {
    const e = this.env;
    const port = await freePort();
    this.args = ['-m', e.model, '--host', '127.0.0.1', '--port', String(port), '-t', String(e.threads),
      '-np', '2', '--no-kv-unified', '-c', String(2 * e.slotCtx), '-b', '512', '-ub', '512', '--cache-ram', '0',
      '-fa', e.flashAttn ? 'on' : 'off', '--no-webui', ...(e.gpuLayers !== null ? ['-ngl', String(e.gpuLayers)] : [])];
    this.proc = startProcess(e.llamaServer, this.args, { env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    this.url = `http://127.0.0.1:${port}`;
    await waitFor(async () => {
      if (this.proc.child.exitCode !== null) throw new Error(`limit llama-server exited:\n${this.proc.output().slice(-3000)}`);
      try { return (await fetch(`${this.url}/health`)).status === 200; } catch { return false; }
    }, 120000, 'the limit llama-server', 100);
    // Warm-up (the first computations after loading are slower): a short prompt on each slot.
    await this.complete(ids(0xabc, 600), 1, 2);
    await this.complete(this.S.slice(0, 512), 0, 2);
    this.inSlot0 = 512;
  }

  async stop() {
    if (!this.proc) return;
    await this.proc.stop(10000);
    fs.appendFileSync(this.env.logFile, this.proc.output());
    this.proc = null;
  }

  async complete(prompt, slot, nPredict) {
    const res = await fetch(`${this.url}/completion`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt, n_predict: nPredict, id_slot: slot, cache_prompt: true, temperature: 0, ignore_eos: true }),
    });
    const j = await res.json();
    if (res.status !== 200) throw new Error(`limit /completion: HTTP ${res.status}: ${JSON.stringify(j).slice(0, 300)}`);
    return j;
  }

  // {prefillMs, decodeMs, limitMs, promptN, cachedN} for N new tokens after D reusable ones.
  async measure(D, N) {
    const key = `${D}+${N}`;
    if (this.memo.has(key)) return this.memo.get(key);
    if (D + N + 4 > MAX_TOKENS) throw new Error(`limit: ${D}+${N} tokens is too long`);
    let slot = 0;
    let prompt;
    const unseen = ids(0xf00d + this.fresh++, N);
    if (D === 0) {
      slot = 1;
      prompt = unseen;
    } else {
      if (this.inSlot0 < D) await this.complete(this.S.slice(0, D), 0, 1); // untimed: bring slot 0 to depth D
      this.inSlot0 = D;
      prompt = this.S.slice(0, D).concat(unseen);
    }
    // A warm turn is measured `repeats` times (fresh ids each time; slot 0 goes back to depth D by
    // itself) and the median taken; a cold prompt once (it costs a full prefill).
    const samples = [];
    const n = D === 0 ? 1 : this.env.repeats ?? 3;
    for (let k = 0; k < n; k++) {
      if (k > 0) prompt = this.S.slice(0, D).concat(ids(0xf00d + this.fresh++, N));
      samples.push((await this.complete(prompt, slot, 2)).timings);
    }
    samples.sort((a, b) => (a.prompt_ms + a.predicted_ms) - (b.prompt_ms + b.predicted_ms));
    const t = samples[samples.length >> 1];
    const r = {
      prefillMs: t.prompt_ms, decodeMs: t.predicted_ms, limitMs: t.prompt_ms + t.predicted_ms,
      promptN: t.prompt_n, cachedN: t.cache_n ?? null, D, N, samples: samples.length,
    };
    if (r.promptN !== N) r.note = `llama-server computed ${r.promptN} of the ${N} new tokens`;
    this.memo.set(key, r);
    return r;
  }
}

// The embedded engine at its limits: a client that goes away mid-generation or mid-prefill frees its
// sequence at once (/health engine.cancelled) and the gateway keeps serving; a prompt longer than
// --ctx-size is a 400 invalid_request_error naming both numbers; two long conversations that do
// not fit in the KV cells together still both get answered (the idle one moves to the RAM tier).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { sleep, waitFor } from './lib/procs.mjs';
import {
  tinyModelForFile, withEmbedded, engineStats, statsDelta, admissions, fixture, countTokens, promptTotal,
  followUp, sendTurn,
} from './lib/embedded.mjs';

const FEW = 8;

// Answers of an exact length: the model never ends one by itself.
const tiny = tinyModelForFile('embedded-limits', { neverStop: true });

const withGateway = (opts, fn) => withEmbedded({ ...tiny, ...opts }, fn);

const clock = () => performance.now();

// Polls /health until engine.cancelled reaches n; returns the milliseconds since `since`.
async function cancelledWithin(gw, n, since, timeoutMs) {
  await waitFor(async () => (await engineStats(gw)).cancelled >= n, timeoutMs, `/health engine.cancelled to reach ${n}`, 10);
  return clock() - since;
}

// Waits until a counter stops moving (two reads `quietMs` apart agree); returns its value.
async function settled(gw, key, quietMs = 300) {
  let prev = (await engineStats(gw))[key];
  for (let i = 0; i < 20; i++) {
    await sleep(quietMs);
    const cur = (await engineStats(gw))[key];
    if (cur === prev) return cur;
    prev = cur;
  }
  assert.fail(`/health engine.${key} keeps moving`);
}

test('client disconnects: mid-generation and mid-prefill; the sequence is freed at once and the gateway keeps serving', { timeout: 120000 }, async (t) => {
  await withGateway({ ctxSize: 16384, maxTokensCap: 4000 }, async (gw, sdk) => {
    // Mid-generation: a long answer (max_tokens 4000; this model never stops by itself), aborted after
    // the first words.
    const ctrl = new AbortController();
    const stream = sdk.messages.stream({ model: 'claude-sonnet-5-5', max_tokens: 4000, messages: [{ role: 'user', content: 'Write a very long story.' }] }, { signal: ctrl.signal });
    stream.on('error', () => {});
    let deltas = 0;
    stream.on('text', () => { deltas++; });
    const done = stream.done().catch((e) => e);
    await waitFor(() => deltas >= 5, 20000, 'the first words of the answer');
    const before = await engineStats(gw);
    assert.equal(before.cancelled, 0);
    const t0 = clock();
    ctrl.abort();
    const err = await done;
    assert.ok(err instanceof Error, 'the SDK saw its own abort');
    const ms = await cancelledWithin(gw, 1, t0, 3000);
    t.diagnostic(`mid-generation: engine.cancelled = 1 ${ms.toFixed(0)} ms after the abort`);
    assert.ok(ms < 1000, `the engine noticed the disconnect ${ms.toFixed(0)} ms after the client aborted`);
    const generated = await settled(gw, 'generated_tokens');
    assert.ok(generated < 4000, `generation stopped (${generated} tokens generated in all)`);

    // Mid-prefill: Claude Code's ~10k-token first turn, aborted once the first prefill batch is in.
    const s0 = await engineStats(gw);
    const body = fixture('capture-first.json');
    const n = await countTokens(gw, body);
    const ctrl2 = new AbortController();
    const p = sdk.messages.create({ ...body, stream: true }, { signal: ctrl2.signal }).then(async (s) => { for await (const _ of s); }).catch((e) => e);
    await waitFor(async () => (await engineStats(gw)).computed_tokens > s0.computed_tokens, 20000, 'the prefill to start', 5);
    const t1 = clock();
    ctrl2.abort();
    await p;
    const ms2 = await cancelledWithin(gw, 2, t1, 3000);
    const computed = (await settled(gw, 'computed_tokens')) - s0.computed_tokens;
    t.diagnostic(`mid-prefill: engine.cancelled = 2 ${ms2.toFixed(0)} ms after the abort; ${computed} of ${n} prompt tokens computed`);
    assert.ok(ms2 < 1000, `the engine noticed the disconnect ${ms2.toFixed(0)} ms after the client aborted`);
    assert.ok(computed < n, `the prefill stopped early: ${computed} of ${n} tokens computed`);

    // Still serving, and the half-computed prompt is not lost: its computed part is reused.
    const r = await sendTurn(sdk, { model: 'claude-sonnet-5-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, { stream: true });
    assert.equal(r.final.output_tokens, 5);
    assert.equal(r.stopReason, 'max_tokens');
    const whole = await sendTurn(sdk, { ...body, max_tokens: 3 }, { stream: false });
    assert.equal(promptTotal(whole.final), n);
    t.diagnostic(`the aborted prompt sent again: ${JSON.stringify(whole.final)}`);
    assert.equal(whole.final.output_tokens, 3);
    const d = statsDelta(before, await engineStats(gw));
    t.diagnostic(`engine: ${JSON.stringify(d)}; admissions ${JSON.stringify(admissions(gw.logs()))}`);
  });
});

test('a prompt longer than --ctx-size is a 400 invalid_request_error naming both numbers', { timeout: 60000 }, async () => {
  await withGateway({ ctxSize: 2048, maxTokensCap: 16 }, async (gw, sdk) => {
    const body = fixture('capture-first.json');
    const n = await countTokens(gw, body);
    assert.ok(n > 2048, `capture-first is ${n} tokens`);
    for (const stream of [true, false]) {
      let err;
      try {
        await sendTurn(sdk, body, { stream });
      } catch (e) { err = e; }
      assert.ok(err instanceof Anthropic.BadRequestError, `stream ${stream}: expected a 400, got ${err?.status} ${err?.message ?? 'success'}`);
      assert.equal(err.status, 400);
      assert.equal(err.error?.type, 'error');
      assert.equal(err.error?.error?.type, 'invalid_request_error');
      // Both numbers exactly: the prompt's size is count_tokens', and the maximum is --ctx-size
      // less the one cell the first generated token needs (engine.hpp max_prompt_tokens). 2048 is
      // a multiple of 256, so llama.cpp keeps it as is (--ctx-size 2049 became 2304: "2303 maximum").
      assert.equal(err.error?.error?.message, `prompt is too long: ${n} tokens > ${2048 - 1} maximum`, `stream ${stream}`);
    }
    // A prompt that fits still works.
    const r = await sendTurn(sdk, { model: 'claude-sonnet-5-5', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }, { stream: true });
    assert.equal(r.final.output_tokens, 4);
    const s = await engineStats(gw);
    assert.equal(s.requests, 1, `rejected prompts never reach the engine: ${JSON.stringify(s)}`);
  });
});

// Claude Code's first turn with a different system prompt: another conversation of the same size
// that shares only the first few tokens.
function otherConversation() {
  const body = fixture('capture-first.json');
  body.system = body.system.map((b, i) => (i === 0 ? b : { ...b, text: `Other agent. ${b.text.split(' ').reverse().join(' ')}` }));
  return body;
}

test('two long conversations that do not fit in the KV cells together are both answered; the idle one moves to the RAM tier', { timeout: 120000 }, async (t) => {
  // One unified buffer of 16384 cells for 4 sequences: one ~9.8k-token conversation fits, two do
  // not. (Per-sequence buffers each hold a whole window, so there the two never compete.)
  await withGateway({ ctxSize: 16384, maxTokensCap: 16, layout: 'unified' }, async (gw, sdk) => {
    const a1 = fixture('capture-first.json');
    const b1 = otherConversation();
    const na = await countTokens(gw, a1);
    const nb = await countTokens(gw, b1);
    assert.ok(na + nb > 16384, `the two conversations (${na} + ${nb} tokens) do not fit together`);

    const ra = await sendTurn(sdk, a1, { stream: true });
    assert.equal(promptTotal(ra.final), na);
    const rb = await sendTurn(sdk, b1, { stream: true });
    assert.equal(promptTotal(rb.final), nb);
    assert.ok(rb.final.cache_read_input_tokens < 64, `conversation B shares only a few tokens with A: ${JSON.stringify(rb.final)}`);

    // A's follow-up finds its prefix in RAM.
    const a2 = followUp(a1, ra.text, 'block parser sigma, back to the first conversation.');
    const n2 = await countTokens(gw, a2);
    const r2 = await sendTurn(sdk, a2, { stream: true });
    const s = await engineStats(gw);
    t.diagnostic(`A2 usage ${JSON.stringify(r2.final)}; engine ${JSON.stringify(s)}; admissions ${JSON.stringify(admissions(gw.logs()))}`);
    assert.equal(promptTotal(r2.final), n2);
    assert.ok(r2.final.cache_read_input_tokens >= na - FEW, `A's follow-up reads A's first turn (${na} tokens): ${JSON.stringify(r2.final)}`);
    assert.ok(s.reused_from.ram >= 1, `/health engine.reused_from: ${JSON.stringify(s.reused_from)}`);
  });
});

test('clients leaving while their prompts are still being rendered: the gateway survives every round and keeps serving', { timeout: 120000 }, async (t) => {
  // Regression (found by the soak benchmark): cancelling a request whose prompt was being
  // rendered on the render pool crashed the process.
  await withGateway({ parallel: 2 }, async (gw, sdk) => {
    for (let round = 0; round < 16; round++) {
      const sockets = [];
      for (let i = 0; i < 8; i++) {
        const req = { ...fixture('capture-first.json'), stream: true };
        req.messages[0].content.at(-1).text = `question ${round}.${i}: ${Math.random()}`; // a new prompt each time
        const body = JSON.stringify(req);
        const s = net.connect(gw.port, '127.0.0.1');
        s.on('error', () => {});
        s.write(`POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
        s.write(body);
        sockets.push(s);
      }
      await sleep(20 + (round % 6) * 6);
      for (const s of sockets) s.destroy();
      await sleep(30);
      assert.equal(gw.proc.child.exitCode, null, `the gateway died in round ${round}\n${gw.logs().slice(-3000)}`);
    }
    // The abandoned requests drain (renders queued behind others are skipped), then a new
    // request is answered.
    await waitFor(async () => (await (await fetch(`${gw.url}/health`)).json()).in_flight === 0, 30000,
      'the abandoned requests to drain', 50);
    const r = await sendTurn(sdk, { ...fixture('capture-side-1.json') }, { stream: true });
    assert.equal(r.events.at(-1).type, 'message_stop');
  });
});

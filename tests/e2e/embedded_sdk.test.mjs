// The official SDK against the embedded engine (`anyclaude serve --model tiny.gguf`): a 3-turn
// Claude Code-shaped conversation with a session-title side request in between, streamed and not,
// and the usage the prompt cache reports (cache_creation on the first turn, cache_read covering
// the previous turn afterwards, input + cache_read + cache_creation = the exact token count).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  tinyModelForFile, withEmbedded, engineStats, statsDelta, admissions, fixture, countTokens, promptTotal,
  followUp, sendTurn,
} from './lib/embedded.mjs';

// A follow-up's cached prefix must cover the previous turn's whole prompt; allow this many
// tokens less (a template may render the previous turn's last tokens differently).
const FEW = 8;

const tiny = tinyModelForFile('embedded-sdk');

const withGateway = (opts, fn) => withEmbedded({ ...tiny, ...opts }, fn);

// Checks one turn's usage against the exact token count; returns the usage the client ends with.
function checkUsage(r, total, label, { stream }) {
  const where = [...(stream ? [['message_start', r.start]] : []), [stream ? 'message_delta' : 'message', r.final]];
  for (const [name, u] of where) {
    assert.ok(u, `${label}: ${name} carries usage`);
    for (const k of ['input_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens']) {
      assert.ok(Number.isInteger(u[k]) && u[k] >= 0, `${label}: ${name}.usage.${k} = ${u[k]}`);
    }
    assert.equal(promptTotal(u), total,
      `${label}: ${name} input_tokens + cache_read + cache_creation = count_tokens (${JSON.stringify(u)})`);
  }
  if (stream) {
    for (const k of ['input_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens']) {
      assert.equal(r.final[k], r.start[k], `${label}: message_delta.usage.${k} = message_start's`);
    }
  }
  assert.ok(r.final.output_tokens > 0, `${label}: output_tokens ${r.final.output_tokens}`);
  assert.ok(['max_tokens', 'end_turn'].includes(r.stopReason), `${label}: stop_reason ${r.stopReason}`);
  return r.final;
}

for (const stream of [true, false]) {
  const mode = stream ? 'streaming' : 'non-streaming';
  test(`${mode}: a 3-turn Claude Code conversation reuses its prefix; a side request in between does not evict it`, { timeout: 120000 }, async (t) => {
    await withGateway({ ctxSize: 16384, maxTokensCap: 16 }, async (gw, sdk) => {
      const s0 = await engineStats(gw);

      // Turn 1: cold cache. The system blocks and the environment message carry cache_control,
      // so everything up to the last breakpoint is cache creation.
      const t1 = fixture('capture-first.json');
      const n1 = await countTokens(gw, t1);
      const r1 = await sendTurn(sdk, t1, { stream });
      const u1 = checkUsage(r1, n1, 'turn 1', { stream });
      assert.equal(u1.cache_read_input_tokens, 0, `turn 1 reads nothing from a cold cache: ${JSON.stringify(u1)}`);
      assert.ok(u1.cache_creation_input_tokens > 0, `turn 1 creates cache (system blocks carry cache_control): ${JSON.stringify(u1)}`);
      assert.ok(u1.cache_creation_input_tokens > n1 / 2, `the breakpoints cover most of turn 1: ${JSON.stringify(u1)} of ${n1}`);

      // Turn 2: the same conversation + the assistant's answer + a new user message.
      const t2 = followUp(t1, r1.text, 'block parser sigma, now the second question.');
      const n2 = await countTokens(gw, t2);
      const r2 = await sendTurn(sdk, t2, { stream });
      const u2 = checkUsage(r2, n2, 'turn 2', { stream });
      assert.ok(u2.cache_read_input_tokens >= n1 - FEW,
        `turn 2 reads turn 1's prompt (${n1} tokens) from the cache: ${JSON.stringify(u2)}`);
      assert.ok(u2.cache_read_input_tokens < n2, `turn 2 computes its new tokens: ${JSON.stringify(u2)} of ${n2}`);
      if (stream) assert.equal(r2.start.cache_read_input_tokens, u2.cache_read_input_tokens);

      // A side request (session title: other system prompt, no tools, output_config json_schema).
      const side = fixture('capture-side-1.json');
      const ns = await countTokens(gw, side);
      const rs = await sendTurn(sdk, side, { stream });
      checkUsage(rs, ns, 'side request', { stream });

      // Turn 3: the conversation keeps its cache despite the side request.
      const t3 = followUp(t2, r2.text, 'kernel vector delta, and a third one.');
      const n3 = await countTokens(gw, t3);
      const r3 = await sendTurn(sdk, t3, { stream });
      const u3 = checkUsage(r3, n3, 'turn 3', { stream });
      assert.ok(u3.cache_read_input_tokens >= n2 - FEW,
        `turn 3 reads turn 2's prompt (${n2} tokens) from the cache after the side request: ${JSON.stringify(u3)}`);

      const d = statsDelta(s0, await engineStats(gw));
      t.diagnostic(`engine: ${JSON.stringify(d)}`);
      t.diagnostic(`admissions: ${JSON.stringify(admissions(gw.logs()))}`);
      assert.equal(d.requests, 4);
      assert.equal(d.prompt_tokens, n1 + n2 + ns + n3, '/health prompt_tokens = the exact counts');
      assert.equal(d.reused_tokens, u2.cache_read_input_tokens + u3.cache_read_input_tokens + (rs.final.cache_read_input_tokens),
        '/health reused_tokens = the cache_read reported to the client');
      assert.ok(d.computed_tokens <= n1 + ns + (n2 - n1) + (n3 - n2) + 2 * FEW,
        `only new tokens are computed: ${JSON.stringify(d)}`);
    });
  });
}

test('count_tokens is exact: it equals input_tokens + cache_read + cache_creation of the same request', { timeout: 120000 }, async (t) => {
  await withGateway({ ctxSize: 32768, maxTokensCap: 4 }, async (gw, sdk) => {
    const shapes = [
      ['a one-word message', { model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }],
      ['capture-side-1 (session title)', fixture('capture-side-1.json')],
      ['capture-first', fixture('capture-first.json')],
      ['capture-toolresult-followup', fixture('capture-toolresult-followup.json')],
      ['capture-interactive-first', fixture('capture-interactive-first.json')],
    ];
    for (const [label, body] of shapes) {
      const n = await countTokens(gw, body);
      const r = await sendTurn(sdk, body, { stream: true });
      t.diagnostic(`${label}: count_tokens ${n}, usage ${JSON.stringify(r.start)}`);
      assert.equal(promptTotal(r.start), n, `${label}: message_start usage ${JSON.stringify(r.start)} vs count_tokens ${n}`);
      assert.equal(promptTotal(r.final), n, `${label}: message_delta usage ${JSON.stringify(r.final)} vs count_tokens ${n}`);
      // Counting again, now that the prompt is cached, gives the same number.
      assert.equal(await countTokens(gw, body), n, `${label}: count_tokens is stable`);
    }
    const body = shapes[0][1];
    const whole = await sendTurn(sdk, body, { stream: false });
    assert.equal(promptTotal(whole.final), await countTokens(gw, body), 'non-streaming usage matches count_tokens too');
  });
});

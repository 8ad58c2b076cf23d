// The real gateway in front of each kind of server (recorded answers in scripted_backend.mjs's
// BACKEND_KINDS): it learns the model's window from the endpoints that server really has, says
// so on GET /health/backend, and answers a prompt over the window with a plain HTTP 400
// "prompt is too long: N tokens > M maximum" (what Claude Code 2.1.328 parses to compact),
// before any SSE byte, also when the server's own error comes after the 2 s commit grace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { start, BACKEND_KINDS } from './scripted_backend.mjs';
import { startPair } from './lib/gateway.mjs';

const WINDOW = 8192;
const CLAUDE_CODE_PATTERN = /prompt is too long[^0-9]*(\d+)\s*tokens?\s*>\s*(\d+)/i;  // research file section 5

// A request whose prompt the gateway estimates at about `tokens` (4 bytes a token).
const body = (tokens, extra = {}) => JSON.stringify({
  model: 'claude-sonnet-4-5', max_tokens: 32000, stream: true,
  messages: [{ role: 'user', content: 'x'.repeat(tokens * 4) }], ...extra,
});

async function post(gw, text) {
  const res = await fetch(`${gw.url}/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: text,
    signal: AbortSignal.timeout(60000),
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

function assertPromptTooLong(r, label) {
  assert.equal(r.status, 400, `${label}: ${r.text}`);
  assert.match(r.type, /application\/json/, `${label}: a plain HTTP error, no SSE`);
  const err = JSON.parse(r.text).error;
  assert.equal(err.type, 'invalid_request_error', label);
  const m = err.message.match(CLAUDE_CODE_PATTERN);
  assert.ok(m, `${label}: Claude Code's pattern matches ${err.message}`);
  assert.equal(Number(m[2]), WINDOW, label);
  assert.ok(Number(m[1]) > WINDOW, `${label}: N > M in ${err.message}`);
}

for (const [kind, shape] of Object.entries(BACKEND_KINDS)) {
  test(`${kind}: the window is learned and an over-long prompt is a plain 400`, { timeout: 60000 }, async () => {
    const pair = await startPair((o) => start({ ...o, endpoints: shape.endpoints('main-model', WINDOW) }), { model: 'main-model' });
    try {
      const health = await (await fetch(`${pair.gw.url}/health/backend`)).json();
      assert.deepEqual(health, {
        reachable: true, model: 'main-model', context_window: WINDOW, window_source: shape.source, problem: '', fix: '',
      });

      // Clearly over: refused by the gateway, never sent.
      assertPromptTooLong(await post(pair.gw, body(12000)), `${kind} clearly over`);
      assert.equal(pair.backend.requests().length, 0);

      // Near the window the server decides, here after the usual 2 s grace.
      pair.backend.script([{ ...shape.contextError(8300, WINDOW), headers_delay_ms: 2500 }]);
      assertPromptTooLong(await post(pair.gw, body(7500)), `${kind} near the window`);
      assert.equal(pair.backend.requests().length, 1);

      // A prompt that fits: max_tokens is sized to what is left of the window.
      const ok = await post(pair.gw, body(1000));
      assert.equal(ok.status, 200, ok.text);
      assert.match(ok.text, /event: message_stop/);
      const sent = JSON.parse(pair.backend.requests().at(-1).body);
      assert.ok(sent.max_tokens < WINDOW - 900 && sent.max_tokens > WINDOW - 1100, `max_tokens ${sent.max_tokens}`);
    } finally {
      await pair.stop();
    }
  });
}

test('vLLM: a max_tokens that does not fit is retried with what fits, not reported as a long prompt', { timeout: 30000 }, async () => {
  // No endpoint tells the window: only the server's error does.
  const pair = await startPair(start, { model: 'main-model' });
  try {
    pair.backend.script([BACKEND_KINDS.vllm.maxTokensError(12000, 32768, 32000)]);
    const r = await post(pair.gw, body(100));
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /event: message_stop/);
    const sent = pair.backend.requests().map((q) => JSON.parse(q.body).max_tokens);
    assert.deepEqual(sent, [32000, 32768 - 12000]);
  } finally {
    await pair.stop();
  }
});

// The official SDK against the gateway: text and thinking, streaming (messages.stream and
// create({stream:true})) and not, usage mapping, stop reasons, model mapping, and the shape of
// the upstream chat/completions request.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { start } from './scripted_backend.mjs';
import { startPair } from './lib/gateway.mjs';
import { client, basic, drain, lastUpstream, upstream } from './lib/sdk.mjs';

let pair;
let sdk;
before(async () => {
  pair = await startPair(start, { model: 'main-model', smallModel: 'small-model' });
  sdk = client(pair.gw);
});
after(async () => { await pair?.stop(); });
beforeEach(() => pair.backend.reset());

const USAGE = { prompt_tokens: 1200, completion_tokens: 7, cached_tokens: 1000 };

test('messages.stream: text arrives as deltas and the final message is complete', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'text', content: ['Hello', ', ', 'world', '!'], delay_ms: 20, usage: USAGE }]);
  const stream = sdk.messages.stream(basic());
  const deltas = [];
  stream.on('text', (d) => deltas.push(d));
  const msg = await stream.finalMessage();
  assert.equal(deltas.join(''), 'Hello, world!');
  assert.ok(deltas.length >= 2, `text came in ${deltas.length} delta(s), expected streaming`);
  assert.equal(msg.type, 'message');
  assert.equal(msg.role, 'assistant');
  assert.deepEqual(msg.content.map((b) => [b.type, b.text]), [['text', 'Hello, world!']]);
  assert.equal(msg.stop_reason, 'end_turn');
  assert.equal(msg.usage.output_tokens, 7);
  assert.equal(msg.usage.input_tokens, 200, 'input_tokens excludes cached tokens');
  assert.equal(msg.usage.cache_read_input_tokens, 1000);

  const up = lastUpstream(pair.backend);
  assert.equal(up.stream, true);
  assert.deepEqual(up.stream_options, { include_usage: true });
  assert.equal(up.model, 'main-model');
  assert.deepEqual(up.messages.at(-1), { role: 'user', content: 'hi' });
});

test('create({stream:true}): events follow the Messages API order', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'text', content: ['one ', 'two'], usage: USAGE }]);
  const { events, error } = await drain(await sdk.messages.create(basic({ stream: true })));
  assert.equal(error, null);
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'message_start');
  assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
  const starts = events.filter((e) => e.type === 'content_block_start');
  assert.deepEqual(starts.map((e) => [e.index, e.content_block.type]), [[0, 'text']]);
  const text = events.filter((e) => e.type === 'content_block_delta').map((e) => e.delta.text).join('');
  assert.equal(text, 'one two');
  const md = events.find((e) => e.type === 'message_delta');
  assert.equal(md.delta.stop_reason, 'end_turn');
  assert.equal(md.usage.output_tokens, 7);
  const ms = events[0].message;
  assert.equal(ms.role, 'assistant');
  assert.deepEqual(ms.content, []);
  assert.match(ms.id, /^msg_/);
});

test('non-streaming create returns one message with mapped usage; upstream is still streamed', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'text', content: ['Plain ', 'answer.'], usage: USAGE }]);
  const msg = await sdk.messages.create(basic());
  assert.deepEqual(msg.content.map((b) => [b.type, b.text]), [['text', 'Plain answer.']]);
  assert.equal(msg.stop_reason, 'end_turn');
  assert.equal(msg.usage.input_tokens, 200);
  assert.equal(msg.usage.cache_read_input_tokens, 1000);
  assert.equal(msg.usage.output_tokens, 7);
  const up = lastUpstream(pair.backend);
  assert.equal(up.stream, true);
  assert.equal(up.stream_options?.include_usage, true);
});

test('finish_reason length maps to stop_reason max_tokens', { timeout: 20000 }, async () => {
  pair.backend.script([
    { kind: 'text', content: ['cut ', 'off'], finish_reason: 'length' },
    { kind: 'text', content: ['cut ', 'off'], finish_reason: 'length' },
  ]);
  const streamed = await sdk.messages.stream(basic()).finalMessage();
  assert.equal(streamed.stop_reason, 'max_tokens');
  const whole = await sdk.messages.create(basic());
  assert.equal(whole.stop_reason, 'max_tokens');
});

for (const field of ['reasoning_content', 'reasoning']) {
  test(`thinking from "${field}" becomes a thinking block with a signature`, { timeout: 20000 }, async () => {
    pair.backend.script([
      { kind: 'text', reasoning: ['Let me ', 'think.'], reasoning_field: field, content: ['Answer.'] },
      { kind: 'text', reasoning: ['Quiet ', 'thought.'], reasoning_field: field, content: ['Done.'] },
    ]);
    const req = basic({ max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 } });
    const stream = sdk.messages.stream(req);
    const thinking = [];
    stream.on('thinking', (d) => thinking.push(d));
    const msg = await stream.finalMessage();
    assert.deepEqual(msg.content.map((b) => b.type), ['thinking', 'text']);
    assert.equal(msg.content[0].thinking, 'Let me think.');
    assert.equal(thinking.join(''), 'Let me think.');
    assert.equal(typeof msg.content[0].signature, 'string');
    assert.ok(msg.content[0].signature.length > 0, 'thinking block has a non-empty signature');
    assert.equal(msg.content[1].text, 'Answer.');

    const whole = await sdk.messages.create(req);
    assert.deepEqual(whole.content.map((b) => b.type), ['thinking', 'text']);
    assert.equal(whole.content[0].thinking, 'Quiet thought.');
    assert.ok(whole.content[0].signature?.length > 0);
    assert.equal(whole.content[1].text, 'Done.');
  });
}

test('thinking blocks sent back in history do not break the request', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'text', content: ['ok'] }]);
  const msg = await sdk.messages.create({
    model: 'claude-opus-5-5', max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 },
    messages: [
      { role: 'user', content: 'first' },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'earlier thought', signature: 'sig-from-before' }, { type: 'text', text: 'first answer' }] },
      { role: 'user', content: 'second' },
    ],
  });
  assert.equal(msg.content.at(-1).text, 'ok');
  const up = lastUpstream(pair.backend);
  const roles = up.messages.map((m) => m.role);
  assert.deepEqual(roles.slice(-3), ['user', 'assistant', 'user']);
  assert.ok(JSON.stringify(up.messages.at(-2)).includes('first answer'));
});

test('model names map: opus and sonnet to --model, haiku to --small-model', { timeout: 20000 }, async () => {
  for (const model of ['claude-opus-5-5', 'claude-sonnet-5-5', 'claude-haiku-5-5', 'claude-3-5-haiku-20241022']) {
    await sdk.messages.create(basic({ model }));
  }
  assert.deepEqual(upstream(pair.backend).map((u) => u.model), ['main-model', 'main-model', 'small-model', 'small-model']);
});

test('system prompt and conversation map to chat messages in order', { timeout: 20000 }, async () => {
  await sdk.messages.create({
    model: 'claude-sonnet-5-5', max_tokens: 100,
    system: [{ type: 'text', text: 'You are terse.' }, { type: 'text', text: 'Answer in English.', cache_control: { type: 'ephemeral' } }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'q1' }] },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'q2' },
    ],
    temperature: 0.2,
    stop_sequences: ['END'],
  });
  const up = lastUpstream(pair.backend);
  const text = (c) => (typeof c === 'string' ? c : c.map((p) => p.text).join(''));
  assert.deepEqual(up.messages.map((m) => m.role), ['system', 'user', 'assistant', 'user']);
  assert.ok(text(up.messages[0].content).includes('You are terse.'));
  assert.ok(text(up.messages[0].content).includes('Answer in English.'));
  assert.deepEqual(up.messages.slice(1).map((m) => text(m.content)), ['q1', 'a1', 'q2']);
  assert.equal(up.temperature, 0.2);
  assert.deepEqual(up.stop, ['END']);
  assert.ok(!up.raw.includes('cache_control'), 'cache_control is not forwarded');
});

test('<think> tags printed in the text become a thinking block', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'text', content: ['<thi', 'nk>pondering ', 'deeply</th', 'ink>', 'The answer.'] }]);
  const msg = await sdk.messages.stream(basic({ max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 } })).finalMessage();
  assert.deepEqual(msg.content.map((b) => b.type), ['thinking', 'text']);
  assert.equal(msg.content[0].thinking.trim(), 'pondering deeply');
  assert.equal(msg.content[1].text.trim(), 'The answer.');
});

test('usage on the finish chunk (no separate usage chunk) is mapped too', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'text', text: 'ok', usage: { prompt_tokens: 50, completion_tokens: 2, cached_tokens: 40 }, usage_in_finish_chunk: true }]);
  const msg = await sdk.messages.stream(basic()).finalMessage();
  assert.equal(msg.usage.input_tokens, 10);
  assert.equal(msg.usage.cache_read_input_tokens, 40);
  assert.equal(msg.usage.output_tokens, 2);
});

test('a backend that sends no usage and no [DONE] still ends the message properly', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'text', content: ['no ', 'usage'], usage: false, omit_done: true }]);
  const { events, error } = await drain(await sdk.messages.create(basic({ stream: true })));
  assert.equal(error, null);
  assert.equal(events.at(-1).type, 'message_stop');
  const md = events.find((e) => e.type === 'message_delta');
  assert.equal(md.delta.stop_reason, 'end_turn');
  assert.ok(Number.isInteger(md.usage.output_tokens) && md.usage.output_tokens >= 0);
});

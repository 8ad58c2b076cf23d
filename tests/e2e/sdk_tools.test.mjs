// Tool calling through the gateway with the official SDK: parallel streamed tool calls in the
// llama-server/vLLM (fragments), MLX-LM (whole) and Ollama (all in one chunk) shapes, tool calls
// printed as text (Hermes, Qwen3-Coder XML), and the tool_use/tool_result round trip upstream.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { start } from './scripted_backend.mjs';
import { startPair } from './lib/gateway.mjs';
import { client, basic, lastUpstream, READ_TOOL, BASH_TOOL } from './lib/sdk.mjs';

let pair;
let sdk;
before(async () => {
  pair = await startPair(start, { model: 'main-model' });
  sdk = client(pair.gw);
});
after(async () => { await pair?.stop(); });
beforeEach(() => pair.backend.reset());

const withTools = (extra = {}) => basic({ tools: [READ_TOOL, BASH_TOOL], messages: [{ role: 'user', content: 'look around' }], ...extra });
const CALLS = [
  { name: 'Read', arguments: { file_path: '/tmp/a.txt', limit: 10 } },
  { name: 'Bash', arguments: { command: 'ls -la "/tmp/dir with space"', description: 'List files', timeout: 5000 } },
];

function assertToolUses(msg, calls) {
  const uses = msg.content.filter((b) => b.type === 'tool_use');
  assert.deepEqual(uses.map((u) => u.name), calls.map((c) => c.name));
  uses.forEach((u, i) => {
    assert.deepEqual(u.input, calls[i].arguments);
    assert.deepEqual(Object.keys(u.input), Object.keys(calls[i].arguments), 'input key order kept');
    assert.equal(typeof u.id, 'string');
    assert.ok(u.id.length > 0);
  });
  assert.equal(new Set(uses.map((u) => u.id)).size, uses.length, 'tool_use ids are distinct');
  assert.equal(msg.stop_reason, 'tool_use');
  return uses;
}

for (const style of ['fragments', 'whole', 'whole_one_chunk']) {
  test(`parallel tool calls streamed as ${style} become tool_use blocks`, { timeout: 20000 }, async () => {
    pair.backend.script([{ kind: 'tool_calls', style, calls: CALLS, fragment_size: 4 }]);
    const msg = await sdk.messages.stream(withTools()).finalMessage();
    assert.deepEqual(msg.content.map((b) => b.type), ['tool_use', 'tool_use']);
    assertToolUses(msg, CALLS);
  });
}

test('text before tool calls stays a text block in front of them', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'tool_calls', content: ['Let me ', 'check.'], calls: CALLS.slice(0, 1) }]);
  const msg = await sdk.messages.stream(withTools()).finalMessage();
  assert.deepEqual(msg.content.map((b) => b.type), ['text', 'tool_use']);
  assert.equal(msg.content[0].text, 'Let me check.');
  assertToolUses(msg, CALLS.slice(0, 1));
});

test('non-streaming create returns tool_use blocks too', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'tool_calls', calls: CALLS }]);
  const msg = await sdk.messages.create(withTools());
  assertToolUses(msg, CALLS);
});

test('Hermes <tool_call> text split across chunks becomes tool_use', { timeout: 20000 }, async () => {
  const calls = [{ name: 'Read', arguments: { file_path: '/tmp/notes.txt' } }];
  pair.backend.script([{ kind: 'text_tool_calls', format: 'hermes', before: 'I will read it.\n', calls, split: 3 }]);
  const msg = await sdk.messages.stream(withTools()).finalMessage();
  assert.deepEqual(msg.content.map((b) => b.type), ['text', 'tool_use']);
  assert.equal(msg.content[0].text.trim(), 'I will read it.');
  assertToolUses(msg, calls);
  assert.ok(!JSON.stringify(msg.content).includes('<tool_call>'), 'no tag text leaks');
});

test('Qwen3-Coder <function=...> text becomes tool_use, typed by the tool schema', { timeout: 20000 }, async () => {
  const calls = [
    { name: 'Read', arguments: { file_path: '/tmp/notes.txt', limit: 20 } },
    { name: 'Bash', arguments: { command: 'echo "a < b"', timeout: 1.5 } },
  ];
  pair.backend.script([
    { kind: 'text_tool_calls', format: 'qwen3-coder', calls, split: 4 },
    { kind: 'text_tool_calls', format: 'qwen3-coder-bare', calls: calls.slice(0, 1), split: 2 },
  ]);
  const msg = await sdk.messages.stream(withTools()).finalMessage();
  assert.deepEqual(msg.content.map((b) => b.type), ['tool_use', 'tool_use']);
  assertToolUses(msg, calls);
  assert.equal(typeof msg.content[0].input.limit, 'number');

  const bare = await sdk.messages.stream(withTools()).finalMessage();
  assert.deepEqual(bare.content.filter((b) => b.type !== 'text' || b.text.trim()).map((b) => b.type), ['tool_use']);
  assertToolUses(bare, calls.slice(0, 1));
});

test('text that only looks like a tag start is kept as text', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'text', content: ['a <', 'tool', ' is 1 < 2 and <b>bold</b>'] }]);
  const msg = await sdk.messages.stream(withTools()).finalMessage();
  assert.deepEqual(msg.content.map((b) => [b.type, b.text]), [['text', 'a <tool is 1 < 2 and <b>bold</b>']]);
  assert.equal(msg.stop_reason, 'end_turn');
});

test('tool definitions, tool_use and tool_result map to tools, tool_calls and role "tool"', { timeout: 20000 }, async () => {
  pair.backend.script([{ kind: 'text', content: ['The file says hello.'] }]);
  const input = { file_path: '/tmp/a.txt', limit: 10 };
  const msg = await sdk.messages.create(withTools({
    messages: [
      { role: 'user', content: 'read /tmp/a.txt' },
      { role: 'assistant', content: [{ type: 'text', text: 'Reading.' }, { type: 'tool_use', id: 'toolu_01abc', name: 'Read', input }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01abc', content: 'hello from the file' }] },
    ],
  }));
  assert.equal(msg.content[0].text, 'The file says hello.');
  const up = lastUpstream(pair.backend);
  assert.deepEqual(up.tools.map((t) => [t.type, t.function.name]), [['function', 'Read'], ['function', 'Bash']]);
  assert.deepEqual(up.tools[0].function.parameters, READ_TOOL.input_schema);
  assert.ok(up.raw.includes(JSON.stringify(READ_TOOL.input_schema)), 'tool schema forwarded byte for byte');
  const assistant = up.messages.find((m) => m.role === 'assistant');
  assert.equal(assistant.tool_calls.length, 1);
  const call = assistant.tool_calls[0];
  assert.equal(call.type, 'function');
  assert.equal(call.function.name, 'Read');
  assert.equal(call.function.arguments, JSON.stringify(input), 'arguments are the client input, byte-stable');
  const tool = up.messages.find((m) => m.role === 'tool');
  assert.ok(tool, 'a role "tool" message');
  assert.equal(tool.tool_call_id, call.id);
  const content = typeof tool.content === 'string' ? tool.content : tool.content.map((p) => p.text).join('');
  assert.equal(content, 'hello from the file');
  assert.equal(up.messages.indexOf(tool), up.messages.indexOf(assistant) + 1, 'tool result directly follows its call');
});

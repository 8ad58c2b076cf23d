// Real Claude Code 2.1.328 and its WebSearch tool through the gateway's own web search.
// When the main model calls WebSearch, Claude Code sends a small-model request that carries
// Anthropic's web_search server tool (web_search_20250305, max_uses 8); the gateway offers the
// scripted model a web_search function, runs the query against a SearXNG-shaped stub
// (lib/search_stub.mjs), and answers Claude Code with server_tool_use + web_search_tool_result
// blocks and the model's text. Checked: the hits reach the final answer and the transcript; with
// no provider configured the tool result says how to configure one and no hit is made up.
// Claude Code's WebFetch sends no server tool: it fetches the page itself (here a local page,
// with skipWebFetchPreflight so that it does not ask api.anthropic.com about the domain; over
// HTTPS with a throwaway certificate given through NODE_EXTRA_CA_CERTS, as WebFetch upgrades
// http:// to https://) and asks the small model about it in an ordinary request, which the
// gateway serves.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { start } from './scripted_backend.mjs';
import { startGateway } from './lib/gateway.mjs';
import { startSearchStub } from './lib/search_stub.mjs';
import { CLAUDE_BIN } from './lib/paths.mjs';
import { runProcess, scratchDir, removeDir } from './lib/procs.mjs';
import { client } from './lib/sdk.mjs';
import https from 'node:https';
import { execFileSync } from 'node:child_process';

const CLAUDE_TIMEOUT_MS = 90000;
const HIT = { url: 'https://roo.example.org/speed', title: 'How fast can a kangaroo hop?', content: 'Red kangaroos hop at up to 71 km/h over short distances.', publishedDate: '2025-04-30T00:00:00' };
let backend, stub, withSearch, withoutSearch, home, project;

before(async () => {
  assert.ok(fs.existsSync(CLAUDE_BIN), `claude CLI not found at ${CLAUDE_BIN} (run npm install)`);
  backend = await start({ port: 0 });
  stub = await startSearchStub({ results: { kangaroo: [HIT, { url: 'https://other.example.net/roo', title: 'Kangaroo (Wikipedia)', content: 'Kangaroos are marsupials.' }] } });
  const common = { backendUrl: backend.url, model: 'main-model', smallModel: 'small-model', logLevel: 'info' };
  withSearch = await startGateway({ ...common, args: ['--search-url', stub.url] });
  withoutSearch = await startGateway(common);
});
after(async () => { await withSearch?.stop(); await withoutSearch?.stop(); await stub?.close(); await backend?.close(); removeDir(home); removeDir(project); });
beforeEach(() => {
  backend.reset();
  backend.setDefault({ kind: 'text', text: 'default side answer' });
  removeDir(home);
  removeDir(project);
  home = scratchDir('home');
  project = scratchDir('project');
});

const claudeEnv = (gw) => ({
  PATH: process.env.PATH, HOME: home, TMPDIR: home, ANTHROPIC_API_KEY: 'any', ANTHROPIC_BASE_URL: gw.url,
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1',
});
const SEARCH_PROMPT = 'Perform a web search for the query';  // Claude Code's WebSearch request (its user text)
const requests = () => backend.requests().map((r) => ({ ...r, json: JSON.parse(r.body) }));
const searchRequests = () => requests().filter((r) => r.body.includes(SEARCH_PROMPT));
const describe = (r, gw) => `exit ${r.code}${r.timedOut ? ' TIMED OUT' : ''}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr.slice(-3000)}\n--- gateway ---\n${gw.logs().slice(-4000)}`;

// The transcript Claude Code wrote (HOME/.claude/projects/<project>/<session>.jsonl), as text.
function transcript() {
  const root = path.join(home, '.claude', 'projects');
  const files = [];
  const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else if (p.endsWith('.jsonl')) files.push(p); } };
  if (fs.existsSync(root)) walk(root);
  return files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
}

// The main model calls WebSearch; the small model (inside the gateway's loop) calls web_search
// and then summarises what the tool result gave it; the main model answers from Claude Code's
// tool result. Each step echoes only what it was sent, so nothing is made up by the script.
function scriptSearchSession() {
  backend.script([
    { kind: 'tool_calls', calls: [{ name: 'WebSearch', arguments: { query: 'kangaroo top speed' } }], match: { has_tools: true, lacks_role: 'tool', not_contains: SEARCH_PROMPT } },
    { kind: 'tool_calls', calls: [{ name: 'web_search', arguments: { query: 'kangaroo top speed' } }], match: { contains: SEARCH_PROMPT, lacks_role: 'tool' } },
  ]);
}

test('Claude Code WebSearch: the gateway searches SearXNG and the hits reach the answer and the transcript', { timeout: CLAUDE_TIMEOUT_MS + 10000 }, async () => {
  scriptSearchSession();
  backend.script([
    { kind: 'text', content: ['Red kangaroos hop at up to 71 km/h ', '(source: https://roo.example.org/speed).'], match: { contains: SEARCH_PROMPT, has_role: 'tool' } },
    { kind: 'text', content: ['Answer: up to 71 km/h, per https://roo.example.org/speed'], match: { has_role: 'tool', not_contains: SEARCH_PROMPT, contains: 'roo.example.org/speed' } },
  ]);
  const r = await runProcess(CLAUDE_BIN, ['-p', 'How fast can a kangaroo hop? Search the web.', '--allowedTools', 'WebSearch'],
    { cwd: project, env: claudeEnv(withSearch) }, CLAUDE_TIMEOUT_MS);
  assert.equal(r.code, 0, describe(r, withSearch));
  assert.ok(r.stdout.includes('Answer: up to 71 km/h, per https://roo.example.org/speed'), describe(r, withSearch));

  // The search request: Claude Code's web_search server tool became a function tool; the second
  // round carries the hits (title, URL, page text) as a tool result.
  const searches = searchRequests();
  assert.equal(searches.length, 2, `two rounds of the search request\n${describe(r, withSearch)}`);
  assert.deepEqual(searches[0].json.tools.map((t) => t.function.name), ['web_search']);
  const tool = searches[1].json.messages.find((m) => m.role === 'tool');
  assert.ok(tool.content.includes(HIT.title) && tool.content.includes(HIT.url) && tool.content.includes(HIT.content), JSON.stringify(tool));
  assert.deepEqual(stub.queries().map((q) => q.q), ['kangaroo top speed']);

  // Claude Code's tool result (sent back to the main model and kept in the transcript) lists the hits.
  const main = requests().filter((x) => !x.body.includes(SEARCH_PROMPT) && x.json.messages.some((m) => m.role === 'tool'));
  assert.ok(main.length >= 1, 'the main model got the WebSearch result');
  const result = main[0].json.messages.find((m) => m.role === 'tool').content;
  assert.ok(result.includes(HIT.url) && result.includes(HIT.title), `WebSearch result to the main model: ${result}`);
  const t = transcript();
  assert.ok(t.includes(HIT.url) && t.includes(HIT.title), 'the transcript holds the hits');
  assert.ok(t.includes('Answer: up to 71 km/h'), 'the transcript holds the answer');
});

test('Claude Code WebSearch with no provider: the tool result says search is off, nothing is made up', { timeout: CLAUDE_TIMEOUT_MS + 10000 }, async () => {
  scriptSearchSession();
  // The small model repeats what the tool result told it; the main model repeats what it got.
  backend.script([
    { kind: 'text', text: 'The search failed: web search is not configured on this anyclaude gateway.', match: { contains: SEARCH_PROMPT, has_role: 'tool' } },
    { kind: 'text', text: 'I could not search: web search is not configured on this anyclaude gateway.', match: { has_role: 'tool', not_contains: SEARCH_PROMPT } },
  ]);
  const before = stub.queries().length;
  const r = await runProcess(CLAUDE_BIN, ['-p', 'How fast can a kangaroo hop? Search the web.', '--allowedTools', 'WebSearch'],
    { cwd: project, env: claudeEnv(withoutSearch) }, CLAUDE_TIMEOUT_MS);
  assert.equal(r.code, 0, describe(r, withoutSearch));
  const searches = searchRequests();
  assert.equal(searches.length, 2, describe(r, withoutSearch));
  const tool = searches[1].json.messages.find((m) => m.role === 'tool');
  assert.match(tool.content, /web search is not configured on this anyclaude gateway: set --search-url URL .* or ANYCLAUDE_BRAVE_API_KEY/, JSON.stringify(tool));
  const main = requests().filter((x) => !x.body.includes(SEARCH_PROMPT) && x.json.messages.some((m) => m.role === 'tool'));
  const result = main[0].json.messages.find((m) => m.role === 'tool').content;
  assert.ok(result.includes('Web search error: unavailable'), `Claude Code names the error: ${result}`);
  assert.ok(!result.includes(HIT.url) && !transcript().includes(HIT.url), 'no hit appears');
  assert.equal(stub.queries().length, before, 'no provider was asked');
  assert.match(withoutSearch.logs(), /web search is not configured on this anyclaude gateway/, 'the log says how to configure it');
});

test('Claude Code WebFetch: the page is fetched by Claude Code and its small-model request is served', { timeout: CLAUDE_TIMEOUT_MS + 10000 }, async () => {
  const certDir = scratchDir('cert');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(certDir, 'key.pem'),
    '-out', path.join(certDir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const tls = { key: fs.readFileSync(path.join(certDir, 'key.pem')), cert: fs.readFileSync(path.join(certDir, 'cert.pem')) };
  const page = https.createServer(tls, (req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html><body><h1>Release notes</h1><p>The magic number is banana-4217.</p></body></html>'); });
  await new Promise((resolve) => page.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${page.address().port}/notes`;
  try {
    fs.mkdirSync(path.join(home, '.claude'), { recursive: true });
    fs.writeFileSync(path.join(home, '.claude', 'settings.json'), JSON.stringify({ skipWebFetchPreflight: true }));
    backend.script([
      { kind: 'tool_calls', calls: [{ name: 'WebFetch', arguments: { url, prompt: 'What is the magic number?' } }], match: { has_tools: true, lacks_role: 'tool' } },
      { kind: 'text', text: 'The page gives the magic number banana-4217.', match: { has_tools: false, contains: 'banana-4217' } },
      { kind: 'text', text: 'Fetched: the magic number is banana-4217.', match: { has_tools: true, has_role: 'tool', contains: 'banana-4217' } },
    ]);
    const r = await runProcess(CLAUDE_BIN, ['-p', `What is the magic number at ${url}?`, '--allowedTools', 'WebFetch'],
      { cwd: project, env: { ...claudeEnv(withSearch), NODE_EXTRA_CA_CERTS: path.join(certDir, 'cert.pem') } }, CLAUDE_TIMEOUT_MS);
    assert.equal(r.code, 0, describe(r, withSearch));
    assert.ok(r.stdout.includes('Fetched: the magic number is banana-4217.'), describe(r, withSearch));
    const small = requests().find((x) => !x.json.tools?.length && x.body.includes('banana-4217'));
    assert.ok(small, `Claude Code asked the small model about the page\n${describe(r, withSearch)}`);
    assert.equal(small.status, 200);
    assert.ok(!requests().some((x) => x.body.includes('web_fetch')), 'no web_fetch server tool anywhere');
  } finally {
    await new Promise((resolve) => { page.closeAllConnections?.(); page.close(resolve); });
    removeDir(certDir);
  }
});

// The official SDK accumulates the streamed blocks into the documented message: server_tool_use
// with its input parsed from input_json_delta, web_search_tool_result whole, then the text, and
// a second turn that sends those blocks back is accepted.
test('the official SDK streams and accumulates the web search blocks, and sends them back', { timeout: 30000 }, async () => {
  backend.script([
    { kind: 'tool_calls', calls: [{ name: 'web_search', arguments: { query: 'kangaroo speed' } }], match: { lacks_role: 'tool' } },
    { kind: 'text', content: ['Up to 71 km/h.'], match: { has_role: 'tool' } },
  ]);
  const sdk = client(withSearch);
  const tools = [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3, blocked_domains: ['other.example.net'] }];
  const messages = [{ role: 'user', content: 'How fast is a kangaroo?' }];
  const msg = await sdk.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 200, tools, messages }).finalMessage();
  assert.deepEqual(msg.content.map((b) => b.type), ['server_tool_use', 'web_search_tool_result', 'text']);
  assert.deepEqual(msg.content[0].input, { query: 'kangaroo speed' });
  assert.match(msg.content[0].id, /^srvtoolu_/);
  assert.equal(msg.content[1].tool_use_id, msg.content[0].id);
  assert.deepEqual(msg.content[1].content.map((h) => h.url), [HIT.url], 'the blocked domain is filtered');
  assert.equal(msg.content[2].text, 'Up to 71 km/h.');
  assert.equal(msg.usage.server_tool_use.web_search_requests, 1);
  backend.script([{ kind: 'text', text: 'You are welcome.', match: { has_role: 'tool' } }]);
  const next = await sdk.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, tools,
    messages: [...messages, { role: 'assistant', content: msg.content }, { role: 'user', content: 'thanks' }] });
  assert.equal(next.content[0].text, 'You are welcome.');
  const last = JSON.parse(backend.requests().at(-1).body);
  assert.ok(last.messages.find((m) => m.role === 'tool').content.includes(HIT.content), 'the page text came back from encrypted_content');
});

// Scripted OpenAI-compatible backend: the test double for the server anyclaude forwards to
// (llama-server, vLLM, LM Studio, MLX-LM, Ollama shapes). It answers POST /v1/chat/completions
// from a queue of scripted responses and records every request byte for byte.
//
//   CLI:     node tests/e2e/scripted_backend.mjs --port 0     -> prints "LISTENING <port>"
//   import:  const be = await start({ port: 0 }); be.script([...]); be.requests(); await be.close();
//
// HTTP control: POST /__script (JSON array or one object, appended to the queue),
// POST /__default (the response used when no queued one matches), POST /__reset,
// GET /__requests (chat/completions requests: raw body, headers, and whether the client closed
// the connection before the answer ended), GET /__events (timestamped log).
//
// A scripted response is an object; `kind` picks a shorthand, other fields are shared:
//   {kind:"text", text:"hi" | content:["Hel","lo"], split:N, reasoning:["..."],
//        reasoning_field:"reasoning_content"|"reasoning", finish_reason:"stop"|"length"|...}
//   {kind:"tool_calls", calls:[{name, arguments:{...}|"json", id?}],
//        style:"fragments"|"whole"|"whole_one_chunk", fragment_size:N, content:[...]?}
//   {kind:"text_tool_calls", format:"hermes"|"qwen3-coder"|"qwen3-coder-bare", calls:[...],
//        before:"text", split:N}                       (printed in content, split across chunks)
//   {kind:"error", status:429, message, type, code} or {kind:"error", status, body:"raw"}
//   {kind:"reset", text|content, after:N}               (socket reset after N frames)
//   {kind:"hang", after_headers:false, content:[...]}   (never finishes; logs when closed)
//   {kind:"garbage", lines:["not json", ": comment"], text}
//   {kind:"latency", chunks:N, piece:"x"}               (N content chunks, no delay)
//   shared: delay_ms (between frames), headers_delay_ms, usage:{prompt_tokens,
//   completion_tokens, cached_tokens} | false, usage_in_finish_chunk, omit_done,
//   match:{model, has_tools, contains, not_contains, has_role, lacks_role} (only a request
//   that fits takes it; the first fitting queued response wins).
// A reply policy decides from the request instead: start({policy}) or be.setPolicy(fn), where
// fn(reqJson, rec) returns a response spec (as above) or undefined; it is asked when no queued
// response fits, before the default (tests/e2e/lib/agent_policy.mjs: an agent reading files).
// Usage is sent in a final chunk only when the request sets stream_options.include_usage.
// Other endpoints (the ones a gateway probes for a model's window): start({endpoints}) or
// be.endpoints({"GET /props": {status, body}}) or POST /__endpoints; BACKEND_KINDS below has
// recorded answers and context errors of each kind of server.
// A request record: {seq, path, headers, body (raw text), bytes, arrived_at, received_at,
// headers_sent_at, status, kind, finished, closed_by_client, closed_at, reset}; times are epoch ms.
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { normalize, streamFrames, completionBody, errorBody } from './lib/openai_frames.mjs';

// Recorded shapes of each server kind (../shared/BACKENDS.md and the servers' sources): the
// endpoints that tell a model's window, and the error each answers a prompt over it with.
export const BACKEND_KINDS = {
  'llama-server': {
    endpoints: (model, window) => ({
      'GET /props': { body: { default_generation_settings: { n_ctx: window, params: {} }, total_slots: 1, model_path: `/models/${model}` } },
      'GET /v1/models': { body: { object: 'list', data: [{ id: model, object: 'model', owned_by: 'llamacpp', meta: { n_ctx_train: window * 4 } }] } },
    }),
    source: 'llama-server /props',
    contextError: (n, m) => ({ kind: 'error', status: 400, body: { error: { code: 400, message: 'the request exceeds the available context size, try increasing it', type: 'exceed_context_size_error', n_prompt_tokens: n, n_ctx: m } } }),
  },
  vllm: {
    endpoints: (model, window) => ({
      'GET /v1/models': { body: { object: 'list', data: [{ id: model, object: 'model', owned_by: 'vllm', root: model, max_model_len: window }] } },
    }),
    source: 'vLLM/SGLang /v1/models max_model_len',
    contextError: (n, m) => ({ kind: 'error', status: 400, body: { error: { message: `This model's maximum context length is ${m} tokens. However, your request has ${n} input tokens. Please reduce the length of the input messages. None`, type: 'BadRequestError', param: null, code: 400 } } }),
    maxTokensError: (n, m, max) => ({ kind: 'error', status: 400, body: { error: { message: `'max_tokens' or 'max_completion_tokens' is too large: ${max}. This model's maximum context length is ${m} tokens and your request has ${n} input tokens (${max} > ${m} - ${n}). None`, type: 'BadRequestError', param: null, code: 400 } } }),
  },
  sglang: {
    endpoints: (model, window) => ({
      'GET /v1/models': { body: { object: 'list', data: [{ id: model, object: 'model', owned_by: 'sglang', root: model, max_model_len: window }] } },
      'GET /get_model_info': { body: { model_path: model, tokenizer_path: model, is_generation: true } },
    }),
    source: 'vLLM/SGLang /v1/models max_model_len',
    contextError: (n, m) => ({ kind: 'error', status: 400, body: { object: 'error', message: `The input (${n} tokens) is longer than the model's context length (${m} tokens).`, type: 'BadRequestError', param: null, code: 400 } }),
  },
  lmstudio: {
    endpoints: (model, window) => ({
      'GET /api/v0/models': { body: { object: 'list', data: [{ id: model, object: 'model', type: 'llm', state: 'loaded', max_context_length: window * 4, loaded_context_length: window }] } },
      'GET /props': { body: { error: 'Unexpected endpoint or method. (GET /props)' } },
    }),
    source: 'LM Studio /api/v0/models loaded_context_length',
    contextError: () => ({ kind: 'error', status: 400, body: { error: 'The number of tokens to keep from the initial prompt is greater than the context length. Try to load the model with a larger context length, or provide a shorter input' } }),
  },
  ollama: {
    endpoints: (model, window) => ({
      'GET /api/ps': { body: { models: [{ name: `${model}:latest`, model: `${model}:latest`, size: 1, details: { format: 'gguf' }, context_length: window }] } },
      'POST /api/show': { body: { parameters: `num_ctx                        ${window}`, model_info: { 'general.architecture': 'qwen3', 'qwen3.context_length': window * 4 } } },
    }),
    source: 'Ollama /api/ps context_length',
    contextError: () => ({ kind: 'error', status: 400, body: { error: { message: 'the prompt is longer than the context length currently available to the model; shorten the prompt, adjust the context length in settings, or use a model with a longer context length', type: 'invalid_request_error', param: null, code: null } } }),
  },
};

const DEFAULT_RESPONSE = { kind: 'text', content: ['Hello', ' from the', ' scripted backend.'] };
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function matches(spec, reqJson, raw) {
  const m = spec.match;
  if (!m) return true;
  if (m.model !== undefined && reqJson?.model !== m.model) return false;
  if (m.has_tools !== undefined && (Array.isArray(reqJson?.tools) && reqJson.tools.length > 0) !== m.has_tools) return false;
  if (m.contains !== undefined && !raw.includes(m.contains)) return false;
  if (m.not_contains !== undefined && raw.includes(m.not_contains)) return false;
  const roles = Array.isArray(reqJson?.messages) ? reqJson.messages.map((x) => x?.role) : [];
  if (m.has_role !== undefined && !roles.includes(m.has_role)) return false;
  if (m.lacks_role !== undefined && roles.includes(m.lacks_role)) return false;
  return true;
}

const readBody = (req) => new Promise((resolve, reject) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => resolve(Buffer.concat(parts)));
  req.on('error', reject);
});

const sendJson = (res, status, obj) => {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

const writeAsync = (res, s) => new Promise((resolve) => res.write(s, () => resolve()));

// keepRequests: how many request records to keep (oldest dropped first; the benchmark keeps few).
export async function start({ port = 0, host = '127.0.0.1', models = ['scripted-model'], defaultResponse, keepRequests = Infinity, endpoints = {}, policy } = {}) {
  const state = { queue: [], def: defaultResponse ?? DEFAULT_RESPONSE, policy, requests: [], events: [], seq: 0, endpoints: { ...endpoints } };
  const log = (type, seq, detail) => state.events.push({ t: now(), type, seq, ...(detail ? { detail } : {}) });
  const sockets = new Set();

  function take(reqJson, raw, rec) {
    const i = state.queue.findIndex((s) => matches(s, reqJson, raw));
    if (i >= 0) return state.queue.splice(i, 1)[0];
    return state.policy?.(reqJson, rec) ?? state.def;
  }

  async function chat(req, res, rec) {
    let reqJson;
    try { reqJson = JSON.parse(rec.body); } catch {
      return sendJson(res, 400, { error: { message: 'request body is not JSON', type: 'invalid_request_error', param: null, code: null } });
    }
    const spec = normalize(take(reqJson, rec.body, rec));
    rec.kind = spec.kind ?? 'text';
    const ctx = { id: `chatcmpl-${rec.seq}`, created: Math.floor(Date.now() / 1000), model: reqJson.model ?? 'scripted-model' };
    if (spec.headers_delay_ms) await sleep(spec.headers_delay_ms);
    if (rec.closed_by_client) return;

    if (rec.kind === 'error') {
      const body = errorBody(spec);
      res.writeHead(spec.status ?? 400, { 'content-type': spec.content_type ?? 'application/json' });
      res.end(body);
      rec.status = spec.status ?? 400;
      return;
    }
    const streaming = reqJson.stream === true;
    if (rec.kind === 'hang' && (!spec.after_headers || !streaming)) { log('hang', rec.seq); return; }
    if (rec.kind === 'reset' && !streaming) {
      rec.reset = true;
      log('reset_sent', rec.seq, { after_frames: 0 });
      return res.socket?.resetAndDestroy();
    }
    if (!streaming) {
      rec.status = 200;
      return sendJson(res, 200, completionBody(spec, reqJson, ctx));
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    rec.status = 200;
    rec.headers_sent_at = now();
    log('headers_sent', rec.seq);
    const frames = streamFrames(spec, reqJson, ctx);
    const delay = spec.delay_ms ?? 0;
    for (let i = 0; i < frames.length; i++) {
      if (rec.closed_by_client) return;
      if (spec.reset_after !== undefined && i === spec.reset_after) {
        rec.reset = true;
        log('reset_sent', rec.seq, { after_frames: i });
        return res.socket?.resetAndDestroy();
      }
      const f = frames[i];
      const text = f.raw ?? `data: ${f.data}\n\n`;
      if (delay > 0 || spec.reset_after !== undefined) await writeAsync(res, text); else res.write(text);
      if (delay > 0) await sleep(delay);
    }
    if (rec.kind === 'hang') { log('hang', rec.seq, { after_headers: true }); return; }
    res.end();
  }

  async function handle(req, res) {
    const url = new URL(req.url, 'http://x');
    const p = url.pathname;
    const endpoint = state.endpoints[`${req.method} ${p}`];
    if (endpoint) {
      await readBody(req);
      return sendJson(res, endpoint.status ?? 200, endpoint.body);
    }
    if (req.method === 'POST' && (p === '/v1/chat/completions' || p === '/chat/completions')) {
      const rec = {
        seq: ++state.seq, method: req.method, path: p, headers: req.headers, body: '', bytes: 0,
        arrived_at: now(), received_at: null, body_received: false, status: null, kind: null, finished: false, closed_by_client: false, closed_at: null, reset: false,
      };
      state.requests.push(rec);
      if (state.requests.length > keepRequests) state.requests.splice(0, state.requests.length - keepRequests);
      if (state.events.length > 4 * keepRequests) state.events.splice(0, state.events.length - 4 * keepRequests);
      res.on('close', () => {
        if (res.writableFinished) { rec.finished = true; log('response_end', rec.seq); return; }
        if (rec.reset) return;
        rec.closed_by_client = true;
        rec.closed_at = now();
        log('client_closed', rec.seq);
      });
      const buf = await readBody(req);
      rec.body = buf.toString('utf8');
      rec.bytes = buf.length;
      rec.body_received = true;
      rec.received_at = now();
      log('request', rec.seq, { bytes: buf.length });
      return chat(req, res, rec);
    }
    if (req.method === 'GET' && (p === '/v1/models' || p === '/models')) {
      return sendJson(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'scripted' })) });
    }
    if (req.method === 'GET' && p === '/health') return sendJson(res, 200, { status: 'ok' });
    if (req.method === 'POST' && (p === '/__script' || p === '/__default')) {
      let v;
      try { v = JSON.parse((await readBody(req)).toString('utf8')); } catch { return sendJson(res, 400, { error: 'bad json' }); }
      if (p === '/__default') { api.setDefault(v); return sendJson(res, 200, { ok: true }); }
      api.script(v);
      return sendJson(res, 200, { queued: state.queue.length });
    }
    if (req.method === 'POST' && p === '/__endpoints') {
      try { api.endpoints(JSON.parse((await readBody(req)).toString('utf8'))); } catch { return sendJson(res, 400, { error: 'bad json' }); }
      return sendJson(res, 200, { ok: true });
    }
    if (req.method === 'POST' && p === '/__reset') { await readBody(req); api.reset(); return sendJson(res, 200, { ok: true }); }
    if (req.method === 'GET' && p === '/__requests') return sendJson(res, 200, api.requests());
    if (req.method === 'GET' && p === '/__events') return sendJson(res, 200, state.events);
    return sendJson(res, 404, { error: { message: `no route ${req.method} ${p}`, type: 'not_found', param: null, code: null } });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => { try { sendJson(res, 500, { error: { message: String(e) } }); } catch { res.destroy(); } });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, host, resolve); });
  const actual = server.address().port;

  const api = {
    port: actual,
    url: `http://${host}:${actual}/v1`,
    script(list) { state.queue.push(...(Array.isArray(list) ? list : [list])); },
    setDefault(spec) { state.def = spec ?? DEFAULT_RESPONSE; },
    setPolicy(fn) { state.policy = fn; },
    endpoints(map) { Object.assign(state.endpoints, map); },
    reset() { state.queue = []; state.requests = []; state.events = []; state.def = defaultResponse ?? DEFAULT_RESPONSE; state.policy = policy; },
    pending() { return state.queue.length; },
    requests() { return state.requests.map((r) => ({ ...r })); },
    events() { return state.events.slice(); },
    // Waits (bounded) until at least n chat/completions requests have arrived with their body.
    async waitForRequests(n, timeoutMs = 5000) {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        const got = state.requests.filter((r) => r.body_received);
        if (got.length >= n) return api.requests();
        await sleep(10);
      }
      throw new Error(`scripted backend: expected ${n} request(s) within ${timeoutMs} ms, got ${state.requests.length}`);
    },
    async close() {
      for (const s of sockets) s.destroy();
      server.closeAllConnections?.();
      await new Promise((r) => server.close(() => r()));
    },
  };
  return api;
}

// CLI: node tests/e2e/scripted_backend.mjs [--port N] [--host H] [--keep-requests N]
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
  const be = await start({
    port: Number(arg('--port', '0')), host: arg('--host', '127.0.0.1'), keepRequests: Number(arg('--keep-requests', 'Infinity')),
  });
  process.stdout.write(`LISTENING ${be.port}\n`);
  const stop = () => be.close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

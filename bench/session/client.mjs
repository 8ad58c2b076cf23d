// One timed, streamed POST /v1/messages?beta=true as Claude Code sends it, against any base URL
// that speaks Anthropic's Messages API. TTFT = time from sending the request to the first
// content_block_start or content_block_delta event; total = to the end of the stream. Usage is
// taken as the server reports it (message_start, overridden by message_delta's fields).
import http from 'node:http';

// A fresh connection per request: llama-server (cpp-httplib) closes streamed responses'
// connections, and a reused socket would fail with a hang-up; loopback connects cost ~0.1 ms.
const agent = false;

const HEADERS = {
  'content-type': 'application/json',
  'anthropic-version': '2023-06-01',
  'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,effort-2025-11-24',
  'x-app': 'cli',
  'user-agent': 'claude-cli/2.1.328 (external, sdk-cli)',
  'x-api-key': 'bench-key',
};

function usageOf(u, into) {
  if (!u) return;
  for (const [k, v] of Object.entries(u)) if (typeof v === 'number') into[k] = v;
}

// Returns {status, ttftMs, totalMs, usage {input_tokens, cache_read_input_tokens, ...},
// outputTokens, stopReason, complete (message_stop seen), error (text or null)}.
export function sendMessage(baseUrl, body, { sessionId, headers = {}, timeoutMs = 600000 } = {}) {
  const url = new URL('/v1/messages?beta=true', baseUrl);
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
    const out = { status: 0, ttftMs: null, totalMs: null, usage: {}, outputTokens: null, stopReason: null, complete: false, error: null };
    let buf = '';
    let errorText = '';
    const finish = (err) => {
      if (out.totalMs !== null) return;
      out.totalMs = ms();
      if (err && !out.error) out.error = String(err.message ?? err);
      resolve(out);
    };
    const onEvent = (event, data) => {
      let j = null;
      try { j = JSON.parse(data); } catch { return; }
      const type = j.type ?? event;
      if ((type === 'content_block_start' || type === 'content_block_delta') && out.ttftMs === null) out.ttftMs = ms();
      if (type === 'message_start') usageOf(j.message?.usage, out.usage);
      if (type === 'message_delta') {
        usageOf(j.usage, out.usage);
        out.stopReason = j.delta?.stop_reason ?? null;
      }
      if (type === 'message_stop') out.complete = true;
      if (type === 'error') out.error = `stream error: ${JSON.stringify(j.error ?? j).slice(0, 300)}`;
    };
    const req = http.request(url, {
      method: 'POST', agent,
      headers: { ...HEADERS, 'content-length': payload.length, ...(sessionId ? { 'x-claude-code-session-id': sessionId } : {}), ...headers },
    }, (res) => {
      out.status = res.statusCode;
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        if (res.statusCode !== 200) { errorText += chunk; return; }
        buf += chunk.replace(/\r\n/g, '\n');
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const part = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = null;
          const data = [];
          for (const line of part.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (data.length) onEvent(event, data.join('\n'));
        }
      });
      res.on('end', () => {
        if (res.statusCode !== 200) out.error = `HTTP ${res.statusCode}: ${errorText.slice(0, 300)}`;
        out.outputTokens = out.usage.output_tokens ?? null;
        finish(null);
      });
      res.on('error', finish);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', finish);
    req.end(payload);
  });
}

// All prompt tokens of a reported usage, and the part the server says it reused.
export function promptTokens(u) {
  return (u.input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
}

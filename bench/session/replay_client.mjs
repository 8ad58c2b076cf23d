// One replayed request: the recorded bytes, method, target and headers, sent to a base URL,
// timed as client.mjs times a request (TTFT: first content_block_start or _delta event; total:
// to the end of the answer), with the usage the server reports (message_start, then
// message_delta's fields; count_tokens: input_tokens).
import http from 'node:http';

function usageOf(u, into) {
  if (!u) return;
  for (const [k, v] of Object.entries(u)) if (typeof v === 'number') into[k] = v;
}

// Returns {status, ttftMs, totalMs, usage, complete, error}.
export function sendRecorded(baseUrl, { method = 'POST', target, headers, body }, { apiKey = 'replay', timeoutMs = 600000 } = {}) {
  const url = new URL(target, baseUrl);
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
    const out = { status: 0, ttftMs: null, totalMs: null, usage: {}, complete: false, error: null };
    let raw = '';
    let sse = '';
    const finish = (err) => {
      if (out.totalMs !== null) return;
      out.totalMs = ms();
      if (err && !out.error) out.error = String(err.message ?? err);
      resolve(out);
    };
    const onFrame = (part) => {
      const data = part.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
      let j;
      try { j = JSON.parse(data); } catch { return; }
      if ((j.type === 'content_block_start' || j.type === 'content_block_delta') && out.ttftMs === null) out.ttftMs = ms();
      if (j.type === 'message_start') usageOf(j.message?.usage, out.usage);
      if (j.type === 'message_delta') usageOf(j.usage, out.usage);
      if (j.type === 'message_stop') out.complete = true;
      if (j.type === 'error') out.error = `stream error: ${JSON.stringify(j.error ?? j).slice(0, 300)}`;
    };
    // A fresh connection per request (llama-server closes streamed responses' connections).
    const req = http.request(url, {
      method, agent: false, headers: { ...headers, 'x-api-key': apiKey, 'content-length': body.length },
    }, (res) => {
      out.status = res.statusCode;
      const stream = /event-stream/.test(res.headers['content-type'] ?? '');
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        if (!stream) { raw += chunk; return; }
        sse += chunk.replace(/\r\n/g, '\n');
        for (let i; (i = sse.indexOf('\n\n')) >= 0; sse = sse.slice(i + 2)) onFrame(sse.slice(0, i));
      });
      res.on('end', () => {
        if (!stream) {
          try {
            const j = JSON.parse(raw);
            usageOf(j.usage, out.usage);
            if (typeof j.input_tokens === 'number') out.usage.input_tokens = j.input_tokens;
            if (res.statusCode === 200) { out.complete = true; out.ttftMs = ms(); }
          } catch { /* not JSON */ }
        }
        if (res.statusCode !== 200) out.error = `HTTP ${res.statusCode}: ${raw.slice(0, 300)}`;
        finish(null);
      });
      res.on('error', finish);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', finish);
    req.end(body);
  });
}

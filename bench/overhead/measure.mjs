// One timed request over a keep-alive connection, and the statistics of many: time to first
// byte, time to the first content delta, total time, and the number of content events seen.
// The stream is scanned line by line without JSON parsing, the same work for every target.
import http from 'node:http';

export function makeAgent() {
  return new http.Agent({ keepAlive: true, maxSockets: 1 });
}

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

// A content event: an OpenAI chunk with a non-empty delta.content, or an Anthropic content_block_delta.
const isContent = {
  openai: (line) => line.startsWith('data:') && line.includes('"content":"') && !line.includes('"content":""'),
  anthropic: (line) => line.startsWith('data:') && line.includes('"type":"content_block_delta"'),
};

// target: {url (base), path, kind, headers, agent}; body: string.
// Resolves {status, t0e (epoch ms at send), ttfb, ttft, total (ms after send), events, lines?}.
export function measureOnce(target, body, { keepText = false, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(target.path, target.url);
    const t0e = performance.timeOrigin + performance.now(); // epoch ms, comparable with the backend's log
    const t0 = process.hrtime.bigint();
    let ttfb = null;
    let ttft = null;
    let events = 0;
    let partial = '';
    const lines = keepText ? [] : null;
    const req = http.request(u, {
      method: 'POST', agent: target.agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...target.headers },
    }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        if (ttfb === null) ttfb = ms(t0);
        const parts = (partial + chunk).split('\n');
        partial = parts.pop();
        for (const line of parts) {
          if (isContent[target.kind](line)) {
            if (ttft === null) ttft = ms(t0);
            events++;
          }
          if (lines && line.startsWith('data:')) lines.push(line.slice(5).trim());
        }
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode, t0e, ttfb, ttft, total: ms(t0), events, lines });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`request to ${u} timed out after ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (e) => { clearTimeout(timer); reject(e); });
    req.end(body);
  });
}

// The text a stream carried (validation of warm-up answers), from its data lines.
export function streamText(kind, lines) {
  let text = '';
  for (const l of lines) {
    if (l === '[DONE]') continue;
    let j;
    try { j = JSON.parse(l); } catch { continue; }
    if (kind === 'openai') text += j.choices?.[0]?.delta?.content ?? '';
    else if (j.type === 'content_block_delta') text += j.delta?.text ?? '';
  }
  return text;
}

export function percentile(values, p) {
  const v = values.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const i = Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1));
  return v[i];
}

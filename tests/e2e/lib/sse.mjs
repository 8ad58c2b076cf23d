// Minimal SSE reading over fetch: POSTs a JSON body and collects the events ({event, data})
// of an Anthropic or OpenAI stream, bounded by a timeout. Used where the tests need the raw
// wire format rather than the SDK's view of it.

// Splits SSE text into events; returns [events, rest-of-buffer].
export function parseSse(buffer) {
  const events = [];
  const norm = buffer.replace(/\r\n/g, '\n');
  const parts = norm.split('\n\n');
  const rest = parts.pop();
  for (const part of parts) {
    let event = null;
    const data = [];
    for (const line of part.split('\n')) {
      if (line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      if (field === 'data') data.push(value);
    }
    if (event !== null || data.length) events.push({ event, data: data.join('\n') });
  }
  return [events, rest];
}

// POST url with body (string) and headers; returns {status, headers, events, text, error}.
// Each event's `json` is its parsed data when it parses.
export async function postSse(url, body, headers = {}, timeoutMs = 15000) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new Error(`SSE request timed out after ${timeoutMs} ms`)), timeoutMs);
  try {
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, signal: ctrl.signal });
    const decoder = new TextDecoder();
    let buf = '';
    let text = '';
    const events = [];
    let error = null;
    try {
      for await (const chunk of res.body) {
        const s = decoder.decode(chunk, { stream: true });
        text += s;
        buf += s;
        const [evs, rest] = parseSse(buf);
        buf = rest;
        events.push(...evs);
      }
    } catch (err) { error = err; }
    for (const e of events) { try { e.json = JSON.parse(e.data); } catch { /* not JSON */ } }
    return { status: res.status, headers: res.headers, events, text, error };
  } finally {
    clearTimeout(timer);
  }
}

// Finds where each JSON value sits in the raw text (byte offsets), so tests can compare the
// exact bytes of, say, the "tools" array or the first N messages of two request bodies.
// scan(buf) -> {type, start, end, members?: [{key, value}], items?: [node]}; end is exclusive.

export function scan(input) {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8');
  let i = 0;
  const ws = () => { while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++; };
  const fail = (what) => { throw new Error(`json_spans: ${what} at byte ${i}`); };

  function str() {
    const start = i++;
    while (i < buf.length && buf[i] !== 0x22) i += buf[i] === 0x5c ? 2 : 1;
    if (i >= buf.length) fail('unterminated string');
    i++;
    return { type: 'string', start, end: i };
  }

  function value() {
    ws();
    const start = i;
    const c = buf[i];
    if (c === 0x7b) { // {
      i++;
      const members = [];
      ws();
      if (buf[i] === 0x7d) { i++; return { type: 'object', start, end: i, members }; }
      for (;;) {
        ws();
        if (buf[i] !== 0x22) fail('expected key');
        const k = str();
        const key = JSON.parse(buf.subarray(k.start, k.end).toString('utf8'));
        ws();
        if (buf[i++] !== 0x3a) fail('expected :');
        members.push({ key, value: value() });
        ws();
        if (buf[i] === 0x2c) { i++; continue; }
        if (buf[i] === 0x7d) { i++; return { type: 'object', start, end: i, members }; }
        fail('expected , or }');
      }
    }
    if (c === 0x5b) { // [
      i++;
      const items = [];
      ws();
      if (buf[i] === 0x5d) { i++; return { type: 'array', start, end: i, items }; }
      for (;;) {
        items.push(value());
        ws();
        if (buf[i] === 0x2c) { i++; continue; }
        if (buf[i] === 0x5d) { i++; return { type: 'array', start, end: i, items }; }
        fail('expected , or ]');
      }
    }
    if (c === 0x22) return str();
    while (i < buf.length && !' \t\r\n,]}'.includes(String.fromCharCode(buf[i]))) i++;
    if (i === start) fail('unexpected character');
    return { type: 'literal', start, end: i };
  }

  const root = value();
  ws();
  if (i !== buf.length) fail('trailing data');
  return root;
}

export const member = (node, key) => node.members?.find((m) => m.key === key)?.value;

// Length in bytes of the longest common prefix of two buffers/strings.
export function commonPrefix(a, b) {
  const x = Buffer.isBuffer(a) ? a : Buffer.from(a, 'utf8');
  const y = Buffer.isBuffer(b) ? b : Buffer.from(b, 'utf8');
  const n = Math.min(x.length, y.length);
  let i = 0;
  while (i < n && x[i] === y[i]) i++;
  return i;
}

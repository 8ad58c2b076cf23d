// Turns one scripted response (see scripted_backend.mjs for the spec) into what an
// OpenAI-compatible server sends: a list of SSE frames for stream:true, or one
// chat.completion JSON for stream:false. Pure functions, no I/O.

// Splits s into pieces of at most n characters (n <= 0: one piece).
export function splitEvery(s, n) {
  if (!n || n <= 0 || s.length <= n) return [s];
  const out = [];
  for (let i = 0; i < s.length; i += n) out.push(s.slice(i, i + n));
  return out;
}

const asArgs = (a) => (typeof a === 'string' ? a : JSON.stringify(a ?? {}));

// Text a model prints when it calls tools as text (no server-side tool parser).
export function printToolCalls(format, calls) {
  return calls.map((c) => {
    const args = typeof c.arguments === 'string' ? JSON.parse(c.arguments) : c.arguments ?? {};
    if (format === 'hermes') {
      return `<tool_call>\n${JSON.stringify({ name: c.name, arguments: args })}\n</tool_call>`;
    }
    if (format === 'qwen3-coder' || format === 'qwen3-coder-bare') {
      const params = Object.entries(args).map(([k, v]) =>
        `<parameter=${k}>\n${typeof v === 'string' ? v : JSON.stringify(v)}\n</parameter>\n`).join('');
      const fn = `<function=${c.name}>\n${params}</function>`;
      return format === 'qwen3-coder' ? `<tool_call>\n${fn}\n</tool_call>` : fn;
    }
    throw new Error(`unknown text tool-call format: ${format}`);
  }).join('\n');
}

// Expands the `kind` shorthands into the general spec fields.
export function normalize(spec) {
  const s = { ...spec };
  const kind = s.kind ?? 'text';
  if (typeof s.text === 'string' && !s.content) s.content = splitEvery(s.text, s.split ?? 0);
  if (kind === 'text_tool_calls') {
    const printed = (s.before ?? '') + printToolCalls(s.format ?? 'hermes', s.calls ?? []) + (s.after ?? '');
    s.content = splitEvery(printed, s.split ?? 5);
    s.finish_reason ??= 'stop';
  }
  if (kind === 'tool_calls') {
    s.tool_calls = s.calls ?? s.tool_calls ?? [];
    s.finish_reason ??= 'tool_calls';
  }
  if (kind === 'latency') {
    const n = s.chunks ?? 100;
    s.content = Array.from({ length: n }, () => s.piece ?? 'x');
    s.usage ??= { prompt_tokens: 1000, completion_tokens: n, cached_tokens: 900 };
  }
  if (kind === 'reset') s.reset_after ??= s.after ?? 2;
  if (kind === 'hang') s.no_finish = true;
  if (kind === 'garbage') s.garbage ??= s.lines ?? ['this is not json', '{"broken": '];
  s.kind = kind;
  return s;
}

function chunkEnvelope(ctx, choices, extra) {
  return { id: ctx.id, object: 'chat.completion.chunk', created: ctx.created, model: ctx.model, choices, ...extra };
}

function usageObject(u) {
  if (!u) return undefined;
  const out = {
    prompt_tokens: u.prompt_tokens ?? 0,
    completion_tokens: u.completion_tokens ?? 0,
    total_tokens: (u.prompt_tokens ?? 0) + (u.completion_tokens ?? 0),
  };
  if (u.cached_tokens !== undefined) out.prompt_tokens_details = { cached_tokens: u.cached_tokens };
  return out;
}

function defaultUsage(s) {
  const pieces = (s.content?.length ?? 0) + (s.reasoning?.length ?? 0) + (s.tool_calls?.length ?? 0);
  return { prompt_tokens: 25, completion_tokens: Math.max(1, pieces) };
}

let callCounter = 0;
function toolCallDeltas(s) {
  const calls = (s.tool_calls ?? []).map((c, i) => ({
    index: i, id: c.id ?? `call_${String(++callCounter).padStart(6, '0')}`, name: c.name, args: asArgs(c.arguments),
  }));
  const style = s.tool_style ?? s.style ?? 'fragments';
  const full = (c) => ({ index: c.index, id: c.id, type: 'function', function: { name: c.name, arguments: c.args } });
  if (style === 'whole') return calls.map((c) => [full(c)]);
  if (style === 'whole_one_chunk') return calls.length ? [calls.map(full)] : [];
  // llama-server / vLLM / LM Studio: index+id+name first, then argument pieces.
  const deltas = [];
  for (const c of calls) {
    deltas.push([{ index: c.index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }]);
    for (const piece of splitEvery(c.args, s.fragment_size ?? 7)) {
      deltas.push([{ index: c.index, function: { arguments: piece } }]);
    }
  }
  return deltas;
}

// Returns [{data: string}] frames in send order (each becomes "data: <data>\n\n").
export function streamFrames(spec, request, ctx) {
  const s = normalize(spec);
  const frames = [];
  const push = (obj) => frames.push({ data: typeof obj === 'string' ? obj : JSON.stringify(obj) });
  const delta = (d, finish = null) => push(chunkEnvelope(ctx, [{ index: 0, delta: d, finish_reason: finish }]));

  delta({ role: 'assistant', content: null });
  for (const g of s.garbage ?? []) frames.push({ raw: g.startsWith(':') ? `${g}\n\n` : `data: ${g}\n\n` });
  const field = s.reasoning_field ?? 'reasoning_content';
  for (const r of s.reasoning ?? []) delta({ [field]: r });
  for (const c of s.content ?? []) delta({ content: c });
  for (const tc of toolCallDeltas(s)) delta({ tool_calls: tc });
  if (s.no_finish) return frames;

  const finish = s.finish_reason ?? ((s.tool_calls ?? []).length ? 'tool_calls' : 'stop');
  const includeUsage = request?.stream_options?.include_usage === true;
  const usage = s.usage === false ? undefined : usageObject(s.usage ?? defaultUsage(s));
  if (includeUsage && usage && s.usage_in_finish_chunk) {
    push(chunkEnvelope(ctx, [{ index: 0, delta: {}, finish_reason: finish }], { usage }));
  } else {
    delta({}, finish);
    if (includeUsage && usage) push(chunkEnvelope(ctx, [], { usage }));
  }
  if (!s.omit_done) push('[DONE]');
  return frames;
}

// The whole answer as one chat.completion object (stream:false).
export function completionBody(spec, request, ctx) {
  const s = normalize(spec);
  const message = { role: 'assistant', content: (s.content ?? []).join('') || null };
  if (s.reasoning?.length) message[s.reasoning_field ?? 'reasoning_content'] = s.reasoning.join('');
  const calls = toolCallDeltas({ ...s, tool_style: 'whole' }).map((d) => d[0]);
  if (calls.length) message.tool_calls = calls.map(({ index, ...c }) => c);
  const finish = s.finish_reason ?? (calls.length ? 'tool_calls' : 'stop');
  const usage = usageObject(s.usage === false ? undefined : s.usage ?? defaultUsage(s));
  return {
    id: ctx.id, object: 'chat.completion', created: ctx.created, model: ctx.model,
    choices: [{ index: 0, message, finish_reason: finish }], ...(usage ? { usage } : {}),
  };
}

// OpenAI-style error body ({"error":{message,type,param,code}}), or the raw body given.
export function errorBody(s) {
  if (s.body !== undefined) return typeof s.body === 'string' ? s.body : JSON.stringify(s.body);
  return JSON.stringify({
    error: { message: s.message ?? 'scripted error', type: s.type ?? 'invalid_request_error', param: null, code: s.code ?? null },
  });
}

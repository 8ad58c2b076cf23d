// Helpers for driving the gateway with the official @anthropic-ai/sdk: a client with no
// retries and a bounded timeout, and readers for what the scripted backend received.
import Anthropic from '@anthropic-ai/sdk';

export function client(gw, opts = {}) {
  return new Anthropic({ baseURL: gw.url, apiKey: 'test-key', maxRetries: 0, timeout: 15000, ...opts });
}

export const MODEL = 'claude-sonnet-5-5';
export const basic = (extra = {}) => ({
  model: MODEL, max_tokens: 256, messages: [{ role: 'user', content: 'hi' }], ...extra,
});

// The chat/completions bodies the backend received, parsed (raw text kept as .raw).
export function upstream(backend) {
  return backend.requests().map((r) => ({ ...JSON.parse(r.body), raw: r.body, rec: r }));
}
export const lastUpstream = (backend) => upstream(backend).at(-1);

// Iterates a create({stream:true}) stream; returns {events, error}.
export async function drain(stream) {
  const events = [];
  try {
    for await (const ev of stream) events.push(ev);
    return { events, error: null };
  } catch (error) {
    return { events, error };
  }
}

// Runs fn and returns the error it throws (fails if it does not throw).
export async function rejection(fn) {
  try { await fn(); } catch (err) { return err; }
  throw new Error('expected an error, got success');
}

// A small Read tool like Claude Code's (key order matters for byte stability checks).
export const READ_TOOL = {
  name: 'Read',
  description: 'Reads a file from the local filesystem.',
  input_schema: {
    type: 'object',
    properties: {
      file_path: { type: 'string', description: 'The absolute path to the file to read' },
      offset: { type: 'integer', description: 'The line number to start reading from' },
      limit: { type: 'integer', description: 'The number of lines to read' },
    },
    required: ['file_path'],
    additionalProperties: false,
  },
};
export const BASH_TOOL = {
  name: 'Bash',
  description: 'Runs a bash command.',
  input_schema: {
    type: 'object',
    properties: { command: { type: 'string' }, description: { type: 'string' }, timeout: { type: 'number' } },
    required: ['command'],
  },
};

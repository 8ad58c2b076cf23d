// Exact prompt token counts for the trace generator: an anyclaude embedded gateway on the bench's
// model answers POST /v1/messages/count_tokens with the same render and tokenizer it uses for
// generation (billing-header line removed, as it removes it before rendering).
import { makeTarget } from './targets.mjs';

export async function startCounter(env) {
  const target = makeTarget('embedded', { ...env, logPrefix: 'counter-' });
  await target.start();
  const count = async (body) => {
    const { stream, max_tokens, temperature, ...rest } = body;
    const res = await fetch(`${target.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'bench-key' },
      body: JSON.stringify(rest),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`count_tokens: HTTP ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text).input_tokens;
  };
  return { count, stop: () => target.stop() };
}

// Trace generator of the session benchmark: Claude-Code-shaped /v1/messages requests built from
// the captured shapes of Claude Code 2.1.328 (../shared/fixtures/claude-code-2.1.328): three system
// blocks with the billing-header line, the 12 tools with their schemas, the role "system"
// environment block after the first user message, cache_control where Claude Code puts it.
// Turn 1's prompt is scaled to a target token count by appending seeded words to the main system
// block; later turns append a scripted assistant reply (or tool_use) and a ~query-sized user query
// (or tool_result). Everything is deterministic for a seed; only the scaling asks a tokenizer
// (countTokens) how long a prompt is.
import fs from 'node:fs';
import path from 'node:path';
import { Filler } from './filler.mjs';
import { followUp } from '../../tests/e2e/lib/embedded.mjs';

const MODEL = 'claude-opus-5-5';
export const SUBAGENTS = ['Sa', 'Sb', 'Sc', 'Sd', 'Se', 'Sf'];

export function loadFixtures(dir) {
  const read = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  return { first: read('capture-first.json'), side: read('capture-side-1.json') };
}

// The billing line with its per-session suffix (Claude Code derives it from the first prompt).
function billingLine(line, suffix) {
  return line.replace(/(cc_version=\d+\.\d+\.\d+\.)[0-9a-f]+/, `$1${suffix}`);
}

function userId(sessionId) {
  return JSON.stringify({ device_id: '0'.repeat(64), account_uuid: '', session_id: sessionId });
}

function sessionUuid(n) {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}


export class TraceBuilder {
  // opts: seed, promptTokens, turns, queryTokens, replyTokens, toolResultTokens, sideMaxTokens,
  // sideFormat ('keep' the title request's json_schema output format, or 'drop' it).
  constructor(fixtures, opts, countTokens) {
    this.fx = fixtures;
    this.o = opts;
    this.count = countTokens;
    this.filler = new Filler(fixtures.first.system[2].text);
    this.systemWords = 0;     // words appended to the main system block (or negative: kept pieces)
    this.tokensPerWord = 1.3; // calibrated in scale()
  }

  words(n, label) { return this.filler.words(n, this.o.seed, label); }
  wordsFor(tokens) { return Math.max(1, Math.round(tokens / this.tokensPerWord)); }

  // The main system block: the fixture's, grown by `systemWords` seeded words, or cut to its first
  // -systemWords pieces when the target is below the fixture's own size.
  mainSystemText() {
    const base = this.fx.first.system[2].text;
    if (this.systemWords >= 0) return this.systemWords ? `${base} ${this.words(this.systemWords, 'system')}` : base;
    return base.split(' ').slice(0, -this.systemWords).join(' ') || 'system';
  }

  // Turn 1 of a session. key names the session's own texts (query, billing suffix, environment).
  first(key, { env = null } = {}) {
    const body = structuredClone(this.fx.first);
    const query = this.words(this.wordsFor(this.o.queryTokens), `${key}/query/1`);
    body.model = MODEL;
    body.max_tokens = this.o.replyTokens;
    body.temperature = 0;
    body.stream = true;
    body.system[0].text = billingLine(body.system[0].text, Filler.hex3(this.o.seed, `${key}/${query}`));
    body.system[2].text = this.mainSystemText();
    body.messages[0].content[2].text = query;
    if (env !== null) body.messages[1].content[0].text = env;
    body.metadata.user_id = userId(sessionUuid(key.charCodeAt(0)));
    return body;
  }

  reply(key, turn) {
    return [{ type: 'text', text: this.words(this.wordsFor(this.o.replyTokens), `${key}/reply/${turn}`) }];
  }

  query(key, turn) {
    return [{ type: 'text', text: this.words(this.wordsFor(this.o.queryTokens), `${key}/query/${turn}`), cache_control: { type: 'ephemeral' } }];
  }

  // The assistant's tool call after turn `turn` of a tool session: Read, Bash, Edit in turn.
  toolUse(key, turn) {
    const id = Filler.toolId(this.o.seed, `${key}/tool/${turn}`);
    const file = `/home/dev/project/src/${this.filler.word(this.o.seed, `${key}/file/${turn}`)}.py`;
    const kind = turn % 3;
    if (kind === 1) return { type: 'tool_use', id, name: 'Read', input: { file_path: file } };
    if (kind === 2) {
      const w = this.filler.word(this.o.seed, `${key}/grep/${turn}`);
      return { type: 'tool_use', id, name: 'Bash', input: { command: `grep -rn "${w}" src | head -40`, description: `Find uses of ${w}` } };
    }
    return {
      type: 'tool_use', id, name: 'Edit',
      input: { file_path: file, old_string: this.words(12, `${key}/old/${turn}`), new_string: this.words(14, `${key}/new/${turn}`) },
    };
  }

  toolResult(key, turn, toolUseId) {
    const text = this.words(this.wordsFor(this.o.toolResultTokens), `${key}/result/${turn}`);
    return [{ tool_use_id: toolUseId, type: 'tool_result', content: text, cache_control: { type: 'ephemeral' } }];
  }

  // A plain session: N turns of query / scripted reply.
  session(key, opts = {}) {
    const reqs = [this.first(key, opts)];
    for (let t = 2; t <= this.o.turns; t++) reqs.push(followUp(reqs.at(-1), this.reply(key, t - 1), this.query(key, t)));
    return reqs;
  }

  // A session whose turns 2..N answer tool calls: the assistant calls a tool, the user turn is
  // its tool_result (cache_control on the result, as Claude Code sends it).
  toolSession(key) {
    const reqs = [this.first(key)];
    for (let t = 2; t <= this.o.turns; t++) {
      const use = this.toolUse(key, t - 1);
      reqs.push(followUp(reqs.at(-1), [use], this.toolResult(key, t, use.id)));
    }
    return reqs;
  }

  // The session-title side request (capture-side-1 shape): its own short system prompt, no
  // tools, json_schema output; its user text replaced by seeded words of the same length.
  side(n) {
    const body = structuredClone(this.fx.side);
    const orig = body.messages[0].content[0].text.split(' ').length;
    const text = this.words(orig, `side/${n}`);
    body.model = MODEL;
    body.max_tokens = this.o.sideMaxTokens;
    body.temperature = 0;
    body.stream = true;
    body.system[0].text = billingLine(body.system[0].text, Filler.hex3(this.o.seed, `side/${text}`));
    body.messages[0].content[0].text = text;
    if (this.o.sideFormat === 'drop') delete body.output_config.format;
    return body;
  }

  // Turn 1 of a subagent (the shape of Claude Code 2.1.328's Explore/general-purpose agents in
  // bench/session/recordings/agents-continue): the billing line marked cc_is_subagent=true, the
  // identity line, a subagent system prompt shared by every subagent (~subagentSystemTokens,
  // seeded words), 8 of the main tools, one user message with its task and cache_control.
  subagentFirst(key) {
    const body = structuredClone(this.fx.first);
    const task = this.words(this.wordsFor(this.o.queryTokens), `${key}/task`);
    body.model = MODEL;
    body.max_tokens = this.o.replyTokens;
    body.temperature = 0;
    body.stream = true;
    body.system[0].text = `${billingLine(body.system[0].text, Filler.hex3(this.o.seed, `${key}/${task}`))} cc_is_subagent=true;`;
    body.system[2].text = this.words(this.wordsFor(this.o.subagentSystemTokens ?? 1500), 'subagent/system');
    const keep = new Set(['Agent', 'Bash', 'Edit', 'Read', 'Skill', 'ToolSearch', 'DeferredToolPlaceholder', 'Write']);
    body.tools = body.tools.filter((t) => keep.has(t.name));
    body.messages = [{ role: 'user', content: [{ type: 'text', text: task, cache_control: { type: 'ephemeral' } }] }];
    body.metadata.user_id = userId(sessionUuid(1));  // the main agent's session
    return body;
  }

  // A subagent's requests: its task, then `turns - 1` tool turns (Read, Bash, Edit in turn).
  subagentSession(key, turns) {
    const reqs = [this.subagentFirst(key)];
    for (let t = 2; t <= turns; t++) {
      const use = this.toolUse(key, t - 1);
      reqs.push(followUp(reqs.at(-1), [use], this.toolResult(key, t, use.id)));
    }
    return reqs;
  }

  // Another repository's environment block: seeded words, as many as the fixture's.
  otherEnv(key) {
    const env = this.fx.first.messages[1].content[0].text;
    return this.words(env.split(' ').length, `${key}/env`);
  }

  // Picks systemWords so that turn 1 renders to the largest size <= promptTokens. Token counts
  // grow with the word count (appended words are a prefix of longer appendices), so a binary
  // search is exact.
  async scale() {
    const target = this.o.promptTokens;
    const sizeWith = async (w) => { this.systemWords = w; return this.count(this.first('A')); };
    // tokens per filler word first (the query and reply sizes depend on it), then the base size.
    const probe = 2000;
    const b0 = await sizeWith(0);
    this.tokensPerWord = Math.max(0.5, ((await sizeWith(probe)) - b0) / probe);
    const base = await sizeWith(0);
    let lo;
    let hi;
    if (base <= target) {
      lo = 0;
      hi = Math.ceil((target - base) / this.tokensPerWord * 1.1) + 50;
      while ((await sizeWith(hi)) <= target) hi *= 2;
    } else {
      const pieces = this.fx.first.system[2].text.split(' ').length;
      if ((await sizeWith(-1)) > target) throw new Error(`--prompt-tokens ${target} is below the fixture's floor (${await sizeWith(-1)} tokens with an empty main system block)`);
      // negative values: keep -w pieces; search over kept pieces k in [1, pieces].
      let a = 1;
      let b = pieces;
      while (b - a > 1) {
        const m = (a + b) >> 1;
        if ((await sizeWith(-m)) <= target) a = m; else b = m;
      }
      this.systemWords = -a;
      return { base, tokens: await this.count(this.first('A')), systemWords: this.systemWords };
    }
    while (hi - lo > 1) {
      const m = (lo + hi) >> 1;
      if ((await sizeWith(m)) <= target) lo = m; else hi = m;
    }
    this.systemWords = lo;
    return { base, tokens: await this.count(this.first('A')), systemWords: lo };
  }
}

// Builds everything the scenarios need. countTokens(body) -> prompt tokens (exact for the
// model's render). Returns {scale, A, B, C, T, sides, subagents: {Sa..Sd}, chains (name -> its
// requests), tokens: Map(body -> prompt tokens)}. C is a second session in A's repository.
export async function buildTrace(fixtures, opts, countTokens) {
  const tb = new TraceBuilder(fixtures, opts, countTokens);
  const scale = await tb.scale();
  const A = tb.session('A');
  const B = tb.session('B', { env: tb.otherEnv('B') });
  const C = tb.session('C');
  const T = tb.toolSession('A');
  const sides = [];
  for (let i = 1; i < opts.turns; i++) sides.push(tb.side(i));
  const chains = { A, B, C, T };
  for (const k of SUBAGENTS.slice(0, opts.subagents ?? 4)) chains[k] = tb.subagentSession(k, opts.subagentTurns ?? 3);
  const tokens = new Map();
  for (const body of [...Object.values(chains).flat(), ...sides]) if (!tokens.has(body)) tokens.set(body, await countTokens(body));
  return { scale: { ...scale, tokensPerWord: tb.tokensPerWord }, ...chains, chains, sides, tokens };
}

// The scripted agent's plan: given the conversation since the current prompt (OpenAI messages,
// as anyclaude forwards Claude Code's requests), the next step of the main agent or of a
// subagent: {calls: [{name, arguments}]} (tool calls) or {text} (the turn ends). Each step is
// chosen by what the conversation already holds (which tools were called, which reports came
// back), never by counting requests, so retries and Claude Code's own ordering do not matter.
import path from 'node:path';

// The user prompts of a session; the marker tells the agent which plan a conversation follows.
export const PROMPTS = {
  A: { marker: '[task A]', text: '[task A] An empty name greets "Hello, !" instead of "Hello, world!". Investigate with three parallel agents (sources, tests, name formatting), then fix it and run the tests.' },
  B: { marker: '[task B]', text: '[task B] Now add a farewell(name) next to greet, with the same empty-name rule, and run the tests again.' },
};

const SUBAGENTS = [
  { n: 1, description: 'Find greeting code', prompt: '[sub 1] Find where greetings are built in this repository and report the function and file.', glob: 'src/**/*.js', grep: 'function greet', read: 'src/greet.js' },
  { n: 2, description: 'Find greeting tests', prompt: '[sub 2] Find the tests that cover greetings and report which one covers empty names.', glob: 'test/**/*.js', grep: 'greet\\(', read: 'test/greet.test.js' },
  { n: 3, description: 'Find name formatting', prompt: '[sub 3] Find how user-supplied names are normalised and report what an empty name becomes.', glob: 'src/*.js', grep: 'trim', read: 'src/format.js' },
];

const textOf = (c) => (typeof c === 'string' ? c : (c ?? []).map((p) => p?.text ?? '').join(''));
const calls = (msgs) => msgs.flatMap((m) => (m.role === 'assistant' ? m.tool_calls ?? [] : [])
  .map((c) => ({ name: c.function?.name, args: (() => { try { return JSON.parse(c.function?.arguments || '{}'); } catch { return {}; } })() })));
const called = (msgs, name, pred = () => true) => calls(msgs).some((c) => c.name === name && pred(c.args));
const results = (msgs) => msgs.filter((m) => m.role !== 'assistant').map((m) => textOf(m.content)).join('\n');

// Glob and Grep when the agent has them, else their Bash equivalents.
function globCall(tools, repo, pattern) {
  if (tools.includes('Glob')) return { name: 'Glob', arguments: { pattern, path: repo } };
  return { name: 'Bash', arguments: { command: `find ${repo} -path '*/${pattern.split('/')[0]}/*' -name '*.js' | sort`, description: 'List source files' } };
}
function grepCall(tools, repo, pattern) {
  if (tools.includes('Grep')) return { name: 'Grep', arguments: { pattern, path: repo, output_mode: 'content', '-n': true } };
  return { name: 'Bash', arguments: { command: `grep -rn '${pattern}' ${repo}/src ${repo}/test`, description: 'Search the sources' } };
}

// One subagent: Glob, Grep, Read, then its report (tagged so the main agent can count reports).
export function subagentPlan(n, repo, msgs, tools = []) {
  const s = SUBAGENTS[n - 1] ?? SUBAGENTS[0];
  const file = path.join(repo, s.read);
  const done = calls(msgs);
  if (done.length === 0) return { calls: [globCall(tools, repo, s.glob)] };
  if (done.length === 1) return { calls: [grepCall(tools, repo, s.grep)] };
  if (!called(msgs, 'Read')) return { calls: [{ name: 'Read', arguments: { file_path: file } }] };
  const lines = results(msgs).split('\n').length;
  return { text: `[report ${n}] ${s.description}: ${s.read} (${lines} lines of results read). ${n === 3 ? 'cleanName("") returns "", so greet gets an empty name.' : n === 2 ? 'test/greet.test.js expects greet("") to be "Hello, world!".' : 'greet() in src/greet.js joins "Hello, " + name + "!" with no default.'}` };
}

const FIX_A = {
  old_string: "  const n = cleanName(name);\n  return 'Hello, ' + n + '!';",
  new_string: "  const n = cleanName(name) || 'world';\n  return 'Hello, ' + n + '!';",
};
const FIX_B = {
  old_string: 'module.exports = { greet };',
  new_string: "function farewell(name) {\n  return 'Goodbye, ' + (cleanName(name) || 'world') + '!';\n}\n\nmodule.exports = { greet, farewell };",
};
const TESTS = (repo) => ({ name: 'Bash', arguments: { command: `cd ${repo} && node --test test/ 2>&1 | tail -n 12`, description: 'Run the tests' } });

function planA(repo, msgs) {
  const greet = path.join(repo, 'src/greet.js');
  if (!called(msgs, 'Agent')) {
    return {
      text: 'I will look at the sources, the tests and the name formatting in parallel.',
      calls: SUBAGENTS.map((s) => ({ name: 'Agent', arguments: { description: s.description, prompt: s.prompt, subagent_type: 'general-purpose' } })),
    };
  }
  const reports = new Set([...results(msgs).matchAll(/\[report (\d)\]/g)].map((m) => m[1]));
  if (!called(msgs, 'Read', (a) => a.file_path === greet)) return { calls: [{ name: 'Read', arguments: { file_path: greet } }] };
  if (reports.size < SUBAGENTS.length) return { text: `Waiting for the agents (${reports.size} of ${SUBAGENTS.length} reports in).` };
  if (!called(msgs, 'Edit')) return { calls: [{ name: 'Edit', arguments: { file_path: greet, ...FIX_A } }] };
  if (!called(msgs, 'Bash')) return { calls: [TESTS(repo)] };
  return { text: 'Fixed: greet() now falls back to "world" when the cleaned name is empty; the tests pass.' };
}

function planB(repo, msgs) {
  const greet = path.join(repo, 'src/greet.js');
  if (!called(msgs, 'Bash')) return { calls: [{ name: 'Bash', arguments: { command: `grep -rn "module.exports" ${repo}/src`, description: 'Find the exports' } }] };
  if (!called(msgs, 'Read')) return { calls: [{ name: 'Read', arguments: { file_path: greet } }] };
  if (!called(msgs, 'Edit')) return { calls: [{ name: 'Edit', arguments: { file_path: greet, ...FIX_B } }] };
  if (calls(msgs).filter((c) => c.name === 'Bash').length < 2) return { calls: [TESTS(repo)] };
  return { text: 'Added farewell(name), exported beside greet, with the same fallback to "world"; the tests pass.' };
}

// The main agent's next step for prompt `task` ('A', 'B' or null: a prompt without a marker).
export function mainPlan(task, repo, msgs) {
  if (task === 'A') return planA(repo, msgs);
  if (task === 'B') return planB(repo, msgs);
  return { text: 'Done.' };
}

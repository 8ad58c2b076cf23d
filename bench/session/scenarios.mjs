// The five scenarios of the session benchmark as lists of steps over one trace:
//   plain    one session, N turns;
//   side     the same session with a session-title side request between every two turns;
//   restart  the same session, every server restarted after turn 1;
//   two      two sessions from different repositories (different environment block, billing
//            suffix and queries), turns interleaved A1 B1 A2 B2 ...;
//   tools    a session whose turns 2..N are tool_result answers to the assistant's tool_use.
//   fanout   Claude Code's Agent tool: main turns 1-2, then 4 subagents at once (their own
//            system prompt and tools, a few tool turns each) while the main agent goes on (turn
//            3), then main turn 4 with their results;
//   sessions three sessions in two repositories (A and C share the repository), interleaved
//            A1 B1 C1 A2 B2 C2 ..., every server restarted after the second round.
// A step is {kind: 'main'|'side'|'subagent', chain, turn, body, label} or {kind: 'restart', label}.
// Each names its chain (A, B, C, T, Sa..) so that its reusable depth is the previous turn of that
// chain. Steps with the same `group` run concurrently (each chain's own steps in order).

export const SCENARIOS = {
  plain: { n: 1, title: 'plain session' },
  side: { n: 2, title: 'title side request between turns' },
  restart: { n: 3, title: 'server restart after turn 1' },
  two: { n: 4, title: 'two sessions (two repositories) interleaved' },
  tools: { n: 5, title: 'tool_use / tool_result turns' },
  fanout: { n: 6, title: 'subagent fan-out beside the main conversation' },
  sessions: { n: 7, title: 'three sessions in two repositories, restart in the middle' },
};

const main = (chain, reqs, i) => ({ kind: 'main', chain, turn: i + 1, body: reqs[i], label: `${chain}${i + 1}` });
const sub = (chain, reqs, i, group) => ({ kind: 'subagent', chain, turn: i + 1, body: reqs[i], label: `${chain}${i + 1}`, group });

export function scenarioSteps(name, trace) {
  const { A, B, T, sides } = trace;
  const steps = [];
  switch (name) {
    case 'plain':
      A.forEach((_, i) => steps.push(main('A', A, i)));
      break;
    case 'side':
      A.forEach((_, i) => {
        steps.push(main('A', A, i));
        if (i < A.length - 1) steps.push({ kind: 'side', chain: 'side', turn: i + 1, body: sides[i], label: `side${i + 1}` });
      });
      break;
    case 'restart':
      A.forEach((_, i) => {
        steps.push(main('A', A, i));
        if (i === 0) steps.push({ kind: 'restart', label: 'restart' });
      });
      break;
    case 'two':
      A.forEach((_, i) => { steps.push(main('A', A, i)); steps.push(main('B', B, i)); });
      break;
    case 'tools':
      T.forEach((_, i) => steps.push(main('T', T, i)));
      break;
    case 'fanout': {
      steps.push(main('A', A, 0), main('A', A, 1));
      const subs = Object.keys(trace.chains).filter((k) => k.startsWith('S'));
      for (const k of subs) trace[k].forEach((_, i) => steps.push(sub(k, trace[k], i, 1)));
      steps.push({ ...main('A', A, 2), group: 1 }, main('A', A, 3));
      break;
    }
    case 'sessions':  // four rounds: two before the restart, two after
      A.slice(0, 4).forEach((_, i) => {
        for (const k of ['A', 'B', 'C']) steps.push(main(k, trace[k], i));
        if (i === 1) steps.push({ kind: 'restart', label: 'restart' });
      });
      break;
    default:
      throw new Error(`unknown scenario ${name} (known: ${Object.keys(SCENARIOS).join(', ')})`);
  }
  return steps;
}

// The (D, N) a perfect cache faces at a step: D = the previous turn's prompt of the same chain
// (the chain only appends), N = the rest; 0 and the whole prompt for a session's first turn and
// for side requests (their own short system prompt shares nothing with the main one).
export function limitShape(step, trace) {
  const P = trace.tokens.get(step.body);
  if (step.kind === 'side' || step.turn === 1) return { D: 0, N: P };
  const chain = trace.chains[step.chain];
  const D = trace.tokens.get(chain[step.turn - 2]);
  return { D, N: P - D };
}

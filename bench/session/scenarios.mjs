// The five scenarios of the session benchmark as lists of steps over one trace:
//   plain    one session, N turns;
//   side     the same session with a session-title side request between every two turns;
//   restart  the same session, every server restarted after turn 1;
//   two      two sessions from different repositories (different environment block, billing
//            suffix and queries), turns interleaved A1 B1 A2 B2 ...;
//   tools    a session whose turns 2..N are tool_result answers to the assistant's tool_use.
// A step is {kind: 'main'|'side', chain, turn, body, label} or {kind: 'restart', label}. Each main
// step names its chain (A, B or T) so that its reusable depth is the previous turn of that chain.

export const SCENARIOS = {
  plain: { n: 1, title: 'plain session' },
  side: { n: 2, title: 'title side request between turns' },
  restart: { n: 3, title: 'server restart after turn 1' },
  two: { n: 4, title: 'two sessions (two repositories) interleaved' },
  tools: { n: 5, title: 'tool_use / tool_result turns' },
};

const main = (chain, reqs, i) => ({ kind: 'main', chain, turn: i + 1, body: reqs[i], label: `${chain}${i + 1}` });

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
  const chain = trace[step.chain];
  const D = trace.tokens.get(chain[step.turn - 2]);
  return { D, N: P - D };
}

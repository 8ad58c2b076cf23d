// Seeded filler text for the session trace: a small deterministic PRNG and words drawn from the
// fixture's own main system block (its vocabulary, sentence ends and line breaks), so generated
// text tokenizes like the captured prose. Same seed, same text.

// mulberry32: 32-bit state, good enough for picking words.
export function rng(seed) {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A seed derived from a base seed and a label, so every text of the trace has its own stream.
export function subSeed(seed, label) {
  let h = (seed >>> 0) ^ 0x811c9dc5;
  for (const ch of String(label)) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h >>> 0;
}

export class Filler {
  // source: prose whose space-separated pieces ("word", "word.", "word\n") are the vocabulary.
  constructor(source) {
    this.pieces = source.split(' ').filter((p) => p.length > 0);
    if (this.pieces.length < 10) throw new Error('filler source has too few words');
  }

  // n words for (seed, label), joined with spaces; the text never ends with a line break.
  words(n, seed, label) {
    const r = rng(subSeed(seed, label));
    const out = [];
    for (let i = 0; i < n; i++) out.push(this.pieces[Math.floor(r() * this.pieces.length)]);
    return out.join(' ').replace(/\n+$/, '');
  }

  // Lowercase letters only (file names, identifiers).
  word(seed, label) {
    const w = this.words(1, seed, label).replace(/[^a-z]/g, '');
    return w || 'file';
  }

  // 3 hex digits, like the suffix of Claude Code's cc_version.
  static hex3(seed, label) {
    return (subSeed(seed, label) & 0xfff).toString(16).padStart(3, '0');
  }

  // "toolu_" + 16 hex digits.
  static toolId(seed, label) {
    const a = subSeed(seed, `${label}/a`).toString(16).padStart(8, '0');
    const b = subSeed(seed, `${label}/b`).toString(16).padStart(8, '0');
    return `toolu_${a}${b}`;
  }
}

// Seeded randomness for the chaos suite: every random moment and choice of a trial comes from
// its own generator, derived from the run's seed and the trial's name, so `CHAOS_SEED=N` replays
// a trial's moments whatever ran before it.

/** mulberry32: a small, fast 32-bit generator; good enough to pick moments and cases. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string: mixes a trial's name into the seed. */
function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The run's seed: CHAOS_SEED, else a fresh one (printed by run.mjs so the run can be replayed). */
export function runSeed() {
  const given = process.env.CHAOS_SEED;
  if (given === undefined || given === '') return Math.floor(Math.random() * 2 ** 32);
  const seed = Number(given);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    console.error(`chaos: CHAOS_SEED must be a whole number >= 0, not ${JSON.stringify(given)}`);
    process.exit(1);
  }
  return seed >>> 0;
}

/** The generator of one trial: float(), between(lo, hi), int(lo, hi), pick(list), chance(p). */
export function trialRandom(seed, name) {
  const next = mulberry32((seed ^ hash(name)) >>> 0);
  return {
    float: next,
    between: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor((hi - lo + 1) * next()),
    pick: (list) => list[Math.floor(list.length * next())],
    chance: (p) => next() < p,
  };
}

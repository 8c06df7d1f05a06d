// System ids shared by machines that find each other through the actor system (a constant
// module of its own, so that the machines importing it do not import each other).

/** The recovery (auto-start) actor under the supervisor. */
export const RECOVERY_ID = 'recovery';

// The simulated hosts of one run: each host's supervisor actor (its own actor system, as each
// agent process has), started one at a time by the ramp, restarted when it exits 77 as the
// wrapper restarts an agent, and counted for the progress line and the summary.
import type { Actor } from 'xstate';
import { RESTART_EXIT_CODE } from '../machines/supervisor.js';
import { HEARTBEAT_INTERVAL_SECONDS } from '../machines/heartbeat.js';
import { LatencyHistogram } from './latencyHistogram.js';
import { createHostActor, fleetMachine, simulatedHost, type FleetMachine, type FleetSettings, type HostEffects, type SimulatedHost } from './simulatedHost.js';

/** A heartbeat answered this much past its due time makes its host late (the goal's bound). */
export const LATE_AFTER_MS = 1000;
/** The server takes a host as lost after this many silent heartbeat intervals (HostRegistry's rule). */
const LOST_AFTER_INTERVALS = 3;
const INTERVAL_MS = HEARTBEAT_INTERVAL_SECONDS * 1000;

interface HostRecord {
  host: SimulatedHost;
  actor: Actor<FleetMachine>;
  connected: boolean;
  firstRegisteredAt?: number;
  lastAnswerAt?: number;
  restarts: number;
  /** Ended for good: the exit code and why (a host that exits 77 is started again instead). */
  ended?: { exitCode: number; error?: string };
}

export interface FleetCounts {
  /** Hosts the ramp has started. */
  started: number;
  /** Connected now (the supervisor in `connected`). */
  registered: number;
  /** Connected, and their last heartbeat answer is not overdue. */
  heartbeating: number;
  /** Connected, but a heartbeat is overdue by more than LATE_AFTER_MS. */
  late: number;
  /** Registered once, and now disconnected or silent for LOST_AFTER_INTERVALS intervals. */
  lost: number;
  /** Registered at least once in this run. */
  everRegistered: number;
  /** Hosts that ended for good (exit code other than 77). */
  failed: number;
  /** Exits with 77 that were started again. */
  restarts: number;
}

export class HostFleet {
  private readonly hosts: HostRecord[] = [];
  private readonly byName = new Map<string, HostRecord>();
  private stopping = false;
  /** Every heartbeat answer's lateness, and those since the last progress line. */
  readonly lateness = new LatencyHistogram();
  readonly recentLateness = new LatencyHistogram();
  /** Those answered once every host had registered (the steady state, without the ramp's load). */
  readonly steadyLateness = new LatencyHistogram();
  private registeredOnce = 0;
  heartbeats = 0;
  readonly startedAt = performance.now();
  /** performance.now() of the first and the latest first registration. */
  firstRegistration?: number;
  lastRegistration?: number;
  /** The last errors that ended hosts, for the summary. */
  readonly errors: string[] = [];

  /** Every host's machines, provided once (each host's effects are bound to its actor system). */
  private readonly machine: FleetMachine;

  constructor(
    private readonly names: readonly string[],
    private readonly settings: FleetSettings,
  ) {
    settings.onHeartbeat = (hostname, latenessMs) => this.heartbeatAnswered(hostname, latenessMs);
    this.machine = fleetMachine(() => this.anyEffects());
  }

  private anyEffects(): HostEffects {
    const record = this.hosts[0];
    if (!record) throw new Error('no simulated host has started');
    return record.host.effects;
  }

  get size(): number {
    return this.names.length;
  }

  /** Starts the next host; false once all have been started (or the fleet is stopping). */
  startNext(): boolean {
    if (this.stopping || this.hosts.length >= this.names.length) return false;
    const name = this.names[this.hosts.length]!;
    const record = this.launch(simulatedHost(name, this.settings), 0);
    this.hosts.push(record);
    this.byName.set(name, record);
    return this.hosts.length < this.names.length;
  }

  private launch(host: SimulatedHost, restarts: number): HostRecord {
    const actor = createHostActor(this.machine, host);
    const record: HostRecord = { host, actor, connected: false, restarts };
    actor.subscribe({
      next: (snapshot) => {
        const connected = snapshot.value === 'connected';
        if (connected && !record.connected) {
          const now = performance.now();
          if (record.firstRegisteredAt === undefined) {
            record.firstRegisteredAt = now;
            this.registeredOnce++;
            this.firstRegistration ??= now;
            this.lastRegistration = now;
          }
          // Heartbeats are due from here: the first one goes out at once.
          record.lastAnswerAt = now;
        }
        record.connected = connected;
      },
      complete: () => {
        record.connected = false;
        const { exitCode, error } = actor.getSnapshot().output ?? { exitCode: 1, error: 'no output' };
        if (exitCode === RESTART_EXIT_CODE && !this.stopping) {
          // The wrapper's rule: 77 asks for a new agent, as a fresh process would be.
          const fresh = this.launch(simulatedHost(host.hostname, this.settings), record.restarts + 1);
          fresh.firstRegisteredAt = record.firstRegisteredAt;
          this.replace(record, fresh);
          return;
        }
        record.ended = { exitCode, ...(error ? { error } : {}) };
        if (exitCode !== 0 && error) this.noteError(`${host.hostname}: ${error}`);
      },
      error: (err) => {
        record.connected = false;
        record.ended = { exitCode: 1, error: String((err as Error)?.message ?? err) };
        this.noteError(`${host.hostname}: supervisor crashed: ${record.ended.error}`);
      },
    });
    actor.start();
    return record;
  }

  private replace(old: HostRecord, fresh: HostRecord): void {
    this.hosts[this.hosts.indexOf(old)] = fresh;
    this.byName.set(old.host.hostname, fresh);
  }

  private noteError(message: string): void {
    this.errors.push(message);
    if (this.errors.length > 20) this.errors.shift();
  }

  private heartbeatAnswered(hostname: string, latenessMs: number | undefined): void {
    const record = this.byName.get(hostname);
    if (record) record.lastAnswerAt = performance.now();
    this.heartbeats++;
    if (latenessMs === undefined) return;
    this.lateness.add(latenessMs);
    this.recentLateness.add(latenessMs);
    if (this.registeredOnce === this.names.length) this.steadyLateness.add(latenessMs);
  }

  counts(now = performance.now()): FleetCounts {
    const counts: FleetCounts = { started: this.hosts.length, registered: 0, heartbeating: 0, late: 0, lost: 0, everRegistered: 0, failed: 0, restarts: 0 };
    for (const record of this.hosts) {
      counts.restarts += record.restarts;
      if (record.ended && record.ended.exitCode !== 0) counts.failed++;
      if (record.firstRegisteredAt !== undefined) counts.everRegistered++;
      if (!record.connected) {
        if (record.firstRegisteredAt !== undefined && !this.stopping) counts.lost++;
        continue;
      }
      counts.registered++;
      // Overdue: no answer within an interval (plus the bound) of the last one, or of registering.
      const since = now - (record.lastAnswerAt ?? now);
      if (since >= LOST_AFTER_INTERVALS * INTERVAL_MS) counts.lost++;
      else if (since > INTERVAL_MS + LATE_AFTER_MS) counts.late++;
      else counts.heartbeating++;
    }
    return counts;
  }

  /** STOP to every host; resolves once all have stopped (their commands cancelled, connections closed). */
  async stopAll(reason: string): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.hosts.map(
        (record) =>
          new Promise<void>((resolve) => {
            const { actor } = record;
            if (actor.getSnapshot().status !== 'active') return resolve();
            actor.subscribe({ complete: () => resolve(), error: () => resolve() });
            actor.send({ type: 'STOP', reason });
          }),
      ),
    );
  }
}

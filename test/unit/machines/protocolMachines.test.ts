import { describe, expect, it } from 'vitest';
import { createActor, createMachine, fromCallback, fromPromise, SimulatedClock, waitFor, type AnyActorRef } from 'xstate';
import { heartbeatMachine, type BeatResult } from '../../../src/machines/heartbeat.js';
import { POST_REGISTRATION_TOPICS, PRE_REGISTRATION_TOPICS, registrationMachine, type RegistrationResponse } from '../../../src/machines/registration.js';
import { MAX_CONNECT_FAILURES, sessionMachine, type LinkEvent } from '../../../src/machines/session.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));
const SYNC = ['topologies', 'metadata', 'configurations', 'host_level_params', 'alert_definitions'];

describe('registration machine', () => {
  function run(response: RegistrationResponse, failSync?: string) {
    const steps: string[] = [];
    const actor = createActor(
      registrationMachine.provide({
        actors: {
          subscribe: fromPromise(async ({ input }) => void steps.push(`subscribe ${input.destinations.join(' ')}`)),
          register: fromPromise(async () => {
            steps.push('register');
            return response;
          }),
          sync: fromPromise(async ({ input }) => {
            steps.push(`sync ${input.cache}`);
            if (input.cache === failSync) throw new Error('10 seconds timeout expired');
          }),
        },
      }),
      { input: { link: 'the-link', syncSteps: SYNC } },
    ).start();
    return { actor, steps };
  }

  it("follows the reference's order and outputs the responseId", async () => {
    const { actor, steps } = run({ id: 0, exitstatus: 0 });
    await waitFor(actor, (s) => s.status === 'done');
    expect(steps).toEqual([
      `subscribe ${PRE_REGISTRATION_TOPICS.join(' ')}`,
      'register',
      ...SYNC.map((cache) => `sync ${cache}`),
      `subscribe ${POST_REGISTRATION_TOPICS.join(' ')}`,
    ]);
    expect(actor.getSnapshot().output).toEqual({ ok: true, responseId: 0, error: undefined });
  });

  it('fails with the server log when exitstatus is not 0, before any sync', async () => {
    const { actor, steps } = run({ id: -1, exitstatus: 1, log: 'host unknown to the cluster' });
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().output).toEqual({ ok: false, responseId: undefined, error: 'Registration failed due to: host unknown to the cluster' });
    expect(steps).toEqual([`subscribe ${PRE_REGISTRATION_TOPICS.join(' ')}`, 'register']);
  });

  it("adds the agent's hint to a refusal (where its version comes from)", async () => {
    const log = 'Cannot register host with non compatible agent version, hostname=h1, agentVersion=2.7.0.0, serverVersion=2.8.0.0';
    const { actor } = run({ id: -1, exitstatus: 1, log, hint: 'this agent sent agentVersion 2.7.0.0, read from /p/version; write the server\'s version there' });
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().output?.error).toBe(`Registration failed due to: ${log} (this agent sent agentVersion 2.7.0.0, read from /p/version; write the server's version there)`);
  });

  it('fails naming the cache whose sync failed', async () => {
    const { actor, steps } = run({ id: 0, exitstatus: 0 }, 'configurations');
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().output?.error).toBe('sync of configurations failed: 10 seconds timeout expired');
    expect(steps.at(-1)).toBe('sync configurations');
  });
});

describe('heartbeat machine', () => {
  function run(answers: Array<number | Error>) {
    const sent: Array<{ id: number; at: number }> = [];
    const clock = new SimulatedClock();
    const actor = createActor(
      heartbeatMachine.provide({
        actors: {
          beat: fromPromise<BeatResult, { link: unknown; responseId: number }>(async ({ input }) => {
            sent.push({ id: input.responseId, at: clock.now() });
            const answer = answers.shift();
            if (answer instanceof Error) throw answer;
            return { id: answer ?? input.responseId + 1, roundTripMs: 1 };
          }),
        },
      }),
      { input: { link: 'l', responseId: 0 }, clock },
    ).start();
    return { actor, clock, sent };
  }

  it('beats at once, then every interval, advancing responseId by one', async () => {
    const { actor, clock, sent } = run([]);
    for (let i = 0; i < 3; i++) {
      await waitFor(actor, (s) => s.matches('waiting') && s.context.beats === i + 1);
      clock.increment(10_000);
    }
    await waitFor(actor, (s) => s.context.beats === 4);
    expect(sent).toEqual([
      { id: 0, at: 0 },
      { id: 1, at: 10_000 },
      { id: 2, at: 20_000 },
      { id: 3, at: 30_000 },
    ]);
    actor.stop();
  });

  it("ends with reason 'sequence' on an answer out of sequence", async () => {
    const { actor, clock } = run([1, 5]);
    await waitFor(actor, (s) => s.matches('waiting'));
    clock.increment(10_000);
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().output).toEqual({ reason: 'sequence', error: 'Error in responseId sequence - restarting (expected 2, got 5)' });
  });

  it("ends with reason 'error' when a heartbeat request fails", async () => {
    const { actor } = run([new Error('10 seconds timeout expired waiting for response')]);
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().output).toEqual({ reason: 'error', error: 'Heartbeat failed: 10 seconds timeout expired waiting for response' });
  });
});

describe('session machine', () => {
  /** A session under a parent that records what the session tells it. */
  function run(options: { connectFails?: number; registrationOk?: boolean; heartbeat?: 'forever' | 'sequence' | 'error' } = {}) {
    const told: string[] = [];
    const calls: string[] = [];
    const listeners: Array<(event: LinkEvent) => void> = [];
    let connectFailures = options.connectFails ?? 0;
    const clock = new SimulatedClock();
    const session = sessionMachine.provide({
      actors: {
        connect: fromPromise(async () => {
          calls.push(`connect@${clock.now()}`);
          if (connectFailures > 0) {
            connectFailures--;
            throw new Error('ECONNREFUSED');
          }
          return { name: 'link' } as unknown;
        }),
        listen: fromCallback<LinkEvent, { link: unknown }>(({ sendBack }) => {
          listeners.push(sendBack);
          return () => calls.push('listen:stopped');
        }),
        disconnect: fromPromise<void, { link: unknown; reason: string }>(async () => void calls.push('disconnect')),
        registration: fromPromise(async () => ({ ok: options.registrationOk ?? true, responseId: 3, error: options.registrationOk === false ? 'Registration failed due to: no' : undefined })) as never,
        heartbeat: fromPromise(async () => {
          if ((options.heartbeat ?? 'forever') === 'forever') return new Promise<never>(() => {});
          return { reason: options.heartbeat, error: `heartbeat ${options.heartbeat}` };
        }) as never,
      },
    });
    const parent = createActor(
      createMachine({
        invoke: { id: 'session', src: session, input: { server: 'srv', syncSteps: SYNC, reconnectDelaySeconds: 10 } },
        on: { '*': { actions: ({ event }) => told.push(event.type.startsWith('xstate.done') ? 'DONE' : event.type) } },
      }),
      { clock },
    ).start();
    const child = () => parent.getSnapshot().children.session as AnyActorRef;
    return { parent, child, told, calls, listeners, clock };
  }

  it('connects, registers and tells the parent SESSION.REGISTERED', async () => {
    const { child, told } = run();
    await waitFor(child(), (s) => s.matches({ online: 'registered' }));
    expect(told).toEqual(['SESSION.REGISTERED']);
    expect(child().getSnapshot().context).toMatchObject({ responseId: 3, registrations: 1, connectFailures: 0 });
  });

  it('retries a failing connection reconnectDelay apart, then ends after the last try', async () => {
    const { child, told, calls, clock } = run({ connectFails: 99 });
    for (let i = 1; i < MAX_CONNECT_FAILURES; i++) {
      await waitFor(child(), (s) => s.matches('waiting'));
      clock.increment(9_999);
      await settle();
      expect(calls.filter((c) => c.startsWith('connect'))).toHaveLength(i);
      clock.increment(1);
      await settle();
    }
    await settle();
    expect(calls.filter((c) => c.startsWith('connect'))).toEqual(['connect@0', 'connect@10000', 'connect@20000']);
    expect(told).toEqual(['DONE']);
  });

  it('a lost link unregisters (SESSION.LOST), waits, and registers again', async () => {
    const { child, told, calls, listeners, clock } = run();
    await waitFor(child(), (s) => s.matches({ online: 'registered' }));
    listeners[0]!({ type: 'LINK.LOST', reason: 'server silent for more than 20 s (heart-beat missed)' });
    await waitFor(child(), (s) => s.matches('waiting'));
    expect(told).toEqual(['SESSION.REGISTERED', 'SESSION.LOST']);
    expect(calls).toContain('disconnect');
    expect(calls).toContain('listen:stopped');
    clock.increment(10_000);
    await waitFor(child(), (s) => s.matches({ online: 'registered' }));
    expect(told).toEqual(['SESSION.REGISTERED', 'SESSION.LOST', 'SESSION.REGISTERED']);
    expect(child().getSnapshot().context.registrations).toBe(2);
  });

  it('a failed registration unregisters and tries again after the delay', async () => {
    const { child, told } = run({ registrationOk: false });
    await waitFor(child(), (s) => s.matches('waiting'));
    expect(told).toEqual(['SESSION.LOST']);
    expect(child().getSnapshot().context.lastError).toBe('Registration failed due to: no');
  });

  it('a heartbeat out of sequence asks the parent for a restart', async () => {
    const { child, told } = run({ heartbeat: 'sequence' });
    await waitFor(child(), (s) => s.status === 'done');
    expect(told).toEqual(['SESSION.REGISTERED', 'AGENT.RESTART', 'DONE']);
  });

  it('a failed heartbeat re-registers instead', async () => {
    const { child, told } = run({ heartbeat: 'error' });
    await waitFor(child(), (s) => s.matches('waiting'));
    expect(told).toEqual(['SESSION.REGISTERED', 'SESSION.LOST']);
  });

  it('RESTART_AGENT from the listener asks the parent for a restart', async () => {
    const { child, told, listeners } = run();
    await waitFor(child(), (s) => s.matches({ online: 'registered' }));
    listeners[0]!({ type: 'AGENT.RESTART', reason: 'RESTART_AGENT from the server' });
    await waitFor(child(), (s) => s.status === 'done');
    expect(told).toEqual(['SESSION.REGISTERED', 'AGENT.RESTART', 'DONE']);
  });
});

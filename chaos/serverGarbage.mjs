// Garbage from the server, through the dev server's /messages API: broken STOMP frames (the
// agent drops that connection and registers again, as documented), bodies that are not JSON,
// 50 MB bodies, deeply nested JSON, and messages with fields missing, on every destination the
// agent subscribes to. A command runs meanwhile; afterwards the agent must still be the same
// process, heartbeat again, and run a new command. Each trial takes the next CASES_PER_TRIAL
// cases of the list (so a run of enough trials sends them all), in an order of its own.
import { sleep } from './agents.mjs';

const CASES_PER_TRIAL = 4;
const DEPTH = 100_000;
const deepArrays = '['.repeat(DEPTH) + ']'.repeat(DEPTH);
const deepObjects = '{"a":'.repeat(DEPTH) + '1' + '}'.repeat(DEPTH);
const NUL = '\u0000';

const COMMANDS = '/user/commands';
const TOPOLOGIES = '/events/topologies';
const METADATA = '/events/metadata';
const CONFIGS = '/user/configs';
const ANSWERS = '/user/';
const ACTIONS = '/user/agent_actions';
const KEY = '/events/encryption_key';

/** [name, body of POST /messages]. */
export const CASES = [
  ['raw: unknown STOMP command', { raw: `BOGUS\n\n${NUL}` }],
  ['raw: header line without a colon', { raw: `MESSAGE\nno-colon-here\n\n{}${NUL}` }],
  ['raw: content-length past the end', { raw: `MESSAGE\ndestination:${COMMANDS}\ncontent-length:99999\n\n{}${NUL}` }],
  ['raw: control characters and U+FFFF', { raw: `\u0001\u0002\uffff${NUL}\n\n${NUL}garbage` }],
  ['raw: a 100 KB header', { raw: `MESSAGE\ndestination:${COMMANDS}\nx:${'a'.repeat(100_000)}\n\n{}${NUL}` }],
  ['invalid JSON on /user/commands', { destination: COMMANDS, body: '{"clusters": {"0": {"commands": [' }],
  ['invalid JSON on /user/commands with a messageId', { destination: COMMANDS, body: 'not json at all', headers: { messageId: '900001' } }],
  ['invalid JSON on /events/topologies', { destination: TOPOLOGIES, body: '{"eventType": "UPDATE", "clusters": ' }],
  ['invalid JSON on /user/ (answers)', { destination: ANSWERS, body: '{"status": "OK"', headers: { correlationId: '424242' } }],
  ['invalid JSON on agent actions and the encryption key', [{ destination: ACTIONS, body: '{{{' }, { destination: KEY, body: '"unterminated' }]],
  ['50 MB body on /user/commands', { destination: COMMANDS, large_body_bytes: 50_000_000 }],
  ['50 MB body on /events/topologies', { destination: TOPOLOGIES, large_body_bytes: 50_000_000 }],
  ['50 MB body on /user/configs', { destination: CONFIGS, large_body_bytes: 50_000_000 }],
  [`deep nesting (${DEPTH} arrays) on /user/commands`, { destination: COMMANDS, body: deepArrays }],
  [`deep nesting (${DEPTH} objects) in a command`, { destination: COMMANDS, body: `{"clusters":{"0":{"commands":[{"taskId":"x","commandParams":${deepObjects}}]}}}` }],
  [`deep nesting (${DEPTH} objects) on /events/topologies and /events/metadata`, [{ destination: TOPOLOGIES, body: deepObjects }, { destination: METADATA, body: deepArrays }]],
  ['missing fields: /user/commands {}', { destination: COMMANDS, body: {} }],
  ['missing fields: a command without taskId or roleCommand', { destination: COMMANDS, body: { clusters: { 0: { commands: [{ role: 'X' }] } } } }],
  ['missing fields: a cancel without its task', { destination: COMMANDS, body: { clusters: { 0: { cancelCommands: [{}] } } } }],
  ['missing fields: topology UPDATE and DELETE without clusters', [{ destination: TOPOLOGIES, body: { eventType: 'UPDATE' } }, { destination: TOPOLOGIES, body: { eventType: 'DELETE', clusters: { 0: {} } } }]],
  ['missing fields: metadata and configs without clusters', [{ destination: METADATA, body: { eventType: 'UPDATE' } }, { destination: CONFIGS, body: { timestamp: 'soon' } }]],
  ['missing fields: agent action without a name, key without a key', [{ destination: ACTIONS, body: {} }, { destination: KEY, body: {} }]],
  ['wrong types: commands not a list, null clusters, null and numbers for commands', [
    { destination: COMMANDS, body: { clusters: { 0: { commands: 'not a list' } } } },
    { destination: COMMANDS, body: { clusters: { 0: null, 1: [] } } },
    { destination: COMMANDS, body: { clusters: { 0: { commands: [null, 1, 'x', []] } } } },
  ]],
  ['wrong types: fields of a command', { destination: COMMANDS, body: { clusters: { 0: { commands: [
    { taskId: 900002, role: null, roleCommand: 5, commandParams: 'not an object', clusterId: {} },
    { taskId: -1, commandType: 'BACKGROUND_EXECUTION_COMMAND', commandParams: { command_timeout: 'abc', script: 7 } },
    { taskId: 1e300, commandType: 'STATUS_COMMAND', roleCommand: 'STATUS' },
    { taskId: '900003', commandParams: { script_type: 'COBOL', max_duration_for_retries: 'x', command_retry_enabled: 'maybe' } },
  ] } } } }],
  ['wrong types: cancels', { destination: COMMANDS, body: { clusters: { 0: { cancelCommands: [{ target_task_id: 'abc' }, { target_task_id: null, reason: 5 }, 'x'] } } } }],
  ['wrong types: topology', [
    { destination: TOPOLOGIES, body: { eventType: 'UPDATE', clusters: { 0: { components: 'x', hosts: [null] } } } },
    { destination: TOPOLOGIES, body: { eventType: 'CREATE', clusters: { 0: { components: [{ componentName: null, hostIds: 'all' }, null], hosts: [{ hostId: 'one', hostName: 5 }] } } } },
  ]],
  ['wrong types: metadata, configs, host level params', [
    { destination: METADATA, body: { eventType: 'UPDATE', clusters: { '-1': { agentConfigs: 'x', status_commands_to_run: 5 }, 0: { serviceLevelParams: [1, 2] } } } },
    { destination: CONFIGS, body: { timestamp: 1, clusters: { 0: { configurations: 'x', configurationAttributes: [null] } } } },
    { destination: '/user/host_level_params', body: { clusters: { 0: { recoveryConfig: 5, hostRepositories: 'none' } } } },
    { destination: '/user/alert_definitions', body: { eventType: 'UPDATE', clusters: { 0: { alertDefinitions: 'x' } } } },
  ]],
];

/** POST /messages, again while the agent reconnects (404/409), up to 20 s. */
async function send(server, host, message) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { status, body } = await server.api(`/api/v1/hosts/${encodeURIComponent(host)}/messages`, message);
    if (status === 200) return;
    if (status === 400 || Date.now() > deadline) throw new Error(`POST messages answered ${status}: ${JSON.stringify(body).slice(0, 200)}`);
    await sleep(200);
  }
}

export const serverGarbage = {
  key: 'server-garbage',
  title: 'server garbage (frames, JSON, 50 MB, nesting, fields)',
  budgetMs: 40_000,
  async trial(ctx, shared, index) {
    const { rng, book } = ctx;
    const server = await shared.server();
    const agent = await ctx.agent(server);
    await agent.start();
    await agent.registered(server);
    // A component of the host's own: its commands are completed from the caches the garbage
    // goes to (topology, metadata, configurations), as a real server's are.
    await book.placeComponent(server, `CHAOS_CLIENT_${index}`);
    await book.submit(server, { seconds: rng.between(1, 3) });
    await book.submitComponent(server);
    const cases = Array.from({ length: CASES_PER_TRIAL }, (_, i) => CASES[(index * CASES_PER_TRIAL + i) % CASES.length]);
    cases.sort(() => rng.float() - 0.5);
    for (const [name, messages] of cases) {
      ctx.trace(`sending: ${name}`);
      for (const message of [messages].flat()) await send(server, ctx.host, message);
      await sleep(rng.between(0, 500));
      if (!ctx.expectSame(agent, `after "${name}"`)) return;
    }
    // Still working: heartbeats go on (one every 10 s) and a new command runs.
    const before = (await server.host(ctx.host))?.heartbeats ?? 0;
    await book.submit(server, { seconds: 0.2 });
    await book.submitComponent(server);
    const deadline = Date.now() + 35_000;
    while (((await server.host(ctx.host))?.heartbeats ?? 0) <= before) {
      if (Date.now() > deadline) {
        ctx.crash(`no heartbeat for 35 s after ${cases.map((c) => `"${c[0]}"`).join(', ')} (agent process still running: ${agent.isSame()})`);
        break;
      }
      await sleep(250);
    }
    await ctx.judge(server, { agentDied: false });
  },
};

// Agent connections to a dev server for its protocol tests: registered, subscribed, and closed
// when the test finishes; and the messages they were pushed.
import { expect, onTestFinished } from 'vitest';
import { TestStompClient } from './stompTestClient.js';

/**
 * A connection to the server's secured port that registered as `hostName` (with `registration`
 * merged into the body) and subscribed to `topics`, the subscriptions in once this resolves.
 */
export async function registeredClient(securedUrlPort: number, hostName: string, topics: readonly string[] = [], registration: Record<string, unknown> = {}): Promise<TestStompClient> {
  const client = await TestStompClient.open(securedUrlPort);
  onTestFinished(() => client.close());
  expect(await client.register(hostName, registration)).toMatchObject({ exitstatus: 0 });
  topics.forEach((topic, index) => client.subscribe(topic, `sub-${index + 1}`));
  await roundTrip(client);
  return client;
}

/** The server has handled everything the client sent before (and pushed what it pushes). */
export async function roundTrip(client: TestStompClient): Promise<void> {
  await client.request('/agents/configs', { hash: null });
}

/** The bodies of the MESSAGE frames the client got on `destination`, in order. */
export const messagesOn = (client: TestStompClient, destination: string): Array<Record<string, any>> =>
  client.frames.filter((f) => f.command === 'MESSAGE' && f.headers.destination === destination).map((f) => JSON.parse(f.body) as Record<string, any>);

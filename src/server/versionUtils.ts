// VersionUtils.areVersionsEqual(server, agent, true) (ambari-server-spi utils/VersionUtils.java),
// which HeartBeatHandler.handleRegistration uses to accept an agentVersion: both trimmed, cut at
// the first '-', compared as up to four numeric parts (a missing or non-numeric part is 0), so
// "2.8.0.0" equals "2.8.0", "2.8.0.0-123" and " 2.8.0.0 ". The server's DEV_VERSION
// "${ambariVersion}" equals anything. With allowEmptyVersions, null/empty equal only each other;
// other bad input is an IllegalArgumentException, i.e. a refused registration too.

const DEV_VERSION = '${ambariVersion}';

export function areVersionsEqual(server: string | null | undefined, agent: string | null | undefined): boolean {
  if (server === DEV_VERSION) return true;
  if (server == null || agent == null) return server == null && agent == null;
  if (server === '' || agent === '') return server === agent;
  const a = parts(server);
  const b = parts(agent);
  if (a === undefined || b === undefined) return false;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return false;
  return true;
}

/** The numeric parts compareVersions compares; undefined where it throws (an empty version). */
function parts(version: string): number[] | undefined {
  let text = version.trim();
  if (text.includes('-')) text = text.slice(0, text.indexOf('-'));
  if (text === '') return undefined;
  if (text === DEV_VERSION) return [];
  // Java: replaceAll("([0-9]+).([0-9]+).([0-9]+).?([0-9]+)?.*", "$1.$2.$3.$4") then split on '.'.
  const match = /([0-9]+).([0-9]+).([0-9]+).?([0-9]+)?.*/.exec(text);
  const rewritten = match ? text.slice(0, match.index) + `${match[1]}.${match[2]}.${match[3]}.${match[4] ?? ''}` : text;
  // Java's split drops trailing empty strings.
  const pieces = rewritten.split('.');
  while (pieces.length > 0 && pieces[pieces.length - 1] === '') pieces.pop();
  return pieces.map((piece) => (/^[-+]?\d+$/.test(piece) && Math.abs(Number(piece)) <= 2147483647 ? Number(piece) : 0));
}

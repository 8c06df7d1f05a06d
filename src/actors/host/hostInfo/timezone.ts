// The `timezone` field: the standard-time abbreviation from TZ, the zone file or Intl.
import { readBuffer } from '../../../util/readOptional.js';

/**
 * The standard-time abbreviation of a POSIX TZ string ("EST5EDT" → "EST", "<+03>-3" → "+03",
 * "UTC0" → "UTC"), undefined when the string does not start with one.
 */
export function posixTzAbbreviation(tz: string): string | undefined {
  const quoted = /^<([A-Za-z0-9+-]+)>/.exec(tz);
  if (quoted) return quoted[1];
  const plain = /^([A-Za-z]{3,})/.exec(tz);
  return plain ? plain[1] : undefined;
}

/** The POSIX TZ string at the end of a TZif (v2+) file, undefined for v1 files or an empty footer. */
export function tzifFooter(data: Buffer): string | undefined {
  if (data.length < 5 || data.toString('latin1', 0, 4) !== 'TZif' || data[4] === 0) return undefined;
  const text = data.toString('latin1');
  if (!text.endsWith('\n')) return undefined;
  const start = text.lastIndexOf('\n', text.length - 2);
  if (start < 0) return undefined;
  const footer = text.slice(start + 1, -1);
  return footer !== '' && !footer.includes('\0') ? footer : undefined;
}

/**
 * Python's time.tzname[time.daylight - 1]: the zone's standard-time abbreviation, taken from the
 * POSIX rule at the end of the zone file (TZ or /etc/localtime) or from TZ itself when it is a
 * POSIX rule; Intl's name as a last resort.
 */
export async function timezoneName(): Promise<string> {
  const tz = process.env.TZ;
  if (tz === '') return 'UTC'; // glibc: empty TZ is UTC
  if (tz === undefined) {
    const data = await readBuffer('/etc/localtime');
    return data ? (abbreviationFromTzif(data) ?? intlTimezoneName()) : 'UTC'; // glibc's default
  }
  const name = tz.startsWith(':') ? tz.slice(1) : tz;
  const data = await readBuffer(name.startsWith('/') ? name : `/usr/share/zoneinfo/${name}`);
  if (data) return abbreviationFromTzif(data) ?? intlTimezoneName();
  return (tz.startsWith(':') ? undefined : posixTzAbbreviation(tz)) ?? intlTimezoneName();
}

function abbreviationFromTzif(data: Buffer): string | undefined {
  const footer = tzifFooter(data);
  return footer === undefined ? undefined : posixTzAbbreviation(footer);
}

// The abbreviation Intl shows for standard time (the half of the year with the smaller UTC offset).
function intlTimezoneName(): string {
  try {
    const year = new Date().getFullYear();
    const january = new Date(year, 0, 1);
    const july = new Date(year, 6, 1);
    const standard = january.getTimezoneOffset() >= july.getTimezoneOffset() ? january : july;
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(standard).find((p) => p.type === 'timeZoneName');
    return part?.value ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  } catch {
    return 'UTC';
  }
}

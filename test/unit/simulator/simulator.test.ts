// The simulator's pure parts: options, names, the PERF stack's instant commands, percentiles.
import { describe, expect, it } from 'vitest';
import { simulateOptions } from '../../../src/simulator/simulateOptions.js';
import { etcHostsLines, hostNames } from '../../../src/simulator/hostNames.js';
import { InstantComponents } from '../../../src/simulator/instantCommands.js';
import { LatencyHistogram } from '../../../src/simulator/latencyHistogram.js';

describe('simulate options', () => {
  it('takes the documented defaults', () => {
    expect(simulateOptions({ agents: '3' })).toEqual({ agents: 3, hostnamePrefix: 'sim', startIndex: 1, rampPerSecond: 100, commands: 'instant', json: false, etcHosts: false, verbose: false });
  });

  it('refuses each mistake in one line naming the option and value', () => {
    const refused = (values: Record<string, unknown>) => {
      try {
        simulateOptions(values as never);
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(refused({})).toMatch(/needs --agents N/);
    expect(refused({ agents: '0' })).toBe('--agents 0: not a whole number from 1 to 100000');
    expect(refused({ agents: '1e3' })).toMatch(/^--agents 1e3:/);
    expect(refused({ agents: '5', ramp: '0' })).toBe('--ramp 0: not a number greater than 0');
    expect(refused({ agents: '5', duration: 'soon' })).toBe('--duration soon: not a number greater than 0');
    expect(refused({ agents: '5', commands: 'fake' })).toBe('--commands fake: not a command mode (instant or real)');
    expect(refused({ agents: '5', server: ['a', 'b'] })).toMatch(/^--server a,b: the simulated hosts talk to one server/);
    expect(refused({ agents: '5', 'hostname-prefix': 'bad_name' })).toMatch(/^--hostname-prefix bad_name: not a host name/);
    expect(refused({ agents: '5', 'url-port': '70000' })).toBe('--url-port 70000: not a whole number from 1 to 65535');
  });
});

describe('host names', () => {
  it('numbers hosts with five digits from the start index, more when needed', () => {
    expect(hostNames('perf', 1, 3)).toEqual(['perf-00001', 'perf-00002', 'perf-00003']);
    expect(hostNames('c.example.com', 99_999, 2)).toEqual(['c.example.com-099999', 'c.example.com-100000']);
    expect(etcHostsLines('10.1.2.3', ['a-00001'])).toEqual(['10.1.2.3\ta-00001']);
  });
});

describe('instant commands (the PERF stack)', () => {
  const status = (components: InstantComponents, commandName = 'STATUS') => components.status({ clusterId: '0', serviceName: 'HDFS', componentName: 'DATANODE', commandName, timeoutSeconds: 10 }).exitCode;

  it('succeeds at once and keeps a component running from START to STOP', () => {
    const components = new InstantComponents('h-00001');
    expect(status(components)).toBe(1);
    const install = components.execute({ taskId: 1, role: 'DATANODE', roleCommand: 'INSTALL' });
    expect(install).toMatchObject({ exitCode: 0, stderr: '', structuredOut: {}, timedOut: false, cancelled: false });
    expect(install.stdout).toContain('Host: h-00001');
    expect(status(components)).toBe(1);
    components.execute({ taskId: 2, role: 'DATANODE', roleCommand: 'START' });
    expect(status(components)).toBe(0);
    // Dummy implements STATUS only.
    expect(status(components, 'GET_VERSION')).toBe(1);
    components.execute({ taskId: 3, role: 'DATANODE', roleCommand: 'CUSTOM_COMMAND', commandParams: { custom_command: 'RESTART' } });
    expect(status(components)).toBe(0);
    components.execute({ taskId: 4, role: 'DATANODE', roleCommand: 'STOP' });
    expect(status(components)).toBe(1);
  });
});

describe('latency histogram', () => {
  it('gives percentiles to the millisecond below 10 s, coarser above', () => {
    const histogram = new LatencyHistogram();
    expect(histogram.percentile(0.5)).toBeUndefined();
    for (let i = 1; i <= 100; i++) histogram.add(i);
    expect(histogram.percentile(0.5)).toBe(50);
    expect(histogram.percentile(0.99)).toBe(99);
    histogram.add(12_345);
    histogram.add(-3);
    expect(histogram.count).toBe(102);
    expect(histogram.percentile(1)).toBe(12_300);
    expect(histogram.maxMs).toBe(12_345);
    histogram.reset();
    expect(histogram.count).toBe(0);
  });
});

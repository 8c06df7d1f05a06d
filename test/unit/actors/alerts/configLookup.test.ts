import { describe, expect, it } from 'vitest';
import { configurationValue, resolveConfigKey } from '../../../../src/actors/alerts/configLookup.js';

const configurations = {
  configurations: {
    'foo-site': { k1: 'host1', k2: 'servlet2', num: 5 },
    'hdfs-site': { 'dfs.http.policy': 'HTTPS_ONLY' },
  },
  clusterLevelParams: { cluster_name: 'c1' },
};

describe('resolveConfigKey (base_alert._get_configuration_value)', () => {
  it.each([
    ['a constant stays as is', '5', '5'],
    ['one placeholder', '{{hdfs-site/dfs.http.policy}}', 'HTTPS_ONLY'],
    ['several placeholders in a text', 'http://{{foo-site/k1}}/servlet/{{foo-site/k2}}', 'http://host1/servlet/servlet2'],
    ['an absolute path', '{{/clusterLevelParams/cluster_name}}', 'c1'],
    ['a whole dictionary', '{{foo-site}}', configurations.configurations['foo-site']],
    ['a missing key', '{{foo-site/nope}}', undefined],
    ['one missing key of two', '{{foo-site/k1}}:{{foo-site/nope}}', undefined],
    ['a missing site', '{{bar-site/k1}}', undefined],
    ['whitespace is no placeholder', '{{foo site/k1}}', '{{foo site/k1}}'],
    ['an undefined key', undefined, undefined],
  ])('%s', (_name, key, expected) => {
    expect(resolveConfigKey(configurations, key)).toEqual(expected);
  });

  it('a non-string value cannot be spliced into the text (Python raises; the alert is UNKNOWN)', () => {
    expect(() => resolveConfigKey(configurations, 'x{{foo-site/num}}')).toThrow('replace() argument 2 must be str, not int');
  });

  it('reads own keys only', () => {
    expect(configurationValue(configurations, 'foo-site/constructor')).toBeUndefined();
    expect(resolveConfigKey(configurations, '{{foo-site/__proto__}}')).toBeUndefined();
  });
});

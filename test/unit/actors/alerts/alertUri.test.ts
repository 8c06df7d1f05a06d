import { describe, expect, it } from 'vitest';
import { chooseAlertUri, uriLookupKeys, uriSslEnabled } from '../../../../src/actors/alerts/alertUri.js';
import { hostFromUrl, pathFromUrl, portFromUrl } from '../../../../src/actors/alerts/urlParts.js';

const host = { hostName: 'c6401.ambari.apache.org', publicHostName: 'c6401.ambari.apache.org' };

// The structure of TestAlerts.test_uri_structure_parsing.
const uri = {
  http: '{{hdfs-site/dfs.namenode.http.address}}',
  https: '{{hdfs-site/dfs.namenode.https.address}}',
  https_property: '{{hdfs-site/dfs.http.policy}}',
  https_property_value: 'HTTPS_ONLY',
  high_availability: {
    nameservice: '{{hdfs-site/dfs.internal.nameservices}}',
    alias_key: '{{hdfs-site/dfs.ha.namenodes.{{ha-nameservice}}}}',
    http_pattern: '{{hdfs-site/dfs.namenode.http-address.{{ha-nameservice}}.{{alias}}}}',
    https_pattern: '{{hdfs-site/dfs.namenode.https-address.{{ha-nameservice}}.{{alias}}}}',
  },
};
const keys = uriLookupKeys(uri)!;
const site = (hdfs: Record<string, string>) => ({ configurations: { 'hdfs-site': hdfs } });
const plain = { 'dfs.namenode.http.address': 'c6401.ambari.apache.org:80', 'dfs.namenode.https.address': 'c6401.ambari.apache.org:443' };
const ha = {
  ...plain,
  'dfs.internal.nameservices': 'c1ha',
  'dfs.ha.namenodes.c1ha': 'nn1, nn2',
  'dfs.namenode.http-address.c1ha.nn1': 'c6401.ambari.apache.org:8080',
  'dfs.namenode.http-address.c1ha.nn2': 'c6402.ambari.apache.org:8080',
  'dfs.namenode.https-address.c1ha.nn1': 'c6401.ambari.apache.org:8443',
  'dfs.namenode.https-address.c1ha.nn2': 'c6402.ambari.apache.org:8443',
};

describe('chooseAlertUri', () => {
  it('http without the SSL property, http with HTTP_ONLY, https with HTTPS_ONLY', () => {
    expect(uriSslEnabled(keys, site(plain))).toBe(false);
    expect(chooseAlertUri(keys, site(plain), host)).toEqual({ uri: 'c6401.ambari.apache.org:80', ssl: false });
    expect(chooseAlertUri(keys, site({ ...plain, 'dfs.http.policy': 'HTTP_ONLY' }), host)).toEqual({ uri: 'c6401.ambari.apache.org:80', ssl: false });
    expect(chooseAlertUri(keys, site({ ...plain, 'dfs.http.policy': 'HTTPS_ONLY' }), host)).toEqual({ uri: 'c6401.ambari.apache.org:443', ssl: true });
  });

  it('HA: the alias whose address names this host, http or https by the policy', () => {
    expect(chooseAlertUri(keys, site({ ...ha, 'dfs.http.policy': 'HTTP_ONLY' }), host)).toEqual({ uri: 'c6401.ambari.apache.org:8080', ssl: false });
    expect(chooseAlertUri(keys, site({ ...ha, 'dfs.http.policy': 'HTTPS_ONLY' }), host)).toEqual({ uri: 'c6401.ambari.apache.org:8443', ssl: true });
    const other = { hostName: 'c6402.ambari.apache.org', publicHostName: 'C6402.public' };
    expect(chooseAlertUri(keys, site(ha), other)).toEqual({ uri: 'c6402.ambari.apache.org:8080', ssl: false });
    // No alias names this host: back to the plain http uri.
    const stranger = { hostName: 'c6409', publicHostName: 'c6409' };
    expect(chooseAlertUri(keys, site(ha), stranger)).toEqual({ uri: 'c6401.ambari.apache.org:80', ssl: false });
  });

  it('HA without a nameservice: alias_key is resolved directly', () => {
    const yarnKeys = uriLookupKeys({
      http: '{{yarn-site/yarn.resourcemanager.webapp.address}}',
      high_availability: { alias_key: '{{yarn-site/yarn.resourcemanager.ha.rm-ids}}', http_pattern: '{{yarn-site/yarn.resourcemanager.webapp.address.{{alias}}}}' },
    })!;
    const conf = {
      configurations: {
        'yarn-site': {
          'yarn.resourcemanager.webapp.address': 'c6401.ambari.apache.org:8088',
          'yarn.resourcemanager.ha.rm-ids': 'rm1,rm2',
          'yarn.resourcemanager.webapp.address.rm1': 'c6402.ambari.apache.org:8088',
          'yarn.resourcemanager.webapp.address.rm2': 'c6401.ambari.apache.org:8188',
        },
      },
    };
    expect(chooseAlertUri(yarnKeys, conf, host)).toEqual({ uri: 'c6401.ambari.apache.org:8188', ssl: false });
  });

  it('https only means SSL; nothing resolved: default_port, else an error', () => {
    expect(chooseAlertUri(uriLookupKeys({ https: 'h:1' })!, {}, host)).toEqual({ uri: 'h:1', ssl: true });
    expect(chooseAlertUri(uriLookupKeys({ http: '{{a/b}}', default_port: 50070 })!, {}, host)).toEqual({ uri: 50070, ssl: false });
    expect(() => chooseAlertUri(uriLookupKeys({ http: '{{a/b}}' })!, {}, host)).toThrow('Either the http or https URI must be specified.');
  });

  it('reads acceptable_codes and acceptableCodes, connection_timeout, kerberos keys', () => {
    expect(uriLookupKeys({ acceptable_codes: [401] })!.acceptableCodes).toEqual([401]);
    expect(uriLookupKeys({ acceptableCodes: [403, 401] })!.acceptableCodes).toEqual([403, 401]);
    const k = uriLookupKeys({ connection_timeout: 5.0, kerberos_keytab: '{{a/k}}', kerberos_principal: '{{a/p}}', default_port: 0 })!;
    expect(k).toMatchObject({ connectionTimeout: 5, kerberosKeytab: '{{a/k}}', kerberosPrincipal: '{{a/p}}', defaultPort: 0 });
    expect(uriLookupKeys('a string')).toBeUndefined();
  });
});

describe('urlParts (inet_utils.get_host_from_url, get_port_from_url, get_path_from_url)', () => {
  it.each([
    ['c6401:8080', 'c6401', 8080],
    ['http://c6401:8080/jmx', 'c6401', 8080],
    ['8080', undefined, 8080],
    ['c6401', 'c6401', undefined],
    ['0.0.0.0:50070', '0.0.0.0', 50070],
    ['PLAINTEXT://localhost:6667', 'localhost', 6667],
    ['localhost:6667/x', 'localhost', 6667],
  ])('%s', (text, expectedHost, expectedPort) => {
    expect(hostFromUrl(text)).toBe(expectedHost);
    expect(portFromUrl(text)).toBe(expectedPort);
  });

  it('numbers and paths', () => {
    expect(hostFromUrl(8080)).toBeUndefined();
    expect(portFromUrl(8080)).toBe(8080);
    expect(pathFromUrl('h:8080/login.jsp')).toBe('login.jsp');
    expect(pathFromUrl('http://h.x:8080/a/b')).toBe('a/b');
    expect(pathFromUrl('h:8080')).toBeUndefined();
  });
});

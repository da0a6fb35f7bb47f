// The filtering proxy (src/swarm/netproxy.ts) against names that resolve to private addresses: a
// wildcard rule (`*.example.com`) must not become a door to cloud metadata (169.254.169.254), the
// LAN (10/8, 172.16/12, 192.168/16, fc00::/7, fe80::/10) or loopback; only a host allowed by its
// exact name may resolve to a private address. Name resolution goes through the proxy's `lookup`
// hook, so no DNS is needed.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressKind, addressRefusal, startFilterProxy } from '../../src/swarm/netproxy';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const names: Record<string, string> = {
  'meta.cloud.test': '169.254.169.254',
  'lan.cloud.test': '10.0.0.5',
  'office.cloud.test': '192.168.1.20',
  'docker.cloud.test': '172.17.0.1',
  'ula.cloud.test': 'fd00::1',
  'link.cloud.test': 'fe80::1',
  'mapped.cloud.test': '::ffff:169.254.169.254',
  'app.localhost': '127.0.0.1',
  'six.cloud.test': '::1',
};

/** Send `text` to the proxy's socket and return what it answered (it closes after a refusal). */
function talk(socket: string, text: string): Promise<string> {
  return new Promise((res) => {
    const s = connect(socket);
    let data = '';
    s.on('connect', () => s.write(text));
    s.on('data', (d) => {
      data += d;
    });
    s.on('close', () => res(data));
    s.on('error', () => res(data));
  });
}

test('a wildcard rule never reaches a private, link-local or loopback address (CONNECT and plain http)', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-proxy-priv-'));
  dirs.push(dir);
  const sock = join(dir, 'proxy');
  const lookup = async (host: string) => {
    const address = names[host];
    if (!address) throw Object.assign(new Error('no such host'), { code: 'ENOTFOUND' });
    return { address, family: address.includes(':') ? 6 : 4 };
  };
  const proxy = await startFilterProxy(sock, ['*.cloud.test', '*.localhost'], { lookup });
  try {
    for (const host of Object.keys(names)) {
      const r = await talk(sock, `CONNECT ${host}:443 HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      assert.match(r, /^HTTP\/1\.1 403/, `${host} (${names[host]}) refused: ${r}`);
    }
    const plain = await talk(sock, 'GET http://meta.cloud.test/latest/meta-data/ HTTP/1.1\r\nHost: meta.cloud.test\r\n\r\n');
    assert.match(plain, /^HTTP\/1\.1 403/);
    assert.equal(proxy.denied.length, Object.keys(names).length + 1);
    for (const d of proxy.denied) assert.match(d, /resolves to [0-9a-f.:]+, a (private|local) address/i, d);
  } finally {
    await proxy.close();
  }
});

test('the rule itself: public addresses pass; a private one only for a host allowed by its exact name; loopback never for a name', () => {
  const rules = ['*.cloud.test', 'registry.corp.test', '*.corp.test'];
  assert.equal(addressRefusal('cdn.cloud.test', 443, '93.184.216.34', rules), undefined);
  assert.equal(addressRefusal('cdn.cloud.test', 443, '2606:2800:220:1::1', rules), undefined);
  assert.equal(addressRefusal('registry.corp.test', 443, '10.1.2.3', rules), undefined, 'named exactly: the user meant that internal host');
  assert.match(addressRefusal('other.corp.test', 443, '10.1.2.3', rules) ?? '', /private address/, 'the same domain by wildcard: refused');
  assert.match(addressRefusal('registry.corp.test', 443, '127.0.0.1', rules) ?? '', /local address/);
  assert.match(addressRefusal('registry.corp.test', 443, '::ffff:127.0.0.1', rules) ?? '', /local address/);
  for (const a of ['169.254.169.254', '172.31.255.255', '100.64.0.1', 'fd12::1', 'fe80::1', '::ffff:10.0.0.1', '0.0.0.0']) {
    assert.ok(addressKind(a), `${a} is not public`);
  }
  for (const a of ['172.32.0.1', '8.8.8.8', '2001:4860:4860::8888']) assert.equal(addressKind(a), undefined, a);
});

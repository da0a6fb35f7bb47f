// The agent sandbox's network filter (docs/security.md "Network"): bubblewrap gives a turn no
// network at all; the hosts a turn may reach (its CLI's model API, a non-loopback `*_BASE_URL`,
// `sandbox.allow_domains`) are reached through this HTTP proxy, which the engine serves outside the
// sandbox on a unix socket (bridged to a loopback port inside by socat, as the loopback model
// ports are). It answers CONNECT (https) and absolute-URI requests (plain http), lets through
// only allowed host names, and records every refusal so the turn's log can say what was denied.
// No vscode imports.

import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { BlockList, connect, isIP, type Socket } from 'node:net';
import { lookup } from 'node:dns/promises';

/**
 * Is `host:port` allowed by `patterns`? A pattern is a host name (`api.anthropic.com`, exact),
 * `*.example.com` (any subdomain, not `example.com` itself), or an IP literal; any of them may end
 * in `:port` to allow only that port. Case-insensitive; a trailing dot is ignored.
 */
export function hostAllowed(host: string, port: number, patterns: readonly string[]): boolean {
  const h = host
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^\[|\]$/g, '');
  for (const raw of patterns) {
    const m = /^(.*?)(?::(\d+))?$/.exec(raw.toLowerCase().trim());
    if (!m || !m[1]) continue;
    if (m[2] && Number(m[2]) !== port) continue;
    const p = m[1].replace(/\.$/, '');
    if (p.startsWith('*.') ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p) return true;
  }
  return false;
}

/** Loopback and "this host" addresses: reached only as an IP literal listed explicitly. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addSubnet('0.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addAddress('::', 'ipv6');

/** Private, link-local (cloud metadata), shared, multicast and reserved ranges. */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

/** 'loopback', 'private' or undefined (a public address). IPv4-mapped IPv6 counts as its IPv4 address. */
export function addressKind(addr: string): 'loopback' | 'private' | undefined {
  const family = isIP(addr);
  if (!family) return 'private';
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (LOOPBACK.check(addr, type)) return 'loopback';
  if (PRIVATE.check(addr, type)) return 'private';
  return undefined;
}

/**
 * Why a connection to `host` (allowed by `patterns`) must not go to `address`, its resolved
 * address, or undefined when it may. A name that resolves to loopback is always refused (loopback
 * is reached only by an IP literal listed in the patterns, or through the loopback bridges); a
 * private or link-local address only when the name was allowed by its exact name, not by a
 * `*.domain` rule (which would let any subdomain an attacker controls point at 169.254.169.254).
 */
export function addressRefusal(host: string, port: number, address: string, patterns: readonly string[]): string | undefined {
  const kind = addressKind(address);
  if (!kind) return undefined;
  if (kind === 'loopback') return `resolves to ${address}, a local address`;
  const exact = patterns.filter((p) => !p.trim().startsWith('*.'));
  if (hostAllowed(host, port, exact)) return undefined;
  return `resolves to ${address}, a private address (allowed only when the exact name is in sandbox.allow_domains)`;
}

export interface ProxyOptions {
  /** Name resolution (default: the system's, `dns.lookup`); a seam for tests. */
  lookup?: (host: string) => Promise<{ address: string; family?: number }>;
}

export interface FilterProxy {
  /** `host:port — reason`, one per refused connection or request, in order. */
  readonly denied: string[];
  close(): Promise<void>;
}

/**
 * Serve the filtering proxy on `socketPath` (a unix socket). `hosts`: the allowed patterns (see
 * hostAllowed). A host name that resolves to a loopback address, or to a private address when only
 * a wildcard allowed it, is refused (addressRefusal: an allowed domain must not become a door to the
 * user's local services or the cloud metadata); an IP literal is dialled only when listed.
 */
export async function startFilterProxy(socketPath: string, hosts: readonly string[], opts: ProxyOptions = {}): Promise<FilterProxy> {
  const resolveName = opts.lookup ?? ((h: string) => lookup(h));
  const denied: string[] = [];
  const open = new Set<Socket>();

  /** The address to dial for an allowed host, or the reason it is refused. */
  const resolveAllowed = async (host: string, port: number): Promise<{ address: string } | { reason: string }> => {
    const bare = host.replace(/^\[|\]$/g, '');
    if (!Number.isInteger(port) || port < 1 || port > 65535) return { reason: 'bad port' };
    if (!hostAllowed(bare, port, hosts)) return { reason: 'not an allowed host (sandbox.allow_domains)' };
    if (isIP(bare)) return { address: bare };
    try {
      const { address } = await resolveName(bare);
      const refused = addressRefusal(bare, port, address, hosts);
      return refused ? { reason: refused } : { address };
    } catch (e) {
      return { reason: `cannot resolve (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
    }
  };
  const deny = (target: string, reason: string) => {
    if (denied.length < 1000) denied.push(`${target} — ${reason}`);
  };

  const server: Server = createServer((req: IncomingMessage, res) => {
    // Plain http through a proxy: the request line carries an absolute URI.
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute URI expected\n');
      return;
    }
    if (url.protocol !== 'http:') {
      res.writeHead(400).end('only http:// here; https goes through CONNECT\n');
      return;
    }
    const port = Number(url.port || 80);
    void resolveAllowed(url.hostname, port).then((r) => {
      if ('reason' in r) {
        deny(`${url.hostname}:${port}`, r.reason);
        res.writeHead(403).end(`denied by the swarm's sandbox: ${url.hostname} (${r.reason})\n`);
        return;
      }
      const headers = { ...req.headers };
      delete headers['proxy-connection'];
      headers.host = url.host; // the host that was allowed, not whatever the client wrote
      delete headers['proxy-authorization'];
      const out = httpRequest({ host: r.address, port, method: req.method, path: `${url.pathname}${url.search}`, headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      out.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(out);
    });
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '');
    if (!m) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const host = m[1].replace(/^\[|\]$/g, '');
    const port = Number(m[2]);
    void resolveAllowed(host, port).then((r) => {
      if ('reason' in r) {
        deny(`${host}:${port}`, r.reason);
        client.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\ndenied by the swarm's sandbox: ${host} (${r.reason})\n`);
        return;
      }
      const up = connect(port, r.address, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) up.write(head);
        up.pipe(client).pipe(up);
      });
      open.add(up);
      up.on('close', () => {
        open.delete(up);
        client.destroy();
      });
      up.on('error', () => {
        if (!client.destroyed) client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      });
      client.on('close', () => up.destroy());
    });
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(socketPath, () => res());
  });
  return {
    denied,
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

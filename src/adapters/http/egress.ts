import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';

/**
 * Addresses no tenant-directed request may reach unless the operator allows them: this host, the
 * private networks, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT,
 * benchmarking, multicast and reserved ranges, in IPv4 and IPv6.
 */
function internalRanges(): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of [
    ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
    ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
  ] as const) list.addSubnet(network, prefix, 'ipv4');
  for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32]] as const) list.addSubnet(network, prefix, 'ipv6');
  return list;
}

const INTERNAL = internalRanges();

/** The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`) or NAT64 (`64:ff9b::a.b.c.d`) IPv6 address. */
function embeddedIpv4(address: string): string | undefined {
  const match = /^(?:::ffff:|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!match) return undefined;
  if (match[1] !== undefined) return match[1];
  const high = Number.parseInt(match[2] ?? '0', 16);
  const low = Number.parseInt(match[3] ?? '0', 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** A host as a URL writes it, without the brackets of an IPv6 literal. */
const bare = (host: string): string => host.replace(/^\[(.*)\]$/, '$1');

/** A request the egress policy refused: its target resolves to an internal address. */
export class EgressRefused extends Error {
  readonly code = 'EGRESS_REFUSED';
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, an internal address this server does not call for tenants (SWITCHBOARD_EGRESS_ALLOW)`);
  }
}

/**
 * Where requests a tenant directs (webhooks, flow HTTP calls, channel providers) may go: anywhere
 * public, and internal addresses only as the operator allows (`SWITCHBOARD_EGRESS_ALLOW`: CIDRs or
 * addresses, or `*` for everything). The check runs on the addresses a name resolves to, in the
 * connection's own lookup, so the address checked is the one connected to (no rebinding between).
 */
export class EgressPolicy {
  private readonly allowed = new BlockList();
  private readonly anything: boolean;

  constructor(allow: readonly string[] = []) {
    this.anything = allow.includes('*');
    for (const entry of allow) {
      if (entry === '*') continue;
      const [network = '', prefix] = entry.split('/');
      const family = isIP(network) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.allowed.addAddress(network, family);
      else this.allowed.addSubnet(network, Number(prefix), family);
    }
  }

  /** Whether a connection to this IP address may be made. */
  allows(address: string): boolean {
    if (this.anything) return true;
    const family: 'ipv4' | 'ipv6' = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    const mapped = family === 'ipv6' ? embeddedIpv4(address) : undefined;
    const checked = mapped ?? address;
    const type = mapped === undefined ? family : 'ipv4';
    return !INTERNAL.check(checked, type) || this.allowed.check(checked, type);
  }

  /** Throws `EgressRefused` for a URL or host given as an internal IP literal (a connection makes no lookup for those). */
  checkLiteral(host: string): void {
    const address = bare(host);
    if (isIP(address) !== 0 && !this.allows(address)) throw new EgressRefused(host, address);
  }

  /** A `lookup` for sockets: resolves as the system does, and fails when any address found is refused. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 4);
      const refused = addresses.find((entry) => !this.allows(entry.address));
      if (refused) return callback(Object.assign(new EgressRefused(hostname, refused.address), { errno: undefined }) as NodeJS.ErrnoException, '', 4);
      if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
      const [first] = addresses;
      return first ? callback(null, first.address, first.family) : callback(new EgressRefused(hostname, 'nothing'), '', 4);
    });
  };

  /** Resolves `host` and throws `EgressRefused` when it is, or resolves to, a refused address (for clients that take no `lookup`). */
  async check(host: string): Promise<void> {
    this.checkLiteral(host);
    await new Promise<void>((resolve, reject) => {
      this.lookup(bare(host), { all: true }, (error) => (error ? reject(error) : resolve()));
    });
  }
}

/** No checks: what tools and unit tests that build adapters themselves get. */
export const UNRESTRICTED = new EgressPolicy(['*']);

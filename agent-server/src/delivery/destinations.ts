// Which webhook destinations the server may contact: the operator's allow list (host names, IPs, CIDR ranges)
// and the addresses that are always refused (link-local, cloud metadata). Checked when a subscription is
// created and again at delivery time on the address the connection actually uses, so a name that later
// resolves to a metadata address (DNS rebinding) is never contacted.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** dns.lookup with `all: true`; injectable so tests can make a name resolve anywhere. */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolve: ResolveHost = (hostname) =>
	new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata', 'metadata.azure.com', 'instance-data', 'instance-data.ec2.internal']);
const METADATA_ADDRESSES = ['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254'];

function alwaysRefusedList(): BlockList {
	const list = new BlockList();
	list.addSubnet('169.254.0.0', 16, 'ipv4');
	list.addSubnet('fe80::', 10, 'ipv6');
	return list;
}

/** 0.0.0.0/8 and `::`: connecting there reaches this machine itself, whatever the server listens on. */
function unspecifiedList(): BlockList {
	const list = new BlockList();
	list.addSubnet('0.0.0.0', 8, 'ipv4');
	list.addAddress('::', 'ipv6');
	return list;
}

/** The eight 16-bit groups of an IPv6 address (with a dotted IPv4 tail), or null. */
function ipv6Groups(h: string): number[] | null {
	if (isIP(h) !== 6) return null;
	let text = h.replace(/%.*$/, '');
	const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
	if (tail) {
		const [a, b, c, d] = tail.slice(1).map(Number);
		text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
	}
	const [head, rest] = text.split('::');
	const left = head ? head.split(':') : [];
	const right = rest !== undefined && rest !== '' ? rest.split(':') : [];
	const zeros = rest === undefined ? [] : Array(8 - left.length - right.length).fill('0');
	return [...left, ...zeros, ...right].map((g) => parseInt(g, 16));
}

const dottedQuad = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');

/**
 * The IPv4 address an IPv6 form carries: mapped (::ffff:a.b.c.d in any spelling), translated (::ffff:0:a.b.c.d),
 * compatible (::a.b.c.d), NAT64 (64:ff9b::/96 and 64:ff9b:1::/48), 6to4 (2002:AABB:CCDD::/16), Teredo
 * (2001:0::/32, the client address inverted in the last 32 bits) and ISATAP (::5efe:a.b.c.d, ::200:5efe:a.b.c.d).
 */
function embeddedIpv4(g: number[]): string | null {
	const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
	if (zero(0, 5) && g[5] === 0xffff) return dottedQuad(g[6], g[7]);
	if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return dottedQuad(g[6], g[7]);
	if (zero(0, 6) && (g[6] !== 0 || g[7] > 1)) return dottedQuad(g[6], g[7]);
	if (g[0] === 0x64 && g[1] === 0xff9b && (zero(2, 6) || g[2] === 1)) return dottedQuad(g[6], g[7]);
	if (g[0] === 0x2002) return dottedQuad(g[1], g[2]);
	if (g[0] === 0x2001 && g[1] === 0) return dottedQuad(g[6] ^ 0xffff, g[7] ^ 0xffff);
	if ((g[4] === 0 || g[4] === 0x200) && g[5] === 0x5efe) return dottedQuad(g[6], g[7]);
	return null;
}

/** Strips brackets and a trailing dot, lower-cases, and turns an IPv6 form that embeds an IPv4 address into it. */
export function normalizeHost(host: string): string {
	const h = host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
	const groups = ipv6Groups(h);
	return (groups && embeddedIpv4(groups)) ?? h;
}

/** `host`, `host:port`, `[v6]:port` or a CIDR range (no port) from the allow list. */
function splitHostPort(entry: string): { host: string; port?: number } {
	const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
	if (bracketed) return { host: bracketed[1], port: bracketed[2] === undefined ? undefined : Number(bracketed[2]) };
	const withPort = /^([^:/]+):(\d+)$/.exec(entry);
	if (withPort) return { host: withPort[1], port: Number(withPort[2]) };
	return { host: entry };
}

function isLoopback(address: string): boolean {
	return isIP(address) === 4 ? address.startsWith('127.') : address === '::1';
}

export class RefusedDestinationError extends Error {
	readonly code = 'EDESTINATION_REFUSED';
}

export interface DestinationPolicy {
	/** Why this host (a name or an IP, as written in the URL) is refused before any lookup; undefined when fine so far. */
	checkHost(host: string, port?: number): string | undefined;
	/** Why a resolved address is refused for this host name; undefined when it may be contacted. */
	checkAddress(host: string, address: string, port?: number): string | undefined;
	/** The addresses this server listens on: webhooks to them are refused unless the allow list names them. */
	setOwnAddresses(addresses: Array<{ address: string; port: number }>): void;
	/** Creation-time check of a subscription URL: the host rules, then (allow list with ranges) the host's addresses. */
	checkUrl(url: string): Promise<string | undefined>;
	/** Whether an allow list is in force. */
	readonly restricted: boolean;
	readonly resolve: ResolveHost;
}

/**
 * `allowedHosts`: host names (exact, or `*.example.com` for any subdomain), IP addresses and CIDR ranges. Empty
 * or undefined: any host except the always-refused ones.
 */
export function createDestinationPolicy(allowedHosts: string[] = [], resolve: ResolveHost = systemResolve): DestinationPolicy {
	const refused = alwaysRefusedList();
	const unspecified = unspecifiedList();
	// A listed name or address with the ports it may use (undefined: any port).
	const names = new Map<string, Set<number> | undefined>();
	const suffixes: string[] = [];
	const ranges = new BlockList();
	let hasRanges = false;
	const addName = (name: string, port: number | undefined) => {
		const ports = names.has(name) ? names.get(name) : new Set<number>();
		if (port === undefined || ports === undefined) names.set(name, undefined);
		else names.set(name, ports.add(port));
	};
	for (const raw of allowedHosts.map((h) => h.trim()).filter(Boolean)) {
		const { host: hostPart, port } = splitHostPort(raw);
		if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new Error(`WEBHOOK_ALLOWED_HOSTS: invalid port in ${raw}`);
		const [base, prefix] = hostPart.split('/');
		const ip = normalizeHost(base);
		const family = isIP(ip);
		if (family && prefix === undefined) {
			addName(ip, port);
		} else if (family) {
			const bits = Number(prefix);
			if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) throw new Error(`WEBHOOK_ALLOWED_HOSTS: invalid range ${raw}`);
			ranges.addSubnet(ip, bits, family === 4 ? 'ipv4' : 'ipv6');
			hasRanges = true;
		} else if (prefix !== undefined) {
			throw new Error(`WEBHOOK_ALLOWED_HOSTS: invalid range ${raw}`);
		} else if (hostPart.startsWith('*.')) {
			if (port !== undefined) throw new Error(`WEBHOOK_ALLOWED_HOSTS: a wildcard takes no port (${raw})`);
			suffixes.push(normalizeHost(hostPart.slice(1)));
		} else {
			addName(normalizeHost(hostPart), port);
		}
	}
	let own: Array<{ address: string; port: number }> = [];
	/** Listed by exact name or address, for this port. */
	const listed = (host: string, port?: number) => {
		if (!names.has(host)) return false;
		const ports = names.get(host);
		return ports === undefined || port === undefined || ports.has(port);
	};
	const ownAddress = (address: string, port?: number) =>
		port !== undefined && own.some((o) => o.port === port && (o.address === address || (isLoopback(address) && (isLoopback(o.address) || o.address === '0.0.0.0' || o.address === '::'))));
	const selfRefusal = (host: string, address: string, port?: number) =>
		ownAddress(address, port) && !listed(host, port) && !listed(address, port)
			? `${address}:${port} is this server's own address; list it in WEBHOOK_ALLOWED_HOSTS to allow it`
			: undefined;
	const restricted = names.size > 0 || suffixes.length > 0 || hasRanges;
	const nameAllowed = (host: string, port?: number) => listed(host, port) || suffixes.some((s) => host.endsWith(s));
	const inRanges = (address: string) => {
		const family = isIP(address);
		return family !== 0 && ranges.check(address, family === 4 ? 'ipv4' : 'ipv6');
	};

	function alwaysRefused(hostOrAddress: string): string | undefined {
		if (METADATA_NAMES.has(hostOrAddress) || METADATA_ADDRESSES.includes(hostOrAddress)) return 'cloud metadata addresses are not allowed';
		const family = isIP(hostOrAddress);
		if (family && refused.check(hostOrAddress, family === 4 ? 'ipv4' : 'ipv6')) return 'link-local addresses are not allowed';
		if (family && unspecified.check(hostOrAddress, family === 4 ? 'ipv4' : 'ipv6')) return 'the unspecified address (0.0.0.0, ::) reaches this server itself and is not allowed';
		return undefined;
	}

	const policy: DestinationPolicy = {
		restricted,
		resolve,
		checkHost(rawHost, port) {
			const host = normalizeHost(rawHost);
			const always = alwaysRefused(host);
			if (always) return always;
			if (isIP(host)) {
				const self = selfRefusal(host, host, port);
				if (self) return self;
			}
			if (!restricted || nameAllowed(host, port)) return undefined;
			if (isIP(host)) return inRanges(host) ? undefined : `${host} is not in the allowed webhook hosts (WEBHOOK_ALLOWED_HOSTS)`;
			// A name not listed can still pass when every address it resolves to is in an allowed range.
			return hasRanges ? undefined : `${host} is not in the allowed webhook hosts (WEBHOOK_ALLOWED_HOSTS)`;
		},
		checkAddress(rawHost, rawAddress, port) {
			const host = normalizeHost(rawHost);
			const address = normalizeHost(rawAddress);
			const always = alwaysRefused(address);
			if (always) return `${host} resolves to ${address}: ${always}`;
			const self = selfRefusal(host, address, port);
			if (self) return `${host} resolves to ${self}`;
			if (!restricted || nameAllowed(host, port) || inRanges(address)) return undefined;
			return `${host} resolves to ${address}, which is not in the allowed webhook hosts (WEBHOOK_ALLOWED_HOSTS)`;
		},
		setOwnAddresses(addresses) {
			own = addresses.map((a) => ({ address: normalizeHost(a.address), port: a.port }));
		},
		async checkUrl(url) {
			const target = new URL(url);
			const host = normalizeHost(target.hostname);
			const port = urlPort(target);
			const refusedHost = policy.checkHost(host, port);
			if (refusedHost || isIP(host)) return refusedHost;
			// With ranges, an unlisted name passes only when all its addresses are in them; the server's own address
			// is looked for in any case (delivery checks again on the address it connects to).
			const mustResolve = restricted && !nameAllowed(host, port);
			if (!mustResolve && own.length === 0) return undefined;
			const unresolved = `${host} is not in the allowed webhook hosts (WEBHOOK_ALLOWED_HOSTS) and could not be resolved to check its addresses`;
			let addresses: LookupAddress[];
			try {
				addresses = await resolve(host);
			} catch {
				return mustResolve ? unresolved : undefined;
			}
			for (const a of addresses) {
				const why = policy.checkAddress(host, a.address, port);
				if (why) return why;
			}
			return addresses.length === 0 && mustResolve ? unresolved : undefined;
		},
	};
	return policy;
}

/** The port a URL connects to. */
export function urlPort(url: URL): number {
	return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** WEBHOOK_ALLOWED_HOSTS: comma-separated host names, IPs and CIDR ranges. */
export function allowedHostsFromEnv(value: string | undefined): string[] | undefined {
	const list = value?.split(',').map((s) => s.trim()).filter(Boolean);
	return list && list.length > 0 ? list : undefined;
}

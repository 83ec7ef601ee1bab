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

/** Strips brackets and a trailing dot, lower-cases, and turns an IPv4-mapped IPv6 address into plain IPv4. */
export function normalizeHost(host: string): string {
	const h = host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
	const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
	if (dotted) return dotted[1];
	// The URL parser writes ::ffff:169.254.169.254 as ::ffff:a9fe:a9fe.
	const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
	if (hex) {
		const hi = parseInt(hex[1], 16);
		const lo = parseInt(hex[2], 16);
		return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
	}
	return h;
}

export class RefusedDestinationError extends Error {
	readonly code = 'EDESTINATION_REFUSED';
}

export interface DestinationPolicy {
	/** Why this host (a name or an IP, as written in the URL) is refused before any lookup; undefined when fine so far. */
	checkHost(host: string): string | undefined;
	/** Why a resolved address is refused for this host name; undefined when it may be contacted. */
	checkAddress(host: string, address: string): string | undefined;
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
	const names = new Set<string>();
	const suffixes: string[] = [];
	const ranges = new BlockList();
	let hasRanges = false;
	for (const raw of allowedHosts.map((h) => h.trim()).filter(Boolean)) {
		const [base, prefix] = raw.split('/');
		const ip = normalizeHost(base);
		const family = isIP(ip);
		if (family) {
			const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
			if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) throw new Error(`WEBHOOK_ALLOWED_HOSTS: invalid range ${raw}`);
			ranges.addSubnet(ip, bits, family === 4 ? 'ipv4' : 'ipv6');
			hasRanges = true;
		} else if (prefix !== undefined) {
			throw new Error(`WEBHOOK_ALLOWED_HOSTS: invalid range ${raw}`);
		} else if (raw.startsWith('*.')) {
			suffixes.push(normalizeHost(raw.slice(1)));
		} else {
			names.add(normalizeHost(raw));
		}
	}
	const restricted = names.size > 0 || suffixes.length > 0 || hasRanges;
	const nameAllowed = (host: string) => names.has(host) || suffixes.some((s) => host.endsWith(s));
	const inRanges = (address: string) => {
		const family = isIP(address);
		return family !== 0 && ranges.check(address, family === 4 ? 'ipv4' : 'ipv6');
	};

	function alwaysRefused(hostOrAddress: string): string | undefined {
		if (METADATA_NAMES.has(hostOrAddress) || METADATA_ADDRESSES.includes(hostOrAddress)) return 'cloud metadata addresses are not allowed';
		const family = isIP(hostOrAddress);
		if (family && refused.check(hostOrAddress, family === 4 ? 'ipv4' : 'ipv6')) return 'link-local addresses are not allowed';
		return undefined;
	}

	const policy: DestinationPolicy = {
		restricted,
		resolve,
		checkHost(rawHost) {
			const host = normalizeHost(rawHost);
			const always = alwaysRefused(host);
			if (always) return always;
			if (!restricted || nameAllowed(host)) return undefined;
			if (isIP(host)) return inRanges(host) ? undefined : `${host} is not in the allowed webhook hosts (WEBHOOK_ALLOWED_HOSTS)`;
			// A name not listed can still pass when every address it resolves to is in an allowed range.
			return hasRanges ? undefined : `${host} is not in the allowed webhook hosts (WEBHOOK_ALLOWED_HOSTS)`;
		},
		checkAddress(rawHost, rawAddress) {
			const host = normalizeHost(rawHost);
			const address = normalizeHost(rawAddress);
			const always = alwaysRefused(address);
			if (always) return `${host} resolves to ${address}: ${always}`;
			if (!restricted || nameAllowed(host) || inRanges(address)) return undefined;
			return `${host} resolves to ${address}, which is not in the allowed webhook hosts (WEBHOOK_ALLOWED_HOSTS)`;
		},
		async checkUrl(url) {
			const host = normalizeHost(new URL(url).hostname);
			const refusedHost = policy.checkHost(host);
			if (refusedHost || !restricted || isIP(host) || nameAllowed(host)) return refusedHost;
			let addresses: LookupAddress[];
			try {
				addresses = await resolve(host);
			} catch {
				return `${host} is not in the allowed webhook hosts (WEBHOOK_ALLOWED_HOSTS) and could not be resolved to check its addresses`;
			}
			for (const a of addresses) {
				const why = policy.checkAddress(host, a.address);
				if (why) return why;
			}
			return addresses.length > 0 ? undefined : `${host} is not in the allowed webhook hosts (WEBHOOK_ALLOWED_HOSTS) and could not be resolved to check its addresses`;
		},
	};
	return policy;
}

/** WEBHOOK_ALLOWED_HOSTS: comma-separated host names, IPs and CIDR ranges. */
export function allowedHostsFromEnv(value: string | undefined): string[] | undefined {
	const list = value?.split(',').map((s) => s.trim()).filter(Boolean);
	return list && list.length > 0 ? list : undefined;
}

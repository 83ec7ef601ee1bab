// TRUST_PROXY: which reverse proxies may tell the client's address (X-Forwarded-For), for rate limits and logs.
import { isIP } from 'node:net';

export type TrustProxy = boolean | number | string[];

/**
 * "true" (any proxy: only when the server cannot be reached directly), a number of hops ("1": the address the
 * nearest proxy saw), or comma-separated addresses and CIDR ranges of trusted proxies. Unset or "false": none,
 * the socket address is the client.
 */
export function trustProxyFromEnv(value: string | undefined): TrustProxy | undefined {
	const v = value?.trim();
	if (!v || v === 'false') return undefined;
	if (v === 'true') return true;
	if (/^\d+$/.test(v)) return Number(v);
	const list = v.split(',').map((s) => s.trim()).filter(Boolean);
	for (const entry of list) {
		const [address, bits] = entry.split('/');
		const family = isIP(address);
		const max = family === 4 ? 32 : 128;
		if (!family || (bits !== undefined && (!/^\d+$/.test(bits) || Number(bits) > max))) {
			throw new Error(`TRUST_PROXY: "${entry}" is not an address or CIDR range (use true, a number of hops, or addresses and ranges)`);
		}
	}
	return list;
}

/** Fastify's form: a hop count becomes "trust the nearest n proxies". */
export function fastifyTrustProxy(value: TrustProxy | undefined): boolean | string[] | ((address: string, hop: number) => boolean) {
	if (value === undefined) return false;
	if (typeof value === 'number') return (_address, hop) => hop < value;
	return value;
}

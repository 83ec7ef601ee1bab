// One webhook POST (or an OPTIONS probe) over node:http(s). The host name is resolved by our own lookup, which checks every address
// against the destination policy before the socket connects to it: the address checked is the address used,
// so a name that resolves to a metadata or link-local address (or is re-pointed there later) is never contacted.
// Redirects are never followed (node:http does not follow them).
import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { RefusedDestinationError, urlPort, type DestinationPolicy } from './destinations';

export interface SendResult {
	statusCode: number;
	retryAfter: string | null;
}

export function checkedLookup(policy: DestinationPolicy, host: string, port: number): LookupFunction {
	return (hostname, options, callback) => {
		policy.resolve(hostname).then(
			(addresses) => {
				const family = options.family === 4 || options.family === 6 ? options.family : 0;
				const usable = addresses.filter((a) => family === 0 || a.family === family);
				for (const a of usable) {
					const why = policy.checkAddress(host, a.address, port);
					// Any refused address refuses the name: a mix of public and metadata addresses is not trusted.
					if (why) return callback(new RefusedDestinationError(why), '', 0);
				}
				if (usable.length === 0) {
					const err = Object.assign(new Error(`${hostname} could not be resolved`), { code: 'ENOTFOUND' });
					return callback(err, '', 0);
				}
				if (options.all) return (callback as unknown as (err: null, addresses: LookupAddress[]) => void)(null, usable);
				callback(null, usable[0].address, usable[0].family);
			},
			(err: NodeJS.ErrnoException) => callback(err, '', 0),
		);
	};
}

/**
 * One request to a checked destination: the host is checked first, then every address it resolves to, and the
 * request goes to the address that was checked. `read` turns the answer into the result.
 */
function checkedRequest<T>(
	policy: DestinationPolicy,
	url: string,
	options: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
	read: (res: http.IncomingMessage, resolve: (value: T) => void, reject: (err: Error) => void, req: http.ClientRequest) => void,
): Promise<T> {
	const target = new URL(url);
	const refused = policy.checkHost(target.hostname, urlPort(target));
	if (refused) return Promise.reject(new RefusedDestinationError(refused));
	const client = target.protocol === 'https:' ? https : http;
	return new Promise<T>((resolve, reject) => {
		const req = client.request(
			target,
			{ method: options.method, headers: options.headers, lookup: checkedLookup(policy, target.hostname, urlPort(target)), signal: options.signal },
			(res) => read(res, resolve, reject, req),
		);
		req.on('error', reject);
		req.end(options.body);
	});
}

export function sendWebhook(
	policy: DestinationPolicy,
	url: string,
	headers: Record<string, string>,
	body: string,
	signal: AbortSignal,
	method: 'POST' | 'OPTIONS' = 'POST',
): Promise<SendResult> {
	return checkedRequest<SendResult>(
		policy,
		url,
		{ method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, body, signal },
		(res, resolve) => {
			// Only the status matters; drain the body so the socket can be reused.
			res.resume();
			const retryAfter = res.headers['retry-after'];
			resolve({ statusCode: res.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null });
		},
	);
}

export interface JsonResult {
	statusCode: number;
	body: unknown;
}

/** A GET answered with JSON (n8n's public API), over the same checked lookup; at most `maxBytes` of body are read. */
export function getJson(
	policy: DestinationPolicy,
	url: string,
	headers: Record<string, string>,
	signal: AbortSignal,
	maxBytes = 8 * 1024 * 1024,
): Promise<JsonResult> {
	return checkedRequest<JsonResult>(policy, url, { method: 'GET', headers: { accept: 'application/json', ...headers }, signal }, (res, resolve, reject, req) => {
		const chunks: Buffer[] = [];
		let size = 0;
		res.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > maxBytes) req.destroy(new Error(`answer larger than ${maxBytes} bytes`));
			else chunks.push(chunk);
		});
		res.on('end', () => {
			const text = Buffer.concat(chunks).toString('utf8');
			let body: unknown = text;
			try {
				body = JSON.parse(text);
			} catch {
				// Not JSON: the caller reports the status with the text.
			}
			resolve({ statusCode: res.statusCode ?? 0, body });
		});
		res.on('error', reject);
	});
}

// A server-sent events client for tests (and the bench): reads a stream over plain HTTP and keeps every event.
import { request } from 'node:http';

export interface SseEvent {
	event: string;
	data: any; // eslint-disable-line @typescript-eslint/no-explicit-any
	id?: string;
}

export interface SseConnection {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	events: SseEvent[];
	/** Resolves with the first event (already received or coming) that matches, or rejects after the timeout. */
	next(match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
	closed: Promise<void>;
	close(): void;
}

function parse(block: string): SseEvent | undefined {
	let event = 'message';
	let id: string | undefined;
	const data: string[] = [];
	for (const line of block.split('\n')) {
		if (line.startsWith(':') || line === '') continue;
		const [field, ...rest] = line.split(':');
		const value = rest.join(':').replace(/^ /, '');
		if (field === 'event') event = value;
		else if (field === 'data') data.push(value);
		else if (field === 'id') id = value;
	}
	if (!data.length) return undefined;
	return { event, data: JSON.parse(data.join('\n')), ...(id ? { id } : {}) };
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
	return new Promise((resolve, reject) => {
		const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
			const events: SseEvent[] = [];
			const waiters: { match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
			let buffer = '';
			let ended!: () => void;
			const closed = new Promise<void>((r) => (ended = r));
			res.setEncoding('utf8');
			res.on('data', (chunk: string) => {
				buffer += chunk;
				let at: number;
				while ((at = buffer.indexOf('\n\n')) >= 0) {
					const e = parse(buffer.slice(0, at));
					buffer = buffer.slice(at + 2);
					if (!e) continue;
					events.push(e);
					for (const w of [...waiters]) if (w.match(e)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(e));
				}
			});
			res.on('close', () => ended());
			res.on('error', () => ended());
			resolve({
				status: res.statusCode ?? 0,
				headers: res.headers,
				events,
				closed,
				next(match, timeoutMs = 20_000) {
					const found = events.find(match);
					if (found) return Promise.resolve(found);
					return new Promise((ok, fail) => {
						const timer = setTimeout(() => fail(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events)}`)), timeoutMs);
						waiters.push({ match, resolve: (e) => (clearTimeout(timer), ok(e)) });
					});
				},
				close: () => req.destroy(),
			});
		});
		req.on('error', reject);
		req.end();
	});
}

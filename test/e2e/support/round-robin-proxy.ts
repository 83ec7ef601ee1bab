// A small round-robin HTTP balancer on loopback for end-to-end tests, in front of n8n's webhook processes (or of one
// regular n8n). It forwards each request whole to the next backend, counts requests per backend, records every
// request byte for byte so a test can replay it (`sendTo`), and injects faults: `dropNextResponses(n)` and
// `dropWhen(predicate)` forward the request, wait for the backend's whole answer and then destroy the client's
// socket without answering ("n8n answered 200 but the response was lost"). A backend that cannot be reached gets
// a 502, as a balancer without health checks would answer.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the proxy received it. `rawHeaders` keeps names, order and duplicates as sent. */
export interface RecordedRequest {
	method: string;
	path: string;
	rawHeaders: string[];
	body: Buffer;
	/** Which backend the proxy forwarded it to, -1 if none answered. */
	backend: number;
	/** The backend's status code, undefined when it could not be reached. */
	status?: number;
	/** The backend answered but the proxy destroyed the client's socket instead of passing the answer on. */
	dropped: boolean;
	receivedAt: number;
}

export interface BackendAnswer {
	status: number;
	headers: IncomingHttpHeaders;
	body: Buffer;
}

/** Decides, once the backend answered, whether this response is lost on its way back. */
export type DropPredicate = (request: RecordedRequest, answer: BackendAnswer) => boolean;

// Hop-by-hop headers are the connection's, not the request's: a balancer does not pass them on.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export class RoundRobinProxy {
	/** Requests forwarded to each backend (answered or not), by backend index. */
	readonly counts: number[];
	/** Every request received through the proxy's port, in arrival order (not those sent with `sendTo`). */
	readonly recorded: RecordedRequest[] = [];
	private next = 0;
	private dropCount = 0;
	private dropPredicate?: DropPredicate;
	private readonly sockets = new Set<Socket>();

	private constructor(
		private readonly server: Server,
		private backends: string[],
	) {
		this.counts = backends.map(() => 0);
	}

	/** Listens on 127.0.0.1 (`port` 0 picks a free one); backends are base URLs such as http://127.0.0.1:5679. */
	static async start(backends: string[], port = 0): Promise<RoundRobinProxy> {
		if (backends.length === 0) throw new Error('a proxy needs at least one backend');
		const server = createServer();
		const proxy = new RoundRobinProxy(server, backends);
		server.on('request', (req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				const recorded: RecordedRequest = {
					method: req.method ?? 'GET',
					path: req.url ?? '/',
					rawHeaders: [...req.rawHeaders],
					body: Buffer.concat(chunks),
					backend: -1,
					dropped: false,
					receivedAt: Date.now(),
				};
				proxy.recorded.push(recorded);
				void proxy.forward(recorded).then(
					(answer) => {
						if (proxy.shouldDrop(recorded, answer)) {
							recorded.dropped = true;
							req.socket.destroy();
							return;
						}
						const headers = Object.fromEntries(Object.entries(answer.headers).filter(([k]) => !HOP_BY_HOP.has(k)));
						res.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
						res.end(answer.body);
					},
					(error: Error) => {
						res.writeHead(502, { 'content-type': 'text/plain' });
						res.end(`bad gateway: ${error.message}`);
					},
				);
			});
		});
		server.on('connection', (socket) => {
			proxy.sockets.add(socket);
			socket.on('close', () => proxy.sockets.delete(socket));
		});
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(port, '127.0.0.1', () => resolve());
		});
		return proxy;
	}

	/** e.g. http://127.0.0.1:40123 */
	get url(): string {
		return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
	}

	/** Replaces the backends (the counts restart at zero). */
	setBackends(backends: string[]): void {
		this.backends = backends;
		this.counts.length = 0;
		this.counts.push(...backends.map(() => 0));
		this.next = 0;
	}

	/** The next `n` answers from backends are lost after the backend answered. */
	dropNextResponses(n: number): void {
		this.dropCount += n;
	}

	/** Answers the predicate accepts are lost after the backend answered; undefined stops dropping by predicate. */
	dropWhen(predicate: DropPredicate | undefined): void {
		this.dropPredicate = predicate;
	}

	/** Requests whose answer was lost. */
	get dropped(): RecordedRequest[] {
		return this.recorded.filter((r) => r.dropped);
	}

	/** Forgets the recorded requests and resets the counts. */
	reset(): void {
		this.recorded.length = 0;
		for (let i = 0; i < this.counts.length; i++) this.counts[i] = 0;
	}

	/**
	 * Delivers `request` (typically a recorded one) unchanged, headers and body bytes, to backend `index`, bypassing
	 * round robin and fault injection, and resolves with the backend's answer. Start several before awaiting them to
	 * send copies at the same instant: `Promise.all([proxy.sendTo(0, r), proxy.sendTo(1, r)])`.
	 */
	sendTo(index: number, request: Pick<RecordedRequest, 'method' | 'path' | 'rawHeaders' | 'body'>): Promise<BackendAnswer> {
		const backend = this.backends[index];
		if (!backend) throw new Error(`no backend ${index}`);
		this.counts[index]++;
		return send(backend, request);
	}

	async stop(): Promise<void> {
		for (const socket of this.sockets) socket.destroy();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	private forward(recorded: RecordedRequest): Promise<BackendAnswer> {
		const index = this.next;
		this.next = (this.next + 1) % this.backends.length;
		this.counts[index]++;
		recorded.backend = index;
		return send(this.backends[index], recorded).then((answer) => {
			recorded.status = answer.status;
			return answer;
		});
	}

	private shouldDrop(request: RecordedRequest, answer: BackendAnswer): boolean {
		if (this.dropCount > 0) {
			this.dropCount--;
			return true;
		}
		return this.dropPredicate?.(request, answer) ?? false;
	}
}

/** One HTTP request on a fresh connection, the whole answer buffered. */
function send(backend: string, request: Pick<RecordedRequest, 'method' | 'path' | 'rawHeaders' | 'body'>): Promise<BackendAnswer> {
	const target = new URL(backend);
	const headers: [string, string][] = [];
	for (let i = 0; i < request.rawHeaders.length; i += 2) {
		const name = request.rawHeaders[i];
		if (HOP_BY_HOP.has(name.toLowerCase()) || name.toLowerCase() === 'content-length') continue;
		headers.push([name, request.rawHeaders[i + 1]]);
	}
	headers.push(['content-length', String(request.body.length)]);
	return new Promise((resolve, reject) => {
		const req = httpRequest(
			{
				host: target.hostname,
				port: target.port,
				method: request.method,
				path: request.path,
				headers: headers.flat(),
				agent: false,
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (c: Buffer) => chunks.push(c));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
				res.on('error', reject);
			},
		);
		req.on('error', reject);
		req.end(request.body);
	});
}

// One instance's live connections: server-sent event streams fed by the live bus. Each connection is bounded (notices
// waiting to be handled, bytes waiting for the client); past either bound it is closed and the client reconnects.
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { LIVE_CONNECTIONS_PER_WORKSPACE, LIVE_QUEUE_BYTES_PER_CONNECTION, LIVE_QUEUE_NOTICES_PER_CONNECTION } from '../limits';
import { getConversation, getReceivedMessage, type Conversation, type Message } from '../store/conversations';
import type { Store } from '../store/database';
import type { LiveNotice, LiveSignal } from '../store/live-bus';
import { HttpError } from '../util/http-error';

export interface LiveOptions {
	/** A comment line this often keeps proxies from closing an idle stream (default 20 s). */
	heartbeatMs?: number;
	/** Open streams per workspace on one instance (default LIVE_CONNECTIONS_PER_WORKSPACE). */
	connectionsPerWorkspace?: number;
	/** Bytes a connection may have waiting for a slow client before it is closed. */
	queueBytes?: number;
	/** Notices a connection may have waiting to be handled before it is closed. */
	queueNotices?: number;
	/** How long opening a stream waits for the bus to listen before answering 503 (default 5 s). */
	readyTimeoutMs?: number;
}

/** A notice with what receivers read for it, read once per instance however many streams want it. */
export interface ResolvedNotice {
	notice: LiveNotice;
	conversation(): Promise<Conversation | undefined>;
	message(): Promise<Message | undefined>;
}

export interface LiveStream {
	send(event: string, data: unknown, id?: string): void;
	close(): void;
}

export interface LiveClient {
	workspaceId: string;
	/** Sent first (a catch-up from the database), before any notice is handled. */
	start?(stream: LiveStream): Promise<void>;
	onNotice(notice: ResolvedNotice, stream: LiveStream): Promise<void>;
	/** Notices may have been missed; default: tell the client to refetch. */
	onReset?(stream: LiveStream): void;
}

export interface LiveHub {
	/** Takes over the reply and streams until the client leaves or the server closes; 429 past the workspace's limit. */
	open(reply: FastifyReply, client: LiveClient): Promise<void>;
	/** Open streams, in all or of one workspace. */
	count(workspaceId?: string): number;
	close(): void;
}

interface Connection {
	client: LiveClient;
	stream: LiveStream;
	/** Notices are handled one after the other, so a stream's events keep their order. */
	chain: Promise<void>;
	waiting: number;
}

export function sseStream(raw: ServerResponse, maxBytes: number, onClose: () => void): LiveStream {
	let closed = false;
	const stream: LiveStream = {
		send(event, data, id) {
			if (closed) return;
			raw.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
			// A client that does not read is dropped rather than buffered without end; it reconnects and catches up.
			if (raw.writableLength > maxBytes) stream.close();
		},
		close() {
			if (closed) return;
			closed = true;
			onClose();
			raw.end();
		},
	};
	return stream;
}

function resolveNotice(store: Store, notice: LiveNotice): ResolvedNotice {
	let conversation: Promise<Conversation | undefined> | undefined;
	let message: Promise<Message | undefined> | undefined;
	return {
		notice,
		conversation: () => (conversation ??= getConversation(store.db, notice.w, notice.c)),
		message: () =>
			(message ??=
				notice.k === 'message'
					? getReceivedMessage(store.db, notice.w, notice.m).then((m) => m && { id: m.id, role: m.role, source: m.source, text: m.text, createdAt: m.createdAt })
					: Promise.resolve(undefined)),
	};
}

async function listening(store: Store, timeoutMs: number): Promise<void> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new HttpError(503, 'live updates are not available right now; retry shortly')), timeoutMs);
	});
	try {
		await Promise.race([store.live.ready(), timeout]);
	} finally {
		clearTimeout(timer);
	}
}

export function createLiveHub(store: Store, options: LiveOptions = {}): LiveHub {
	const heartbeatMs = options.heartbeatMs ?? 20_000;
	const perWorkspace = options.connectionsPerWorkspace ?? LIVE_CONNECTIONS_PER_WORKSPACE;
	const queueBytes = options.queueBytes ?? LIVE_QUEUE_BYTES_PER_CONNECTION;
	const queueNotices = options.queueNotices ?? LIVE_QUEUE_NOTICES_PER_CONNECTION;
	const byWorkspace = new Map<string, Set<Connection>>();
	let unsubscribe: (() => void) | null = null;
	let closing = false;

	function enqueue(connection: Connection, work: () => Promise<void>): void {
		if (connection.waiting >= queueNotices) return connection.stream.close();
		connection.waiting += 1;
		connection.chain = connection.chain
			.then(work)
			.catch(() => connection.stream.close())
			.finally(() => {
				connection.waiting -= 1;
			});
	}

	function onSignal(signal: LiveSignal): void {
		if (signal.k === 'reset') {
			for (const set of byWorkspace.values()) {
				for (const c of set) enqueue(c, async () => (c.client.onReset ? c.client.onReset(c.stream) : c.stream.send('reset', {})));
			}
			return;
		}
		const set = byWorkspace.get(signal.w);
		if (!set?.size) return;
		const resolved = resolveNotice(store, signal);
		for (const c of set) enqueue(c, () => c.client.onNotice(resolved, c.stream));
	}

	function remove(connection: Connection): void {
		const set = byWorkspace.get(connection.client.workspaceId);
		set?.delete(connection);
		if (set && !set.size) byWorkspace.delete(connection.client.workspaceId);
		// The bus connection is kept while the instance runs: the next page needs no new LISTEN.
	}

	return {
		async open(reply, client) {
			if (closing) throw new HttpError(503, 'the server is shutting down; reconnect');
			const set = byWorkspace.get(client.workspaceId) ?? new Set<Connection>();
			if (set.size >= perWorkspace) throw new HttpError(429, `this workspace has ${perWorkspace} live connections open on this server; close one and retry`);
			unsubscribe ??= store.live.subscribe(onSignal);
			// A stream that would miss notices is not opened: the client retries (the database may be restarting).
			await listening(store, options.readyTimeoutMs ?? 5000);

			const raw = reply.raw;
			reply.hijack();
			// Headers set before (CORS, nosniff) go out with the stream.
			const before = Object.fromEntries(Object.entries(reply.getHeaders()).filter((e): e is [string, string | number | string[]] => e[1] !== undefined));
			raw.writeHead(200, {
				...before,
				'content-type': 'text/event-stream; charset=utf-8',
				'cache-control': 'no-store',
				'x-accel-buffering': 'no',
				'x-content-type-options': 'nosniff',
				connection: 'keep-alive',
			});
			raw.write('retry: 2000\n\n');
			const heartbeat = setInterval(() => raw.write(': ping\n\n'), heartbeatMs);
			heartbeat.unref();
			const connection: Connection = {
				client,
				stream: sseStream(raw, queueBytes, () => {
					clearInterval(heartbeat);
					remove(connection);
				}),
				chain: Promise.resolve(),
				waiting: 0,
			};
			raw.on('close', () => connection.stream.close());
			set.add(connection);
			byWorkspace.set(client.workspaceId, set);
			enqueue(connection, async () => {
				if (client.start) await client.start(connection.stream);
				connection.stream.send('ready', {});
			});
		},
		count(workspaceId) {
			if (workspaceId) return byWorkspace.get(workspaceId)?.size ?? 0;
			let n = 0;
			for (const set of byWorkspace.values()) n += set.size;
			return n;
		},
		close() {
			closing = true;
			for (const set of [...byWorkspace.values()]) for (const c of [...set]) c.stream.close();
			unsubscribe?.();
			unsubscribe = null;
		},
	};
}

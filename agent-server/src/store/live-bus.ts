// The live bus: small notices (ids) that a message was stored, someone is typing, or a conversation changed hands.
// PostgreSQL: NOTIFY in the writer's transaction, LISTEN on one connection per instance, so every instance hears
// every write once it commits. SQLite (one instance): the same notices through an in-process emitter, also released
// only when the transaction commits (dropped on rollback).
import { sql, type CompiledQuery, type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryResult, type TransactionSettings } from 'kysely';
import { Client } from 'pg';
import type { Role } from '../engine/types';
import { isPostgres } from './row-lock';
import type { Queryable } from './schema';

export type ConversationChange = 'handoff' | 'claimed' | 'released' | 'ended' | 'note';

/** What travels on the bus: only ids and short values; receivers read the rest from the database. */
export type LiveNotice =
	| { k: 'message'; w: string; c: string; m: string; r: Role }
	| { k: 'typing'; w: string; c: string; who: 'agent' | 'human'; on: boolean; by?: string }
	| { k: 'conversation'; w: string; c: string; change: ConversationChange; status: string; assignee?: string | null };

/** `reset`: notices may have been missed (the listening connection dropped); subscribers refetch. */
export type LiveSignal = LiveNotice | { k: 'reset' };

export interface LiveBus {
	/** Starts listening on first use; returns the unsubscribe function. */
	subscribe(listener: (signal: LiveSignal) => void): () => void;
	/** Resolves once notices are heard (PostgreSQL: the LISTEN connection is up), so nothing committed after is missed. */
	ready(): Promise<void>;
	close(): Promise<void>;
}

const PG_CHANNEL_PREFIX = 'agent_bridge_live:';
// The SQLite driver below recognises this exact statement and turns it into an in-process notice.
const SQLITE_NOTICE_SQL = 'select ? as agent_bridge_live_notice';

/**
 * Publishes a notice inside the caller's transaction (sent when it commits) or at once outside one. On PostgreSQL
 * the channel is per schema, so instances on other schemas of the same database hear nothing.
 */
export async function notifyLive(db: Queryable, notice: LiveNotice): Promise<void> {
	const payload = JSON.stringify(notice);
	if (isPostgres(db)) await sql`select pg_notify(${PG_CHANNEL_PREFIX} || current_schema(), ${payload})`.execute(db);
	else await sql`select ${payload} as agent_bridge_live_notice`.execute(db);
}

/** Notices that do not belong to a write (typing) go out without holding up the caller. */
export function notifyLiveSoon(db: Queryable, notice: LiveNotice): void {
	notifyLive(db, notice).catch(() => undefined);
}

function parseNotice(payload: string | undefined): LiveNotice | undefined {
	try {
		const notice = JSON.parse(payload ?? '') as LiveNotice;
		return typeof notice?.k === 'string' && typeof notice.w === 'string' ? notice : undefined;
	} catch {
		return undefined;
	}
}

function listenerSet() {
	const listeners = new Set<(signal: LiveSignal) => void>();
	return {
		listeners,
		emit(signal: LiveSignal) {
			for (const listener of [...listeners]) {
				try {
					listener(signal);
				} catch {
					// One subscriber's failure must not stop the others.
				}
			}
		},
	};
}

// ---- SQLite: an emitter fed by the driver at commit ----

interface NoticeConnection extends DatabaseConnection {
	inner: DatabaseConnection;
	/** Notices of the open transaction, or null outside one. */
	pending: string[] | null;
}

class NoticeDriver implements Driver {
	constructor(
		private readonly inner: Driver,
		private readonly emit: (payload: string) => void,
	) {}
	init() {
		return this.inner.init();
	}
	async acquireConnection(): Promise<DatabaseConnection> {
		const inner = await this.inner.acquireConnection();
		const emit = this.emit;
		const connection: NoticeConnection = {
			inner,
			pending: null,
			async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
				if (query.sql !== SQLITE_NOTICE_SQL) return inner.executeQuery<R>(query);
				const payload = String(query.parameters[0]);
				if (connection.pending) connection.pending.push(payload);
				else emit(payload);
				return { rows: [] };
			},
			streamQuery: <R>(query: CompiledQuery, chunkSize?: number) => inner.streamQuery<R>(query, chunkSize),
		};
		return connection;
	}
	async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
		const c = connection as NoticeConnection;
		await this.inner.beginTransaction(c.inner, settings);
		c.pending = [];
	}
	async commitTransaction(connection: DatabaseConnection) {
		const c = connection as NoticeConnection;
		const pending = c.pending ?? [];
		c.pending = null;
		await this.inner.commitTransaction(c.inner);
		for (const payload of pending) this.emit(payload);
	}
	async rollbackTransaction(connection: DatabaseConnection) {
		const c = connection as NoticeConnection;
		c.pending = null;
		await this.inner.rollbackTransaction(c.inner);
	}
	releaseConnection(connection: DatabaseConnection) {
		return this.inner.releaseConnection((connection as NoticeConnection).inner);
	}
	destroy() {
		return this.inner.destroy();
	}
}

/** Wraps the SQLite dialect so notices reach `bus` when their transaction commits. */
export function sqliteLiveDialect(inner: Dialect): { dialect: Dialect; bus: LiveBus } {
	const { listeners, emit } = listenerSet();
	const dialect: Dialect = {
		createAdapter: () => inner.createAdapter(),
		createDriver: () =>
			new NoticeDriver(inner.createDriver(), (payload) => {
				const notice = parseNotice(payload);
				// After the caller's own code: a listener that reads the database never runs inside the commit.
				if (notice) setImmediate(() => emit(notice));
			}),
		createIntrospector: (db: Kysely<unknown>) => inner.createIntrospector(db),
		createQueryCompiler: () => inner.createQueryCompiler(),
	};
	const bus: LiveBus = {
		subscribe(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		ready: async () => undefined,
		async close() {
			listeners.clear();
		},
	};
	return { dialect, bus };
}

// ---- PostgreSQL: LISTEN on a connection of its own ----

export interface PgLiveOptions {
	connectionString: string;
	schema?: string;
	/** First delay before reconnecting a dropped listener; doubles up to 30 s. */
	reconnectMs?: number;
}

export function pgLiveBus(options: PgLiveOptions): LiveBus {
	const { listeners, emit } = listenerSet();
	let client: Client | null = null;
	let connecting: Promise<void> | null = null;
	let retryTimer: NodeJS.Timeout | null = null;
	let delay = options.reconnectMs ?? 500;
	let closed = false;
	const waiters: (() => void)[] = [];

	async function connect(): Promise<void> {
		const next = new Client({
			connectionString: options.connectionString,
			// Named, so an operator sees what this connection is for.
			application_name: 'agent-bridge-live',
			...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
		});
		next.on('error', () => dropped(next));
		next.on('end', () => dropped(next));
		next.on('notification', (message) => {
			const notice = parseNotice(message.payload);
			if (notice) emit(notice);
		});
		await next.connect();
		const schema = (await next.query<{ s: string }>('select current_schema() as s')).rows[0].s;
		await next.query(`LISTEN "${(PG_CHANNEL_PREFIX + schema).replace(/"/g, '""')}"`);
		if (closed) return void (await next.end().catch(() => undefined));
		client = next;
		delay = options.reconnectMs ?? 500;
		for (const wake of waiters.splice(0)) wake();
	}

	function dropped(which: Client) {
		if (client !== which) return;
		client = null;
		// Notices sent meanwhile are lost: subscribers refetch what they show.
		emit({ k: 'reset' });
		schedule();
	}

	function schedule() {
		if (closed || retryTimer || !listeners.size) return;
		retryTimer = setTimeout(() => {
			retryTimer = null;
			ensure();
		}, delay);
		retryTimer.unref();
		delay = Math.min(delay * 2, 30_000);
	}

	function ensure() {
		if (closed || client || connecting) return;
		connecting = connect()
			.catch(() => schedule())
			.finally(() => {
				connecting = null;
			});
	}

	return {
		subscribe(listener) {
			listeners.add(listener);
			ensure();
			return () => listeners.delete(listener);
		},
		ready() {
			if (client || closed) return Promise.resolve();
			ensure();
			return new Promise<void>((resolve) => waiters.push(resolve));
		},
		async close() {
			closed = true;
			for (const wake of waiters.splice(0)) wake();
			listeners.clear();
			if (retryTimer) clearTimeout(retryTimer);
			await connecting?.catch(() => undefined);
			const c = client;
			client = null;
			await c?.end().catch(() => undefined);
		},
	};
}

// Opens SQLite (default) or PostgreSQL (when a URL is given) behind one Kysely instance and migrates it.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import { Pool } from 'pg';
import { pgLiveBus, sqliteLiveDialect, type LiveBus } from './live-bus';
import { migrationProvider } from './migrations';
import type { Database, Db } from './schema';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseOptions {
	/** postgres://... selects PostgreSQL; otherwise SQLite. */
	databaseUrl?: string;
	/** SQLite file; default ./data/agent-bridge.db. ":memory:" works too. */
	sqliteFile?: string;
	/** PostgreSQL schema to use (created if missing); lets tests isolate themselves. */
	pgSchema?: string;
}

export interface Store {
	db: Db;
	dialect: Dialect;
	/** Notices of committed writes (messages, typing, conversation changes) for live pages. */
	live: LiveBus;
	close(): Promise<void>;
}

export const DEFAULT_SQLITE_FILE = path.join('data', 'agent-bridge.db');

function isPostgresUrl(url: string | undefined): url is string {
	return !!url && /^postgres(ql)?:\/\//i.test(url);
}

export async function openStore(options: DatabaseOptions = {}): Promise<Store> {
	let db: Db;
	let dialect: Dialect;
	let live: LiveBus;
	if (isPostgresUrl(options.databaseUrl)) {
		dialect = 'postgres';
		const schema = options.pgSchema;
		if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`);
		if (schema) {
			// Create the schema with a throwaway connection before the pool pins search_path to it.
			const setup = new Pool({ connectionString: options.databaseUrl, max: 1 });
			try {
				await setup.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
			} finally {
				await setup.end();
			}
		}
		const pool = new Pool({
			connectionString: options.databaseUrl,
			max: 10,
			...(schema ? { options: `-c search_path=${schema}` } : {}),
		});
		// An idle connection the server dropped (restart, failover) must not crash the process: the pool replaces
		// it on the next query, and /readyz reports the outage meanwhile.
		pool.on('error', () => undefined);
		// The same for a connection that is checked out between two queries: the query that uses it next fails instead.
		pool.on('connect', (client) => client.on('error', () => undefined));
		db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
		try {
			await withSchemaChangeLock(pool, () => migrate(db, schema));
		} catch (err) {
			await db.destroy();
			throw err;
		}
		const live = pgLiveBus({ connectionString: options.databaseUrl, schema });
		return { db, dialect, live, close: () => live.close().then(() => db.destroy()) };
	} else {
		dialect = 'sqlite';
		const file = options.sqliteFile ?? (options.databaseUrl ? sqliteFileFromUrl(options.databaseUrl) : DEFAULT_SQLITE_FILE);
		if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
		const sqlite = new BetterSqlite3(file);
		sqlite.pragma('journal_mode = WAL');
		// Several server processes may share the file: wait for the writer instead of failing at once.
		sqlite.pragma('busy_timeout = 5000');
		reusePreparedStatements(sqlite);
		const noticing = sqliteLiveDialect(new SqliteDialect({ database: sqlite }));
		live = noticing.bus;
		db = new Kysely<Database>({ dialect: noticing.dialect });
	}

	try {
		await migrate(db);
	} catch (err) {
		await db.destroy();
		throw err;
	}
	return { db, dialect, live, close: () => live.close().then(() => db.destroy()) };
}

/** One advisory lock key for every migration and schema drop on the database. */
const SCHEMA_CHANGE_LOCK = 734_620_118;

/**
 * Migrations read the catalog of the whole database (the migrator looks for its tables in every schema), so a schema
 * dropped at the same moment by another instance or test makes them fail; instances starting together must not
 * migrate at once either. One session-level advisory lock, held on its own connection, takes them one at a time.
 */
async function withSchemaChangeLock<T>(pool: Pool, change: () => Promise<T>): Promise<T> {
	const client = await pool.connect();
	try {
		await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_CHANGE_LOCK]);
		try {
			return await change();
		} finally {
			await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_CHANGE_LOCK]);
		}
	} finally {
		client.release();
	}
}

/** How many distinct statements stay compiled; past it the cache starts over (queries with `in (...)` lists vary). */
const STATEMENT_CACHE_MAX = 500;

/**
 * Kysely prepares every query anew; compiling SQL is a large share of a turn's time on SQLite. The same SQL text
 * reuses its compiled statement (better-sqlite3 statements run synchronously, so one is never used twice at once).
 */
function reusePreparedStatements(sqlite: BetterSqlite3.Database): void {
	const prepare = sqlite.prepare.bind(sqlite);
	const cache = new Map<string, BetterSqlite3.Statement>();
	sqlite.prepare = ((source: string) => {
		let statement = cache.get(source);
		if (!statement) {
			statement = prepare(source);
			if (cache.size >= STATEMENT_CACHE_MAX) cache.clear();
			cache.set(source, statement);
		}
		return statement;
	}) as typeof sqlite.prepare;
}

function sqliteFileFromUrl(url: string): string {
	// Accept "sqlite:./file.db", "file:./file.db" or a plain path.
	return url.replace(/^(sqlite|file):(\/\/)?/i, '');
}

/**
 * `schema`: the PostgreSQL schema the migration bookkeeping lives in. Without it the migrator looks for its tables
 * in any schema, so a second schema in the same database would be taken as already migrated.
 */
export async function migrate(db: Db, schema?: string): Promise<void> {
	const migrator = new Migrator({ db, provider: migrationProvider, ...(schema ? { migrationTableSchema: schema } : {}) });
	const { error, results } = await migrator.migrateToLatest();
	if (error) {
		const failed = results?.find((r) => r.status === 'Error');
		throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String((error as Error).message ?? error)}`);
	}
}

/** Drops a PostgreSQL schema (tests clean up after themselves). */
export async function dropPgSchema(databaseUrl: string, schema: string): Promise<void> {
	if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
	const pool = new Pool({ connectionString: databaseUrl, max: 2 });
	try {
		await withSchemaChangeLock(pool, () => pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
	} finally {
		await pool.end();
	}
}

// Figure: a chat turn through the agent server (offline engine, logging as deployed: info to a stream) as a ratio of
// the floor: a minimal Fastify endpoint doing one transaction with the same kinds of writes (key lookup, ownership
// check, two messages, the conversation row, one signed outbox event), at 1, 10 and 50 concurrent clients, on SQLite
// (better-sqlite3) or with --db postgres on PostgreSQL (pg; both on a fresh schema of TEST_DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/test). The client loop runs in its own process (bench/turn-client.mjs), the same for both.
// Run: npx tsx bench/turn-floor.ts [turns per level=1500] [--db sqlite|postgres]
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { Pool } from 'pg';
import { Webhook } from 'standardwebhooks';
import { buildApp, type BuildAppOptions } from '../agent-server/src/app';
import { dropPgSchema } from '../agent-server/src/store/database';
import { benchAgents } from './agents';

const args = process.argv.slice(2);
const dbFlag = args.indexOf('--db');
const DB = dbFlag >= 0 ? args.splice(dbFlag, 2)[1] : 'sqlite';
if (DB !== 'sqlite' && DB !== 'postgres') throw new Error(`--db must be sqlite or postgres, not ${DB}`);
const TURNS = Number(args[0] ?? 1500);
const LEVELS = [1, 10, 50];
const API_KEY = 'ab_bench_key_0123456789abcdef';
const CLIENT = path.join(__dirname, 'turn-client.mjs');
const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REPLY_TEXT = 'Thanks! What budget do you have in mind?';

interface Result {
	opsPerSecond: number;
	p50Ms: number;
	p99Ms: number;
}

interface Served {
	url: string;
	close(): Promise<void>;
}

/** The client runs as its own process; this one keeps serving meanwhile. */
async function runClient(url: string, concurrency: number): Promise<Result> {
	const { stdout } = await promisify(execFile)(process.execPath, [CLIENT, url, API_KEY, String(TURNS), String(concurrency)], { encoding: 'utf8' });
	return JSON.parse(stdout) as Result;
}

const hash = (key: string) => createHash('sha256').update(key).digest('hex');
const webhook = new Webhook(Buffer.from('bench-secret-0123456789').toString('base64'));

/** The signed outbox event of a floor turn. */
function floorEvent(conversationId: string, text: string) {
	const id = `evt_${randomUUID()}`;
	const envelope = JSON.stringify({ id, type: 'agent.action.triggered', conversation: { id: conversationId }, text });
	return { id, envelope, signature: webhook.sign(id, new Date(), envelope) };
}

type FloorBody = { text: string; conversationId?: string };

/** The floor's route: what any server must do per turn; `turn` runs the writes in one transaction (null: not found). */
function floorApp(
	workspaceOf: (keyHash: string) => Promise<string | undefined>,
	turn: (workspaceId: string, body: FloorBody, conversationId: string, at: string) => Promise<boolean>,
): FastifyInstance {
	const app = Fastify();
	app.post<{ Body: FloorBody }>('/v1/chat', async (request, reply) => {
		const workspaceId = await workspaceOf(hash(String(request.headers.authorization).slice(7)));
		if (!workspaceId) return reply.code(401).send({ message: 'unknown key' });
		const id = request.body.conversationId ?? `conv_${randomUUID()}`;
		if (!(await turn(workspaceId, request.body, id, new Date().toISOString()))) return reply.code(404).send({ message: 'conversation not found' });
		return { conversation: { id }, reply: { text: REPLY_TEXT } };
	});
	return app;
}

const FLOOR_TABLES = `
	create table keys (hash text primary key, workspace_id text not null);
	create table conversations (id text primary key, workspace_id text not null, turn_count integer not null, updated_at text not null);
	create table messages (id text primary key, conversation_id text not null, role text not null, text text not null, created_at text not null);
	create table outbox (id text primary key, workspace_id text not null, type text not null, envelope text not null, signature text not null, created_at text not null);
`;

/** The floor on SQLite: better-sqlite3, prepared statements, WAL. */
async function floorSqlite(dir: string): Promise<Served> {
	const db = new BetterSqlite3(path.join(dir, 'floor.db'));
	db.pragma('journal_mode = WAL');
	db.exec(FLOOR_TABLES);
	db.prepare('insert into keys values (?, ?)').run(hash(API_KEY), 'ws_1');
	const findKey = db.prepare('select workspace_id from keys where hash = ?');
	const findConversation = db.prepare('select workspace_id, turn_count from conversations where id = ?');
	const insertConversation = db.prepare('insert into conversations values (?, ?, 1, ?)');
	const touchConversation = db.prepare('update conversations set turn_count = turn_count + 1, updated_at = ? where id = ?');
	const insertMessage = db.prepare('insert into messages values (?, ?, ?, ?, ?)');
	const insertEvent = db.prepare('insert into outbox values (?, ?, ?, ?, ?, ?)');
	const app = floorApp(
		async (keyHash) => (findKey.get(keyHash) as { workspace_id: string } | undefined)?.workspace_id,
		async (workspaceId, body, id, at) =>
			db.transaction(() => {
				if (body.conversationId) {
					const found = findConversation.get(id) as { workspace_id: string } | undefined;
					if (!found || found.workspace_id !== workspaceId) return false;
					touchConversation.run(at, id);
				} else insertConversation.run(id, workspaceId, at);
				insertMessage.run(`msg_${randomUUID()}`, id, 'contact', body.text, at);
				insertMessage.run(`msg_${randomUUID()}`, id, 'agent', REPLY_TEXT, at);
				const event = floorEvent(id, body.text);
				insertEvent.run(event.id, workspaceId, 'agent.action.triggered', event.envelope, event.signature, at);
				return true;
			})(),
	);
	const close = async () => {
		await app.close();
		db.close();
	};
	return { url: await app.listen({ port: 0, host: '127.0.0.1' }), close };
}

/** The floor on PostgreSQL: pg, a pool of 10 (as the server's), the turn in BEGIN ... COMMIT with a row lock. */
async function floorPostgres(schema: string): Promise<Served> {
	const setup = new Pool({ connectionString: DATABASE_URL, max: 1 });
	await setup.query(`create schema "${schema}"`);
	await setup.end();
	const pool = new Pool({ connectionString: DATABASE_URL, max: 10, options: `-c search_path=${schema}` });
	await pool.query(FLOOR_TABLES);
	await pool.query('insert into keys values ($1, $2)', [hash(API_KEY), 'ws_1']);
	const app = floorApp(
		async (keyHash) => (await pool.query('select workspace_id from keys where hash = $1', [keyHash])).rows[0]?.workspace_id,
		async (workspaceId, body, id, at) => {
			const client = await pool.connect();
			try {
				await client.query('begin');
				if (body.conversationId) {
					const found = (await client.query('select workspace_id, turn_count from conversations where id = $1 for update', [id])).rows[0];
					if (!found || found.workspace_id !== workspaceId) {
						await client.query('rollback');
						return false;
					}
					await client.query('update conversations set turn_count = turn_count + 1, updated_at = $1 where id = $2', [at, id]);
				} else await client.query('insert into conversations values ($1, $2, 1, $3)', [id, workspaceId, at]);
				await client.query('insert into messages values ($1, $2, $3, $4, $5)', [`msg_${randomUUID()}`, id, 'contact', body.text, at]);
				await client.query('insert into messages values ($1, $2, $3, $4, $5)', [`msg_${randomUUID()}`, id, 'agent', REPLY_TEXT, at]);
				const event = floorEvent(id, body.text);
				await client.query('insert into outbox values ($1, $2, $3, $4, $5, $6)', [event.id, workspaceId, 'agent.action.triggered', event.envelope, event.signature, at]);
				await client.query('commit');
				return true;
			} catch (error) {
				await client.query('rollback');
				throw error;
			} finally {
				client.release();
			}
		},
	);
	return { url: await app.listen({ port: 0, host: '127.0.0.1' }), close: async () => (await app.close(), await pool.end()) };
}

async function agentServer(database: Pick<BuildAppOptions, 'sqliteFile' | 'databaseUrl' | 'pgSchema'>): Promise<Served> {
	// Logging as deployed: one info line per request, written (here to a sink rather than a terminal).
	const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
	const app = await buildApp({
		...database,
		apiKey: API_KEY,
		relay: { enabled: false },
		rateLimitPerMinute: 0,
		logger: { level: 'info', stream: sink },
		agents: benchAgents(),
	});
	return { url: await app.listen({ port: 0, host: '127.0.0.1' }), close: () => app.close() };
}

async function main() {
	const dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-floor-'));
	const schemas = [`bench_floor_${randomBytes(4).toString('hex')}`, `bench_agent_${randomBytes(4).toString('hex')}`];
	const floor = DB === 'postgres' ? await floorPostgres(schemas[0]) : await floorSqlite(dir);
	const agent = await agentServer(DB === 'postgres' ? { databaseUrl: DATABASE_URL, pgSchema: schemas[1] } : { sqliteFile: path.join(dir, 'agent.db') });
	console.log(`\nturn-floor (db=${DB}, turns=${TURNS} per level)\n`);
	console.log('| clients | floor turns/s | agent server turns/s | ratio | floor p99 ms | agent server p99 ms | p99 ratio |');
	console.log('| --- | --- | --- | --- | --- | --- | --- |');
	for (const clients of LEVELS) {
		const f = await runClient(floor.url, clients);
		const a = await runClient(agent.url, clients);
		console.log(
			`| ${clients} | ${f.opsPerSecond.toFixed(0)} | ${a.opsPerSecond.toFixed(0)} | ${(a.opsPerSecond / f.opsPerSecond).toFixed(2)} | ${f.p99Ms.toFixed(1)} | ${a.p99Ms.toFixed(1)} | ${(a.p99Ms / f.p99Ms).toFixed(2)} |`,
		);
	}
	await agent.close();
	await floor.close();
	if (DB === 'postgres') for (const schema of schemas) await dropPgSchema(DATABASE_URL, schema);
	rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});

// Figure: a chat turn through the agent server (offline engine, SQLite, logging as deployed: info to a stream) as a
// ratio of the floor: a minimal Fastify + better-sqlite3 endpoint doing one transaction with the same kinds of writes
// (key lookup, ownership check, two messages, the conversation row, one signed outbox event), at 1, 10 and 50
// concurrent clients. The client loop runs in its own process (bench/turn-client.mjs), the same for both.
// Run: npx tsx bench/turn-floor.ts [turns per level=1500]
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import Fastify from 'fastify';
import { Webhook } from 'standardwebhooks';
import { buildApp } from '../agent-server/src/app';
import { loadAgents } from '../agent-server/src/agents/agent-files';

const TURNS = Number(process.argv[2] ?? 1500);
const LEVELS = [1, 10, 50];
const API_KEY = 'ab_bench_key_0123456789abcdef';
const CLIENT = path.join(__dirname, 'turn-client.mjs');

interface Result {
	opsPerSecond: number;
	p50Ms: number;
	p99Ms: number;
}

/** The client runs as its own process; this one keeps serving meanwhile. */
async function runClient(url: string, concurrency: number): Promise<Result> {
	const { stdout } = await promisify(execFile)(process.execPath, [CLIENT, url, API_KEY, String(TURNS), String(concurrency)], { encoding: 'utf8' });
	return JSON.parse(stdout) as Result;
}

/** The floor: what any server must do per turn, written directly, in one transaction. */
async function floorServer(dir: string) {
	const db = new BetterSqlite3(path.join(dir, 'floor.db'));
	db.pragma('journal_mode = WAL');
	db.exec(`
		create table keys (hash text primary key, workspace_id text not null);
		create table conversations (id text primary key, workspace_id text not null, turn_count integer not null, updated_at text not null);
		create table messages (id text primary key, conversation_id text not null, role text not null, text text not null, created_at text not null);
		create table outbox (id text primary key, workspace_id text not null, type text not null, envelope text not null, signature text not null, created_at text not null);
	`);
	const hash = (key: string) => createHash('sha256').update(key).digest('hex');
	db.prepare('insert into keys values (?, ?)').run(hash(API_KEY), 'ws_1');
	const findKey = db.prepare('select workspace_id from keys where hash = ?');
	const findConversation = db.prepare('select workspace_id, turn_count from conversations where id = ?');
	const insertConversation = db.prepare('insert into conversations values (?, ?, 1, ?)');
	const touchConversation = db.prepare('update conversations set turn_count = turn_count + 1, updated_at = ? where id = ?');
	const insertMessage = db.prepare('insert into messages values (?, ?, ?, ?, ?)');
	const insertEvent = db.prepare('insert into outbox values (?, ?, ?, ?, ?, ?)');
	const webhook = new Webhook(Buffer.from('bench-secret-0123456789').toString('base64'));
	const app = Fastify();
	app.post<{ Body: { text: string; conversationId?: string } }>('/v1/chat', async (request, reply) => {
		const workspace = findKey.get(hash(String(request.headers.authorization).slice(7))) as { workspace_id: string } | undefined;
		if (!workspace) return reply.code(401).send({ message: 'unknown key' });
		const at = new Date().toISOString();
		const id = request.body.conversationId ?? `conv_${randomUUID()}`;
		const answer = db.transaction(() => {
			if (request.body.conversationId) {
				const found = findConversation.get(id) as { workspace_id: string } | undefined;
				if (!found || found.workspace_id !== workspace.workspace_id) return null;
				touchConversation.run(at, id);
			} else insertConversation.run(id, workspace.workspace_id, at);
			insertMessage.run(`msg_${randomUUID()}`, id, 'contact', request.body.text, at);
			const replyText = 'Thanks! What budget do you have in mind?';
			insertMessage.run(`msg_${randomUUID()}`, id, 'agent', replyText, at);
			const eventId = `evt_${randomUUID()}`;
			const envelope = JSON.stringify({ id: eventId, type: 'agent.action.triggered', conversation: { id }, text: request.body.text });
			insertEvent.run(eventId, workspace.workspace_id, 'agent.action.triggered', envelope, webhook.sign(eventId, new Date(), envelope), at);
			return { conversation: { id }, reply: { text: replyText } };
		})();
		return answer ?? reply.code(404).send({ message: 'conversation not found' });
	});
	return { url: await app.listen({ port: 0, host: '127.0.0.1' }), close: async () => (await app.close(), db.close()) };
}

async function agentServer(dir: string) {
	// The bundled lead qualifier without its round trip: no workflow answers here, and waiting is idle time, not work.
	const agents = loadAgents().list().map((agent) => ({ ...agent, actions: agent.actions.map(({ expects: _wait, ...action }) => action) }));
	// Logging as deployed: one info line per request, written (here to a sink rather than a terminal).
	const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
	const app = await buildApp({
		sqliteFile: path.join(dir, 'agent.db'),
		apiKey: API_KEY,
		relay: { enabled: false },
		rateLimitPerMinute: 0,
		logger: { level: 'info', stream: sink },
		agents: { list: () => agents, get: (id) => agents.find((a) => a.id === id) },
	});
	return { url: await app.listen({ port: 0, host: '127.0.0.1' }), close: () => app.close() };
}

async function main() {
	const dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-floor-'));
	const floor = await floorServer(dir);
	const agent = await agentServer(dir);
	console.log(`\nturn-floor (turns=${TURNS} per level)\n`);
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
	rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});

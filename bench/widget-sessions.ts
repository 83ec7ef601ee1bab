// Figure: resident memory of a server process with 1,000 open widget sessions, each holding what the widget holds
// while it waits for messages (today a long poll, GET /widget/v1/messages, renewed when it answers), as a ratio of the
// same server with none. Also the server's CPU while the sessions only wait. The server runs in its own process
// (offline engine, SQLite, logging as deployed), with the widget's per-address rate limits and the per-key session
// budget raised, since every session comes from this one address and key.
// Run: npx tsx bench/widget-sessions.ts [sessions=1000] [seconds of CPU measurement=10]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chatTurn, inParallel, LEAD_MESSAGES, table } from './measure';
import { spawnBenchServer, type BenchServer } from './spawn-server';
import type { ProcessMemory } from './server-process';

const SESSIONS = Number(process.argv[2] ?? 1000);
const CLIENTS = 10;
const HOLD_SECONDS = Number(process.argv[3] ?? 10); // how long the CPU of waiting sessions is measured
const API_KEY = 'ab_bench_key_0123456789abcdef';

interface Session {
	token: string;
	lastMessageId?: string;
}

/** How an open widget waits for messages; returns a function that ends the wait. */
type Connection = (server: BenchServer, widgetKey: string, session: Session) => () => void;

/** Today's widget: one long poll at a time, renewed as soon as it answers. */
const longPoll: Connection = (server, widgetKey, session) => {
	const stop = new AbortController();
	(async () => {
		while (!stop.signal.aborted) {
			const after = session.lastMessageId ? `&after=${session.lastMessageId}` : '';
			const res = await fetch(`${server.url}/widget/v1/messages?key=${widgetKey}${after}`, { headers: { 'x-widget-session': session.token }, signal: stop.signal });
			const body = (await res.json()) as { messages: { id: string }[] };
			if (res.status !== 200) throw new Error(`poll answered ${res.status}: ${JSON.stringify(body)}`);
			session.lastMessageId = body.messages.at(-1)?.id ?? session.lastMessageId;
		}
	})().catch((error) => {
		if (!stop.signal.aborted) throw error;
	});
	return () => stop.abort();
};

const CONNECTION: Connection = longPoll;

async function openSession(server: BenchServer, widgetKey: string): Promise<Session> {
	const res = await fetch(`${server.url}/widget/v1/messages?key=${widgetKey}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ agentId: 'lead-qualifier', text: LEAD_MESSAGES[0] }),
	});
	const body = (await res.json()) as { sessionToken: string; messages: { id: string }[] };
	if (res.status !== 200) throw new Error(`widget message answered ${res.status}: ${JSON.stringify(body)}`);
	return { token: body.sessionToken, lastMessageId: body.messages.at(-1)?.id };
}

/** CPU the server used over the next `seconds`, as a share of one core. */
async function cpuShare(server: BenchServer, seconds: number): Promise<number> {
	const before = (await server.memory()).cpuMs;
	await sleep(seconds * 1000);
	return ((await server.memory()).cpuMs - before) / (seconds * 1000);
}

async function main() {
	const dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-widget-'));
	const server = await spawnBenchServer({
		apiKey: API_KEY,
		sqliteFile: path.join(dir, 'bench.db'),
		web: { rateLimit: { messages: 1_000_000, polls: 1_000_000 }, sessionsPerKeyPerHour: 1_000_000 },
	});
	const keyRes = await fetch(`${server.url}/v1/widget-keys`, {
		method: 'POST',
		headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
		body: JSON.stringify({ allowedOrigins: ['https://shop.example'] }),
	});
	const widgetKey = ((await keyRes.json()) as { key: string }).key;

	// Reference: the same server with no session, its code warmed up by a few hundred API turns.
	await inParallel(300, CLIENTS, async () => void (await chatTurn(server.url, API_KEY, LEAD_MESSAGES[0])));
	const rows: [string, ProcessMemory, number][] = [['no session (reference)', await server.memory(), await cpuShare(server, HOLD_SECONDS)]];

	const sessions: Session[] = new Array(SESSIONS);
	await inParallel(SESSIONS, CLIENTS, async (i) => void (sessions[i] = await openSession(server, widgetKey)));
	rows.push([`${SESSIONS} sessions opened, none waiting`, await server.memory(), await cpuShare(server, HOLD_SECONDS)]);

	const stops = sessions.map((session) => CONNECTION(server, widgetKey, session));
	await sleep(2000); // every wait reached the server
	rows.push([`${SESSIONS} sessions, each holding a ${CONNECTION.name === 'longPoll' ? 'long poll' : CONNECTION.name}`, await server.memory(), await cpuShare(server, HOLD_SECONDS)]);
	for (const stop of stops) stop();
	await server.close();
	rmSync(dir, { recursive: true, force: true });

	const reference = rows[0][1];
	console.log(`\nwidget-sessions (sessions=${SESSIONS}, CPU measured over ${HOLD_SECONDS} s)\n`);
	console.log(
		table(
			['server', 'RSS MB', 'heap used MB', 'RSS ratio', 'CPU (share of a core)'],
			rows.map(([name, m, cpu]) => [name, m.rssMb.toFixed(0), m.heapUsedMb.toFixed(0), (m.rssMb / reference.rssMb).toFixed(2), cpu.toFixed(2)]),
		),
	);
	const last = rows[rows.length - 1][1];
	console.log(`\nratio: ${(last.rssMb / reference.rssMb).toFixed(3)} of the reference's RSS (${last.rssMb.toFixed(0)} MB against ${reference.rssMb.toFixed(0)} MB)`);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});

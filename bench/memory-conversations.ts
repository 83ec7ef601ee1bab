// Figure: resident memory of a server process holding 10,000 stored conversations, as a ratio of the same server on
// an empty database. The conversations are created through the API (one chat turn each, 10 clients); the measured
// server is a fresh process on that database after a warm-up turn in every conversation. Each process runs on its
// own (bench/server-process.ts: offline engine, SQLite, logging as deployed) and is measured after a full GC.
// Run: npx tsx bench/memory-conversations.ts [conversations=10000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chatTurn, inParallel, LEAD_MESSAGES, table } from './measure';
import { spawnBenchServer } from './spawn-server';
import type { ProcessMemory } from './server-process';

const CONVERSATIONS = Number(process.argv[2] ?? 10_000);
const CLIENTS = 10;
const WARM_UP_TURNS = 300;
const API_KEY = 'ab_bench_key_0123456789abcdef';

async function main() {
	const dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-memory-'));
	const sqliteFile = path.join(dir, 'bench.db');
	const rows: [string, ProcessMemory][] = [];

	// Reference: a server on an empty database, after a few hundred turns in new conversations (its code warmed up),
	// measured on a database of its own.
	const empty = await spawnBenchServer({ apiKey: API_KEY, sqliteFile: path.join(dir, 'empty.db') });
	await inParallel(WARM_UP_TURNS, CLIENTS, async (i) => void (await chatTurn(empty.url, API_KEY, LEAD_MESSAGES[0])));
	const reference = await empty.memory();
	await empty.close();

	// The process that creates the conversations.
	const seeder = await spawnBenchServer({ apiKey: API_KEY, sqliteFile });
	const ids: string[] = new Array(CONVERSATIONS);
	await inParallel(CONVERSATIONS, CLIENTS, async (i) => void (ids[i] = await chatTurn(seeder.url, API_KEY, LEAD_MESSAGES[0])));
	rows.push([`server that created ${CONVERSATIONS} conversations`, await seeder.memory()]);
	await seeder.close();

	// A fresh process on the full database, after one more turn in every conversation.
	const loaded = await spawnBenchServer({ apiKey: API_KEY, sqliteFile });
	await inParallel(CONVERSATIONS, CLIENTS, async (i) => void (await chatTurn(loaded.url, API_KEY, LEAD_MESSAGES[1], ids[i])));
	rows.push([`restarted on ${CONVERSATIONS} conversations, a turn in each`, await loaded.memory()]);
	await loaded.close();
	rmSync(dir, { recursive: true, force: true });

	console.log(`\nmemory-conversations (conversations=${CONVERSATIONS}, clients=${CLIENTS})\n`);
	const row = (name: string, m: ProcessMemory) => [name, m.rssMb.toFixed(0), m.heapUsedMb.toFixed(0), (m.rssMb / reference.rssMb).toFixed(2)];
	console.log(table(['server', 'RSS MB', 'heap used MB', 'RSS ratio'], [row(`empty database, ${WARM_UP_TURNS} turns (reference)`, reference), ...rows.map(([n, m]) => row(n, m))]));
	const last = rows[rows.length - 1][1];
	console.log(`\nratio: ${(last.rssMb / reference.rssMb).toFixed(3)} of the reference's RSS (${last.rssMb.toFixed(0)} MB against ${reference.rssMb.toFixed(0)} MB)`);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});

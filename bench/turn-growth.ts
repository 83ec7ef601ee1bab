// Figure: chat turn latency as one conversation grows (turns 91-100 and 991-1,000) as a ratio of the same run's
// turns 1-10. The server runs in its own process (offline engine, SQLite, logging as deployed); one client holds
// one conversation at a time and sends the three lead qualification messages in turn. The bundled lead qualifier
// ends a conversation at 30 turns (`ending.maxTurns`); the benchmark drops that setting.
// Run: npx tsx bench/turn-growth.ts [turns per conversation=1000] [conversations=5]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chatTurn, LEAD_MESSAGES, msSince, percentile, table } from './measure';
import { spawnBenchServer } from './spawn-server';

const TURNS = Number(process.argv[2] ?? 1000);
const CONVERSATIONS = Number(process.argv[3] ?? 5);
const API_KEY = 'ab_bench_key_0123456789abcdef';
const WINDOW = 10;

async function main() {
	const dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-growth-'));
	const server = await spawnBenchServer({ apiKey: API_KEY, sqliteFile: path.join(dir, 'bench.db'), agents: { withoutMaxTurns: true } });
	// Warm-up: short conversations, so the first measured turns do not pay for the JIT.
	for (let i = 0; i < 50; i++) {
		let id: string | undefined;
		for (const text of LEAD_MESSAGES) id = await chatTurn(server.url, API_KEY, text, id);
	}
	// latencies[t] holds turn t+1's latency in every conversation.
	const latencies: number[][] = Array.from({ length: TURNS }, () => []);
	for (let c = 0; c < CONVERSATIONS; c++) {
		let id: string | undefined;
		for (let t = 0; t < TURNS; t++) {
			const t0 = process.hrtime.bigint();
			id = await chatTurn(server.url, API_KEY, LEAD_MESSAGES[t % LEAD_MESSAGES.length], id);
			latencies[t].push(msSince(t0));
		}
	}
	const { rssMb } = await server.memory();
	await server.close();
	rmSync(dir, { recursive: true, force: true });

	// Each row: the WINDOW turns ending at that turn, over every conversation.
	const marks = [10, 100, 1000, 10_000].filter((m) => m <= TURNS);
	const sample = (end: number) => latencies.slice(Math.max(0, end - WINDOW), end).flat().sort((a, b) => a - b);
	const reference = sample(Math.min(WINDOW, TURNS));
	const rows = marks.map((end) => {
		const s = sample(end);
		const label = end === WINDOW ? `turns 1-${WINDOW} (reference)` : `turns ${end - WINDOW + 1}-${end}`;
		return [label, s.length, percentile(s, 0.5).toFixed(2), percentile(s, 0.99).toFixed(2), (percentile(s, 0.5) / percentile(reference, 0.5)).toFixed(2), (percentile(s, 0.99) / percentile(reference, 0.99)).toFixed(2)];
	});
	console.log(`\nturn-growth (turns=${TURNS} per conversation, conversations=${CONVERSATIONS}, one client)\n`);
	console.log(table(['turns', 'samples', 'p50 ms', 'p99 ms', 'p50 ratio', 'p99 ratio'], rows));
	console.log(`\nserver RSS at the end: ${rssMb.toFixed(0)} MB`);
	const last = sample(marks[marks.length - 1]);
	console.log(`ratio: ${(percentile(last, 0.5) / percentile(reference, 0.5)).toFixed(3)} of the reference's p50 at turn ${marks[marks.length - 1]}`);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});

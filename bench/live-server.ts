// The server side of bench/live-connections.ts, in its own process: the agent server (offline engine, SQLite) with
// a widget key, limits raised for one client address. Prints {url, key} as one JSON line; answers 'rss' over IPC
// with its resident memory after a full garbage collection.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../agent-server/src/app';
import { loadAgents } from '../agent-server/src/agents/agent-files';

const CONNECTIONS = Number(process.argv[2] ?? 1000);
const API_KEY = 'ab_bench_key_0123456789abcdef';

async function main() {
	const dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-live-bench-'));
	const many = CONNECTIONS * 10 + 100;
	const app = await buildApp({
		sqliteFile: path.join(dir, 'bench.db'),
		apiKey: API_KEY,
		agents: loadAgents(),
		relay: { enabled: false },
		rateLimitPerMinute: 0,
		conversations: { sweepIntervalMs: 0 },
		retentionSweepIntervalMs: 0,
		// Every visitor of the bench comes from one address: the per-address limits would count them as one.
		web: { rateLimit: { messages: many, polls: many }, sessionsPerKeyPerHour: many },
		live: { connectionsPerWorkspace: CONNECTIONS + 10 },
	});
	const url = await app.listen({ port: 0, host: '127.0.0.1' });
	const key = (await app.inject({ method: 'POST', url: '/v1/widget-keys', headers: { authorization: `Bearer ${API_KEY}` }, payload: { allowedOrigins: ['http://bench.example'] } })).json().key;
	process.on('message', (message) => {
		if (message !== 'rss') return;
		global.gc?.();
		global.gc?.();
		process.send?.({ rss: process.memoryUsage().rss, connections: app.agentBridge.live.count() });
	});
	process.on('disconnect', () => void app.close().then(() => process.exit(0)));
	console.log(JSON.stringify({ url, key, apiKey: API_KEY }));
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});

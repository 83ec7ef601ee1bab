// Figure: chat turns per second through the agent server (offline engine, SQLite file, one transaction per turn),
// as a ratio of a bare Fastify JSON route on the same machine in the same run (the HTTP floor).
// Run: npx tsx bench/chat-turns.ts [turns=2000] [concurrency=10]
import Fastify from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../agent-server/src/app';
import { measure, report } from './measure';
import { benchAgents } from './agents';

const TURNS = Number(process.argv[2] ?? 2000);
const CONCURRENCY = Number(process.argv[3] ?? 10);
const API_KEY = 'ab_bench_key_0123456789abcdef';

async function main() {
	const dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-bench-'));
	const app = await buildApp({
		sqliteFile: path.join(dir, 'bench.db'),
		apiKey: API_KEY,
		relay: { enabled: false },
		rateLimitPerMinute: 0,
		agents: benchAgents(),
	});
	const appUrl = await app.listen({ port: 0, host: '127.0.0.1' });

	const bare = Fastify();
	bare.post('/v1/chat', async (request) => ({ reply: { text: 'ok' }, echo: request.body }));
	const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

	const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
	const messages = [
		"Hi, I'm Dana and I need a new website",
		"Our budget is $25,000 and we'd like to launch within 1 month",
		'So, what happens next?',
	];
	// Each worker holds conversations of three turns, the shape of a lead qualification chat.
	const chatTurn = async (i: number, state: { conversationId?: string }) => {
		const step = i % messages.length;
		if (step === 0) state.conversationId = undefined;
		const res = await fetch(`${appUrl}/v1/chat`, {
			method: 'POST',
			headers,
			body: JSON.stringify({ agentId: 'lead-qualifier', text: messages[step], ...(state.conversationId ? { conversationId: state.conversationId } : {}) }),
		});
		if (res.status !== 200) throw new Error(`chat answered ${res.status}: ${await res.text()}`);
		state.conversationId = ((await res.json()) as { conversation: { id: string } }).conversation.id;
	};
	const bareTurn = async (i: number) => {
		const res = await fetch(`${bareUrl}/v1/chat`, { method: 'POST', headers, body: JSON.stringify({ agentId: 'lead-qualifier', text: messages[i % 3] }) });
		await res.json();
	};

	const reference = await measure('bare Fastify JSON route', TURNS, CONCURRENCY, bareTurn);
	const subject = await measure('agent server chat turn', TURNS, CONCURRENCY, chatTurn);
	report('chat-turns', { turns: TURNS, concurrency: CONCURRENCY }, reference, subject);

	await app.close();
	await bare.close();
	rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});

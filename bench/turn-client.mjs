// The client loop of bench/turn-floor.ts, in its own process so it does not share the servers' event loop.
// Usage: node bench/turn-client.mjs <url> <apiKey> <turns> <concurrency>; prints one JSON line of results.
const [url, apiKey, turnsArg, concurrencyArg] = process.argv.slice(2);
const TURNS = Number(turnsArg);
const CONCURRENCY = Number(concurrencyArg);
const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
const messages = ["Hi, I'm Dana and I need a new website", "Our budget is $25,000 and we'd like to launch within 1 month", 'So, what happens next?'];

async function turn(i, state) {
	const step = i % messages.length;
	if (step === 0) state.conversationId = undefined;
	const res = await fetch(`${url}/v1/chat`, {
		method: 'POST',
		headers,
		body: JSON.stringify({ agentId: 'lead-qualifier', text: messages[step], ...(state.conversationId ? { conversationId: state.conversationId } : {}) }),
	});
	if (res.status !== 200) throw new Error(`chat answered ${res.status}: ${await res.text()}`);
	state.conversationId = (await res.json()).conversation.id;
}

async function loop(total) {
	const latencies = [];
	let next = 0;
	const started = process.hrtime.bigint();
	await Promise.all(
		Array.from({ length: CONCURRENCY }, async () => {
			const state = {};
			let local = 0;
			while (next < total) {
				next++;
				const t0 = process.hrtime.bigint();
				await turn(local++, state);
				latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
			}
		}),
	);
	return { latencies: latencies.sort((a, b) => a - b), seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

await loop(Math.min(150, TURNS)); // warm-up, the same for both servers
const { latencies, seconds } = await loop(TURNS);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))];
process.stdout.write(`${JSON.stringify({ opsPerSecond: TURNS / seconds, p50Ms: at(0.5), p99Ms: at(0.99) })}\n`);

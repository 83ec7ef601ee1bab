// Figure: signed webhook deliveries per second from the outbox relay (claim with a lease, sign, POST, mark
// delivered: one database round trip each way per event), as a ratio of a plain loop that signs and POSTs the same
// bodies with the same number in flight and keeps no records (the network and signing floor). Then commit-to-receipt
// latency under a steady stream of events (tags added through the API at a fixed rate while the relay runs): from
// the event row's created_at (taken in the transaction that commits it) to the receiver getting the delivery;
// reference: the plain loop's own POST latency.
// Run: npx tsx bench/delivery.ts [events=2000] [stream events=1000] [stream rate per second=100]
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../agent-server/src/app';
import { signPayload } from '../agent-server/src/delivery/signing';
import { TAGS_PER_CONTACT } from '../agent-server/src/limits';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { Measurement } from './measure';
import { msSince, percentile, report, table } from './measure';

const EVENTS = Number(process.argv[2] ?? 2000);
const STREAM = Number(process.argv[3] ?? 1000);
const STREAM_RATE = Number(process.argv[4] ?? 100);
const IN_FLIGHT = 4; // the relay's default per destination
const API_KEY = 'ab_bench_key_0123456789abcdef';

async function startReceiver() {
	const seen = new Set<string>();
	const receivedAt = new Map<string, number>();
	let onCount: (() => void) | undefined;
	let target = Infinity;
	const server = http.createServer((req, res) => {
		req.resume();
		req.on('end', () => {
			seen.add(String(req.headers['webhook-id']));
			receivedAt.set(String(req.headers['webhook-id']), Date.now());
			res.writeHead(200).end();
			if (seen.size >= target) onCount?.();
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	const { port } = server.address() as { port: number };
	return {
		url: `http://127.0.0.1:${port}/hook`,
		seen,
		receivedAt,
		waitFor(count: number) {
			target = count;
			return new Promise<void>((resolve) => {
				onCount = resolve;
				if (seen.size >= count) resolve();
			});
		},
		close: () => new Promise<void>((r) => server.close(() => r())),
	};
}

/** CPU time (user + system) of this process, in ms. */
const cpuMs = () => {
	const { user, system } = process.cpuUsage();
	return (user + system) / 1000;
};

function measurement(name: string, seconds: number, rssBefore: number): Measurement {
	return { name, opsPerSecond: EVENTS / seconds, p50Ms: NaN, p95Ms: NaN, rssGrowthMb: (process.memoryUsage().rss - rssBefore) / 1024 / 1024 };
}

function call(app: FastifyInstance, method: 'POST' | 'GET', url: string, payload?: object) {
	return app.inject({ method, url, payload, headers: { authorization: `Bearer ${API_KEY}` } });
}

/** One contact.tag.added event; a contact holds at most TAGS_PER_CONTACT tags, so a new contact takes over when one is full. */
const contacts = new Map<number, Promise<string>>();
async function addTag(app: FastifyInstance, i: number): Promise<void> {
	const slot = Math.floor(i / TAGS_PER_CONTACT);
	if (!contacts.has(slot)) contacts.set(slot, call(app, 'POST', '/v1/contacts', { firstName: 'Bench' }).then((r) => r.json().id as string));
	const res = await call(app, 'POST', `/v1/contacts/${await contacts.get(slot)}/tags`, { tags: [`tag_${i}`] });
	if (res.statusCode !== 200) throw new Error(`adding a tag answered ${res.statusCode}: ${res.body}`);
}

async function main() {
	const dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-bench-'));
	const sqliteFile = path.join(dir, 'bench.db');
	const receiver = await startReceiver();

	// Fill the outbox with the relay off: one contact.tag.added event (and delivery) per tag.
	const filler = await buildApp({ sqliteFile, apiKey: API_KEY, relay: { enabled: false }, rateLimitPerMinute: 0 });
	const subscription = (await call(filler, 'POST', '/v1/subscriptions', { url: receiver.url, events: ['contact.tag.added'] })).json();
	for (let i = 0; i < EVENTS; i++) await addTag(filler, i);
	const bodies = (await filler.agentBridge.store.db.selectFrom('events').select(['id', 'envelope']).execute()).map((r) => r.envelope);
	await filler.close();
	if (bodies.length !== EVENTS) throw new Error(`expected ${EVENTS} events, got ${bodies.length}`);

	// Reference: sign and POST the same bodies, IN_FLIGHT at a time, no bookkeeping.
	const postLatencies: number[] = [];
	const referenceCpu = cpuMs();
	const reference = await (async () => {
		const rss = process.memoryUsage().rss;
		const t0 = process.hrtime.bigint();
		let next = 0;
		await Promise.all(
			Array.from({ length: IN_FLIGHT }, async () => {
				while (next < bodies.length) {
					const i = next++;
					const t = process.hrtime.bigint();
					const headers = signPayload(subscription.secret, `ref_${i}`, new Date(), bodies[i]);
					const res = await fetch(receiver.url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: bodies[i] });
					await res.arrayBuffer();
					postLatencies.push(msSince(t));
				}
			}),
		);
		return measurement('plain signed POST loop', Number(process.hrtime.bigint() - t0) / 1e9, rss);
	})();

	const referenceCpuPerEvent = (cpuMs() - referenceCpu) / EVENTS;

	// Subject: a server started on the filled database delivers everything through its relay.
	const subjectCpu = cpuMs();
	const rss = process.memoryUsage().rss;
	const t0 = process.hrtime.bigint();
	const relayApp = await buildApp({ sqliteFile, apiKey: API_KEY, relay: { maxInFlightPerUrl: IN_FLIGHT }, rateLimitPerMinute: 0 });
	await relayApp.ready();
	await receiver.waitFor(EVENTS * 2);
	const subject = measurement('outbox relay delivery', Number(process.hrtime.bigint() - t0) / 1e9, rss);

	const subjectCpuPerEvent = (cpuMs() - subjectCpu) / EVENTS;
	report('delivery', { events: EVENTS, inFlight: IN_FLIGHT }, reference, subject);
	// CPU time per event (sender and receiver share this process) holds up better than wall time on a busy machine.
	console.log(`CPU per event: plain loop ${referenceCpuPerEvent.toFixed(3)} ms, relay ${subjectCpuPerEvent.toFixed(3)} ms (ratio ${(referenceCpuPerEvent / subjectCpuPerEvent).toFixed(3)})`);

	// A steady stream: one tag added every 1/STREAM_RATE s through the API of the running server.
	const streamStart = process.hrtime.bigint();
	const adding: Promise<unknown>[] = [];
	for (let i = 0; i < STREAM; i++) {
		const due = (i * 1000) / STREAM_RATE - msSince(streamStart);
		if (due > 0) await sleep(due);
		adding.push(addTag(relayApp, EVENTS + i));
	}
	await Promise.all(adding);
	await receiver.waitFor(EVENTS * 2 + STREAM);
	const streamed = await relayApp.agentBridge.store.db
		.selectFrom('deliveries')
		.innerJoin('events', 'events.id', 'deliveries.event_id')
		.select(['deliveries.id as id', 'events.created_at as createdAt'])
		.orderBy('events.created_at', 'desc')
		.limit(STREAM)
		.execute();
	const latencies = streamed.map((d) => receiver.receivedAt.get(d.id)! - Date.parse(d.createdAt)).sort((a, b) => a - b);
	postLatencies.sort((a, b) => a - b);
	console.log(`\ncommit-to-receipt (stream of ${STREAM} events at ${STREAM_RATE}/s)\n`);
	console.log(
		table(
			['what', 'p50 ms', 'p99 ms'],
			[
				['plain signed POST, request to answer (reference)', percentile(postLatencies, 0.5).toFixed(1), percentile(postLatencies, 0.99).toFixed(1)],
				['outbox relay, event committed to received', percentile(latencies, 0.5).toFixed(1), percentile(latencies, 0.99).toFixed(1)],
			],
		),
	);
	await relayApp.close();
	await receiver.close();
	rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});

// Figure: signed webhook deliveries per second from the outbox relay (claim with a lease, sign, POST, mark
// delivered: one database round trip each way per event), as a ratio of a plain loop that signs and POSTs the same
// bodies with the same number in flight and keeps no records (the network and signing floor).
// Run: npx tsx bench/delivery.ts [events=2000]
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../agent-server/src/app';
import { signPayload } from '../agent-server/src/delivery/signing';
import { TAGS_PER_CONTACT } from '../agent-server/src/limits';
import type { Measurement } from './measure';
import { report } from './measure';

const EVENTS = Number(process.argv[2] ?? 2000);
const IN_FLIGHT = 4; // the relay's default per destination
const API_KEY = 'ab_bench_key_0123456789abcdef';

async function startReceiver() {
	const seen = new Set<string>();
	let onCount: (() => void) | undefined;
	let target = Infinity;
	const server = http.createServer((req, res) => {
		req.resume();
		req.on('end', () => {
			seen.add(String(req.headers['webhook-id']));
			res.writeHead(200).end();
			if (seen.size >= target) onCount?.();
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	const { port } = server.address() as { port: number };
	return {
		url: `http://127.0.0.1:${port}/hook`,
		seen,
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

function measurement(name: string, seconds: number, rssBefore: number): Measurement {
	return { name, opsPerSecond: EVENTS / seconds, p50Ms: NaN, p95Ms: NaN, rssGrowthMb: (process.memoryUsage().rss - rssBefore) / 1024 / 1024 };
}

async function main() {
	const dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-bench-'));
	const sqliteFile = path.join(dir, 'bench.db');
	const receiver = await startReceiver();

	// Fill the outbox with the relay off: one contact.tag.added event (and delivery) per tag.
	const filler = await buildApp({ sqliteFile, apiKey: API_KEY, relay: { enabled: false }, rateLimitPerMinute: 0 });
	const call = (method: 'POST' | 'GET', url: string, payload?: object) =>
		filler.inject({ method, url, payload, headers: { authorization: `Bearer ${API_KEY}` } });
	const subscription = (await call('POST', '/v1/subscriptions', { url: receiver.url, events: ['contact.tag.added'] })).json();
	// A contact holds at most TAGS_PER_CONTACT tags: a new contact takes over when one is full.
	let contact = { id: '' };
	for (let i = 0; i < EVENTS; i++) {
		if (i % TAGS_PER_CONTACT === 0) contact = (await call('POST', '/v1/contacts', { firstName: 'Bench' })).json();
		await call('POST', `/v1/contacts/${contact.id}/tags`, { tags: [`tag_${i}`] });
	}
	const bodies = (await filler.agentBridge.store.db.selectFrom('events').select(['id', 'envelope']).execute()).map((r) => r.envelope);
	await filler.close();
	if (bodies.length !== EVENTS) throw new Error(`expected ${EVENTS} events, got ${bodies.length}`);

	// Reference: sign and POST the same bodies, IN_FLIGHT at a time, no bookkeeping.
	const reference = await (async () => {
		const rss = process.memoryUsage().rss;
		const t0 = process.hrtime.bigint();
		let next = 0;
		await Promise.all(
			Array.from({ length: IN_FLIGHT }, async () => {
				while (next < bodies.length) {
					const i = next++;
					const headers = signPayload(subscription.secret, `ref_${i}`, new Date(), bodies[i]);
					const res = await fetch(receiver.url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: bodies[i] });
					await res.arrayBuffer();
				}
			}),
		);
		return measurement('plain signed POST loop', Number(process.hrtime.bigint() - t0) / 1e9, rss);
	})();

	// Subject: a server started on the filled database delivers everything through its relay.
	const rss = process.memoryUsage().rss;
	const t0 = process.hrtime.bigint();
	const relayApp = await buildApp({ sqliteFile, apiKey: API_KEY, relay: { maxInFlightPerUrl: IN_FLIGHT }, rateLimitPerMinute: 0 });
	await relayApp.ready();
	await receiver.waitFor(EVENTS * 2);
	const subject = measurement('outbox relay delivery', Number(process.hrtime.bigint() - t0) / 1e9, rss);

	report('delivery', { events: EVENTS, inFlight: IN_FLIGHT }, reference, subject);
	await relayApp.close();
	await receiver.close();
	rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});

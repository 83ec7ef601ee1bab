// Several server instances on one PostgreSQL database share the outbox: every event reaches the receiver exactly
// once (by webhook-id), and both relays take part. PostgreSQL only; skipped when unreachable, except under CI.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { dropPgSchema } from '../store/database';
import { buildTestApp, startReceiver, waitUntil, type Receiver, type TestApp } from '../testing/harness';

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const EVENTS = 200;

function pgReachable(): boolean {
	const probe = `const {Client}=require('pg');const c=new Client({connectionString:process.argv[1],connectionTimeoutMillis:3000});c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1));`;
	return spawnSync(process.execPath, ['-e', probe, PG_URL], { timeout: 8000, cwd: __dirname }).status === 0;
}

/** Collects the delivery ids an instance's relay recorded as delivered, from its own log. */
function deliveredLog() {
	const ids: string[] = [];
	const stream = new Writable({
		write(chunk: Buffer, _encoding, done) {
			for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
				const entry = JSON.parse(line) as { msg?: string; status?: string; deliveryId?: string };
				if (entry.msg === 'webhook delivery attempt' && entry.status === 'delivered' && entry.deliveryId) ids.push(entry.deliveryId);
			}
			done();
		},
	});
	return { ids, logger: { level: 'info', stream } };
}

(process.env.CI || pgReachable() ? describe : describe.skip)('two instances on one PostgreSQL database', () => {
	const pgSchema = `test_multi_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
	const logs = [deliveredLog(), deliveredLog()];
	let instances: TestApp[] = [];
	let receiver: Receiver;

	beforeAll(async () => {
		receiver = await startReceiver();
		// One after the other: the first creates the schema and the workspace, the second finds them.
		for (const log of logs) {
			instances.push(
				await buildTestApp({
					databaseUrl: PG_URL,
					pgSchema,
					logger: log.logger,
					relay: { pollIntervalMs: 20, batchSize: 10, retryScheduleMs: [0, 50, 50, 50] },
				}),
			);
		}
	});
	afterAll(async () => {
		for (const t of instances) await t.close();
		instances = [];
		await receiver?.close();
		await dropPgSchema(PG_URL, pgSchema);
	});

	it(`delivers ${EVENTS} events written through both instances exactly once`, async () => {
		const [a, b] = instances;
		const sub = await a.call('POST', '/v1/subscriptions', { url: receiver.url, events: ['agent.action.triggered'] });
		expect(sub.statusCode).toBe(201);

		// Each chat starts a conversation and fires one action: one event, one delivery. Alternate instances, a few at once.
		for (let i = 0; i < EVENTS; i += 10) {
			const batch = Array.from({ length: 10 }, (_, j) => (i + j) % 2 === 0 ? a : b);
			const results = await Promise.all(batch.map((t) => t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' })));
			expect(results.map((r) => r.statusCode)).toEqual(batch.map(() => 200));
		}

		const db = a.app.agentBridge.store.db;
		const counts = async () => (await a.call('GET', '/v1/deliveries/summary')).json() as { events: number; deliveries: number; delivered: number };
		await waitUntil(async () => (await counts()).delivered === EVENTS, 30_000, `${EVENTS} deliveries delivered`);
		// Give a late duplicate the chance to show up before counting.
		await new Promise((r) => setTimeout(r, 300));

		expect(await counts()).toMatchObject({ events: EVENTS, deliveries: EVENTS, pending: 0, delivered: EVENTS, failed: 0 });
		const ids = receiver.received.map((r) => r.headers['webhook-id'] as string);
		expect(ids).toHaveLength(EVENTS);
		expect(new Set(ids).size).toBe(EVENTS);
		const rows = await db.selectFrom('deliveries').select(['id', 'status', 'attempts']).execute();
		expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ids));
		expect(rows.every((r) => r.status === 'delivered' && Number(r.attempts) === 1)).toBe(true);

		// Each delivery was recorded by exactly one instance, and both did part of the work.
		const [byA, byB] = logs.map((l) => l.ids);
		expect(byA.length + byB.length).toBe(EVENTS);
		expect(new Set([...byA, ...byB]).size).toBe(EVENTS);
		expect(byA.length).toBeGreaterThan(0);
		expect(byB.length).toBeGreaterThan(0);
	}, 60_000);

	it('splits a backlog between two relays claiming at the same moment, each delivery sent once', async () => {
		const schema = `${pgSchema}_b`;
		const target = await startReceiver();
		const pair: TestApp[] = [];
		try {
			for (const log of [deliveredLog(), deliveredLog()]) {
				pair.push(await buildTestApp({ databaseUrl: PG_URL, pgSchema: schema, logger: log.logger, relay: { enabled: false, batchSize: 7 } }));
			}
			const [a, b] = pair;
			await a.call('POST', '/v1/subscriptions', { url: target.url, events: ['agent.action.triggered'] });
			for (let i = 0; i < EVENTS; i += 20) {
				await Promise.all(Array.from({ length: 20 }, (_, j) => ((i + j) % 2 === 0 ? a : b).call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' })));
			}
			// Both relays claim from the same due backlog at once, pass after pass, until it is empty.
			const sent = [0, 0];
			for (;;) {
				const [na, nb] = await Promise.all(pair.map((t) => t.app.agentBridge.relay.runOnce()));
				sent[0] += na;
				sent[1] += nb;
				if (na + nb === 0) break;
			}
			const ids = target.received.map((r) => r.headers['webhook-id'] as string);
			expect(ids).toHaveLength(EVENTS);
			expect(new Set(ids).size).toBe(EVENTS);
			expect(sent[0] + sent[1]).toBe(EVENTS);
			expect(sent[0]).toBeGreaterThan(0);
			expect(sent[1]).toBeGreaterThan(0);
			expect((await a.call('GET', '/v1/deliveries/summary')).json()).toMatchObject({ deliveries: EVENTS, delivered: EVENTS, pending: 0, failed: 0 });
		} finally {
			for (const t of pair) await t.close();
			await target.close();
			await dropPgSchema(PG_URL, schema);
		}
	}, 60_000);
});

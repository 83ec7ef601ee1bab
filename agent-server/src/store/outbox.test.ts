// Delivery bookkeeping (counts, replay, subscription health) and Idempotency-Key storage on SQLite and PostgreSQL.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { buildTestApp, type TestApp } from '../testing/harness';
import { dropPgSchema } from './database';
import {
	claimDueDeliveries,
	claimDueProbes,
	deliveryCounts,
	finishAttempt,
	finishProbe,
	recordSubscriptionHealth,
	releaseDeliveries,
	replayDeliveries,
	retryDeliveryNow,
	scheduleProbe,
	subscriptionHealth,
} from './outbox';

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function pgReachable(): boolean {
	const probe = `const {Client}=require('pg');const c=new Client({connectionString:process.argv[1],connectionTimeoutMillis:3000});c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1));`;
	return spawnSync(process.execPath, ['-e', probe, PG_URL], { timeout: 8000, cwd: __dirname }).status === 0;
}

const pgSchema = `test_dlv_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
const targets: [string, Parameters<typeof buildTestApp>[0], boolean][] = [
	['sqlite', {}, true],
	['postgres', { databaseUrl: PG_URL, pgSchema }, !!process.env.CI || pgReachable()],
];

for (const [name, options, enabled] of targets) {
	(enabled ? describe : describe.skip)(`delivery bookkeeping on ${name}`, () => {
		let t: TestApp;
		beforeAll(async () => {
			t = await buildTestApp(options);
		});
		afterAll(async () => {
			await t.close();
			if (name === 'postgres') await dropPgSchema(PG_URL, pgSchema);
		});
		const db = () => t.app.agentBridge.store.db;

		it('counts, replays and keeps health', async () => {
			const ws = (await t.call('GET', '/v1/workspace')).json().id as string;
			const sub = (await t.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/x', events: ['agent.action.triggered'] })).json();
			await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' });
			await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:booked' });
			expect(await deliveryCounts(db(), ws)).toEqual({ events: 2, deliveries: 2, pending: 2, delivered: 0, failed: 0 });

			const claimed = await claimDueDeliveries(db(), { now: new Date(), leaseMs: 1000, limit: 10, capacity: () => 10 });
			const at = new Date().toISOString();
			await finishAttempt(db(), claimed[0], { status: 'failed', attempts: 1, nextAttemptAt: at, error: 'HTTP 500', statusCode: 500 });
			await finishAttempt(db(), claimed[1], { status: 'delivered', attempts: 1, nextAttemptAt: at, error: null, statusCode: 200 });
			expect(await deliveryCounts(db(), ws)).toMatchObject({ pending: 0, delivered: 1, failed: 1 });

			expect(await recordSubscriptionHealth(db(), sub.id, { ok: false, error: 'HTTP 500', at: new Date(), markFailingAfterMs: 60_000 })).toBe(false);
			expect(await recordSubscriptionHealth(db(), sub.id, { ok: false, error: 'HTTP 503', at: new Date(Date.now() + 61_000), markFailingAfterMs: 60_000 })).toBe(true);
			expect((await subscriptionHealth(db(), ws)).get(sub.id)).toMatchObject({ status: 'failing', consecutiveFailures: 2, lastFailure: 'HTTP 503', failed: 1 });

			const replay = await replayDeliveries(db(), ws, { subscriptionId: sub.id, includeDelivered: true });
			expect(replay.reopened).toEqual([claimed[0].id]);
			expect(replay.resent).toHaveLength(1);
			expect(await deliveryCounts(db(), ws)).toEqual({ events: 2, deliveries: 3, pending: 2, delivered: 1, failed: 0 });

			await recordSubscriptionHealth(db(), sub.id, { ok: true, error: null, at: new Date(), markFailingAfterMs: 60_000 });
			expect((await subscriptionHealth(db(), ws)).get(sub.id)).toMatchObject({ status: 'healthy', consecutiveFailures: 0 });
		});

		it('lets one of several concurrent claimers probe a destination, and fences a late probe result', async () => {
			const sub = (await t.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/probe', events: ['agent.action.triggered'] })).json();
			await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' });
			const now = new Date();
			await scheduleProbe(db(), [sub.id], new Date(now.getTime() - 1000));
			const claims = await Promise.all(Array.from({ length: 4 }, () => claimDueProbes(db(), { now, leaseMs: 10_000, limit: 10 })));
			const mine = claims.flat().filter((p) => p.subscriptionId === sub.id);
			expect(mine).toHaveLength(1);
			// A probe that lost its lease (the probe was rescheduled meanwhile) records nothing.
			await db().updateTable('subscriptions').set({ probe_at: now.toISOString() }).where('id', '=', sub.id).execute();
			expect(await finishProbe(db(), mine[0], { nextProbeAt: null, probeFailures: 9 })).toBe(false);
			expect((await subscriptionHealth(db(), (await t.call('GET', '/v1/workspace')).json().id)).get(sub.id)?.nextProbeAt).toBe(now.toISOString());
			// scheduleProbe only brings a probe forward.
			await scheduleProbe(db(), [sub.id], new Date(now.getTime() + 60_000));
			expect((await db().selectFrom('subscriptions').select('probe_at').where('id', '=', sub.id).executeTakeFirstOrThrow()).probe_at).toBe(now.toISOString());
		});

		it('releases a waiting delivery once when signals and retry-now race, and never one in flight', async () => {
			const ws = (await t.call('GET', '/v1/workspace')).json().id as string;
			const sub = (await t.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/race', events: ['agent.action.triggered'] })).json();
			await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' });
			const [claimed] = (await claimDueDeliveries(db(), { now: new Date(), leaseMs: 60_000, limit: 100, capacity: () => 100 })).filter((d) => d.subscriptionId === sub.id);
			expect(await retryDeliveryNow(db(), ws, claimed.id, new Date())).toBe('in-flight');
			const later = new Date(Date.now() + 60_000).toISOString();
			await finishAttempt(db(), claimed, { status: 'pending', attempts: 1, nextAttemptAt: later, error: 'HTTP 503', statusCode: 503 });
			const now = new Date();
			const results = await Promise.all([
				releaseDeliveries(db(), ws, { subscriptionIds: [sub.id], reason: 'subscription-checked', now }),
				releaseDeliveries(db(), ws, { subscriptionIds: [sub.id], reason: 'probe', now }),
				retryDeliveryNow(db(), ws, claimed.id, now),
			]);
			const released = [...results[0], ...results[1]].length + (results[2] === 'brought-forward' ? 1 : 0);
			expect(released).toBe(1);
			const row = await db().selectFrom('deliveries').selectAll().where('id', '=', claimed.id).executeTakeFirstOrThrow();
			expect(row).toMatchObject({ status: 'pending', next_attempt_at: now.toISOString() });
		});

		it('stores and replays an Idempotency-Key reply', async () => {
			const body = { agentId: 'test-agent', text: 'fire:lead_scoring' };
			const first = await t.call('POST', '/v1/chat', body, { 'idempotency-key': `k-${name}` });
			const retry = await t.call('POST', '/v1/chat', body, { 'idempotency-key': `k-${name}` });
			expect(retry.headers['idempotent-replayed']).toBe('true');
			expect(retry.json()).toEqual(first.json());
		});
	});
}

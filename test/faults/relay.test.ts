// Faults between the relay and n8n, with the server in this process and the real trigger logic as receiver.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { signPayload } from '../../agent-server/src/delivery/signing';
import type { RelayOptions } from '../../agent-server/src/delivery/relay';
import { buildTestApp, waitUntil, type TestApp } from '../../agent-server/src/testing/harness';
import { assertInvariant, formatInvariant, type InvariantLine } from './support/invariant';
import { startNodeReceiver, type NodeReceiver } from './support/node-receiver';

jest.setTimeout(30_000);

const FAST: RelayOptions = { retryScheduleMs: [0, 50, 100, 150, 200], pollIntervalMs: 20, attemptTimeoutMs: 1_000 };

describe('delivery faults (relay to n8n)', () => {
	const lines: InvariantLine[] = [];
	let t: TestApp | undefined;
	let receiver: NodeReceiver | undefined;

	afterEach(async () => {
		await t?.close();
		await receiver?.close().catch(() => undefined);
		t = undefined;
		receiver = undefined;
	});
	afterAll(() => process.stdout.write(formatInvariant(lines)));

	async function setup(relay: RelayOptions = FAST, events = ['agent.action.triggered']) {
		receiver = await startNodeReceiver();
		t = await buildTestApp({ relay: { ...FAST, ...relay } });
		const sub = (await t.call('POST', '/v1/subscriptions', { url: receiver.url, events })).json();
		receiver.useSubscription(sub, async (method, path, body) => {
			const res = await t!.call(method as 'POST', path, body);
			return { statusCode: res.statusCode, body: res.json() };
		});
		return { t, receiver, sub: sub as { id: string; secret: string } };
	}

	/** Three action events in one conversation. */
	async function fireThree(app: TestApp) {
		const first = (await app.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' })).json();
		await app.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:booked', conversationId: first.conversation.id });
		await app.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' });
	}

	const summary = async (app: TestApp) => (await app.call('GET', '/v1/deliveries/summary')).json();
	const deliveries = async (app: TestApp) => (await app.call('GET', '/v1/deliveries')).json().data;
	const settled = (app: TestApp, delivered: number) => waitUntil(async () => (await summary(app)).delivered === delivered, 15_000, `${delivered} delivered`);

	async function check(scenario: string, app: TestApp, r: NodeReceiver) {
		lines.push(assertInvariant(scenario, await summary(app), await deliveries(app), r));
	}

	it('receiver down: retries until it is back; past the schedule kept as failed, then replayed', async () => {
		const { t, receiver } = await setup();
		await receiver.down();
		await fireThree(t);
		await waitUntil(async () => (await summary(t)).failed === 3, 15_000, 'all failed');
		const failed = (await t.call('GET', '/v1/deliveries?status=failed')).json().data;
		expect(failed.every((d: { lastError: string; attempts: number }) => d.lastError === 'ECONNREFUSED' && d.attempts === 5)).toBe(true);
		await receiver.up();
		expect((await t.call('POST', '/v1/deliveries/replay', { since: new Date(0).toISOString() })).json().replayed).toBe(3);
		await settled(t, 3);
		await check('receiver down, failed, replayed', t, receiver);
	});

	it('receiver down for a while, then back inside the schedule', async () => {
		const { t, receiver } = await setup({ retryScheduleMs: [0, 100, 200, 400, 800] });
		await receiver.down();
		await fireThree(t);
		await new Promise((r) => setTimeout(r, 150));
		await receiver.up();
		await settled(t, 3);
		await check('receiver down, back within the schedule', t, receiver);
	});

	it('receiver answering 503 (with Retry-After), then 200', async () => {
		const { t, receiver } = await setup();
		receiver.behave((i) => (i < 6 ? { kind: 'status', status: 503, retryAfter: '0' } : { kind: 'node' }));
		await fireThree(t);
		await settled(t, 3);
		expect(receiver.answers.filter((s) => s === 503)).toHaveLength(6);
		await check('503 then 200', t, receiver);
	});

	it('receiver answering 404 while n8n restarts, then 200', async () => {
		const { t, receiver } = await setup();
		receiver.behave((i) => (i < 5 ? { kind: 'status', status: 404 } : { kind: 'node' }));
		await fireThree(t);
		await settled(t, 3);
		await check('404 then 200', t, receiver);
	});

	it('n8n restart (refused, then 404 while it starts, then up): the probe resumes the deliveries long before the schedule', async () => {
		const scheduleMs = 60_000;
		const { t, receiver } = await setup({ retryScheduleMs: [0, scheduleMs, scheduleMs], probe: { baseMs: 50, maxMs: 200 } });
		await receiver.down();
		await fireThree(t);
		await waitUntil(async () => (await deliveries(t)).every((d: { attempts: number }) => d.attempts === 1), 15_000, 'first attempts refused');
		await new Promise((r) => setTimeout(r, 300));
		// Listening again, but the workflows are not registered yet: deliveries and probes get 404.
		let starting = true;
		receiver.behave(() => (starting ? { kind: 'status', status: 404 } : { kind: 'node' }));
		await receiver.up();
		await waitUntil(() => receiver.probes.includes(404), 15_000, 'a probe answered 404');
		starting = false;
		const upAt = Date.now();
		await settled(t, 3);
		// Long before the schedule's next attempt.
		expect(Date.now() - upAt).toBeLessThan(scheduleMs / 6);
		expect(receiver.requests).toHaveLength(3);
		expect(receiver.probes.at(-1)).toBe(204);
		await check('n8n restart, resumed by the probe', t, receiver);
	});

	it('receiver hanging past the attempt timeout: retried with the same webhook-id, run once', async () => {
		const { t, receiver } = await setup({ attemptTimeoutMs: 200 });
		// The workflow starts, but the answer comes after the relay gave up: the retry must not start it again.
		receiver.behave((i) => (i < 3 ? { kind: 'slow', delayMs: 600 } : { kind: 'node' }));
		await fireThree(t);
		await settled(t, 3);
		// Let the late answers arrive so the count of dropped duplicates is final.
		await waitUntil(async () => receiver.answers.length === receiver.requests.length, 15_000, 'late answers');
		const timedOut = (await deliveries(t)).filter((d: { attempts: number }) => d.attempts > 1);
		expect(timedOut.length).toBeGreaterThan(0);
		await check('hanging past the timeout', t, receiver);
	});

	it('duplicate delivery, replay of an old signed request, tampered body and wrong secret', async () => {
		const { t, receiver, sub } = await setup();
		await fireThree(t);
		await settled(t, 3);
		const original = receiver.requests[0];
		// The same request again (a network retry): acknowledged, not run again.
		expect(await receiver.inject(original)).toBe(200);
		// The same event signed 10 minutes ago (a captured request replayed later): refused.
		const old = signPayload(sub.secret, original.headers['webhook-id'], new Date(Date.now() - 600_000), original.body);
		expect(await receiver.inject({ headers: { ...original.headers, ...old }, body: original.body })).toBe(401);
		// A changed body under the original signature: refused.
		expect(await receiver.inject({ headers: original.headers, body: original.body.replace('"version":1', '"version":2') })).toBe(401);
		// Signed with another secret: refused.
		const forged = signPayload('whsec_' + Buffer.from('another-secret-of-24-bytes!').toString('base64'), 'dlv_forged', new Date(), original.body);
		expect(await receiver.inject({ headers: { ...original.headers, ...forged }, body: original.body })).toBe(401);
		expect(receiver.executions.has('dlv_forged')).toBe(false);
		await check('duplicate, old replay, tampered, wrong secret', t, receiver);
	});

	it('database locked by another process while events are queued and sent', async () => {
		const { t, receiver } = await setup();
		receiver.behave(() => ({ kind: 'slow', delayMs: 100 }));
		await fireThree(t);
		// Another process holds the write lock for a while (under the busy timeout); writers wait, nothing is lost.
		const file = path.join(t.dir, 'test.db');
		const holder = spawn(process.execPath, ['-e', lockScript(file, 1_500)], { stdio: ['ignore', 'pipe', 'inherit'] });
		await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
		const during = t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:booked' });
		const exited = new Promise((resolve) => holder.once('exit', resolve));
		expect((await during).statusCode).toBe(200);
		await exited;
		await settled(t, 4);
		await check('database locked', t, receiver);
	});

	it('a burst ten times the normal rate queues behind the in-flight limit and loses nothing', async () => {
		const { t, receiver } = await setup({ maxInFlightPerUrl: 4 }, ['contact.tag.added']);
		receiver.behave(() => ({ kind: 'slow', delayMs: 15 }));
		const chat = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' })).json();
		const other = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' })).json();
		// n8n on two cores runs about 16 workflows a second: 160 events arrive within well under a second
		// (two contacts: one holds at most 100 tags).
		const tags = Array.from({ length: 160 }, (_, i) => `burst_${i}`);
		expect((await t.call('POST', `/v1/contacts/${chat.contact.id}/tags`, { tags: tags.slice(0, 80) })).statusCode).toBe(200);
		expect((await t.call('POST', `/v1/contacts/${other.contact.id}/tags`, { tags: tags.slice(80) })).statusCode).toBe(200);
		await settled(t, 160);
		// The queue reached the limit and never went past it.
		expect(receiver.maxConcurrent()).toBe(4);
		await check('burst of 160 events', t, receiver);
	});
});

/** A child process that takes SQLite's write lock, says so, holds it, and lets go. */
function lockScript(file: string, holdMs: number): string {
	const driver = require.resolve('better-sqlite3');
	return `
		const Db = require(${JSON.stringify(driver)});
		const db = new Db(${JSON.stringify(file)});
		db.exec('BEGIN EXCLUSIVE');
		process.stdout.write('locked\\n');
		setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${holdMs});
	`;
}

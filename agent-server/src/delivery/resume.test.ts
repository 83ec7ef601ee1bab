// Resuming after an outage: each sign that a destination is back releases its pending deliveries at once, a
// destination that looks down is probed on a short capped jittered backoff, and retry-now brings a delivery forward.
import { useRelayApp, waitUntil } from '../testing/harness';
import { DEFAULT_PROBE, jitteredDelayMs, probeDelayMs, SIGNAL_MIN_IDLE_MS } from './resume';


// A schedule whose second attempt is a minute away: anything sooner was brought forward.
const LONG = [0, 60_000, 60_000];
// No probe within a test unless one asks for it.
const NO_PROBE = { baseMs: 600_000, maxMs: 600_000 };

describe('retry and probe delays', () => {
	it('never retries sooner than the schedule, and spreads retries over up to a fifth more', () => {
		expect(jitteredDelayMs(300_000, 0.2, () => 0)).toBe(300_000);
		expect(jitteredDelayMs(300_000, 0.2, () => 0.999)).toBe(359_940);
		const spread = new Set(Array.from({ length: 50 }, () => jitteredDelayMs(300_000, 0.2)));
		expect(spread.size).toBeGreaterThan(40);
		for (const d of spread) expect(d).toBeGreaterThanOrEqual(300_000);
	});

	it('probes after about a second, doubling, capped at 10 s, each wait jittered between half and all of its ceiling', () => {
		expect([0, 1, 2, 3, 4, 5, 40].map((n) => probeDelayMs(n, DEFAULT_PROBE, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
		expect(probeDelayMs(10, DEFAULT_PROBE, () => 0)).toBe(5_000);
		const capped = Array.from({ length: 50 }, () => probeDelayMs(20, DEFAULT_PROBE));
		expect(new Set(capped).size).toBeGreaterThan(40);
		for (const d of capped) {
			expect(d).toBeGreaterThanOrEqual(5_000);
			expect(d).toBeLessThanOrEqual(10_000);
		}
		// An operator's cap of a minute.
		expect(probeDelayMs(30, { ...DEFAULT_PROBE, maxMs: 60_000 }, () => 1)).toBe(60_000);
	});
});

describe('resuming deliveries when a destination is back', () => {
	const s = useRelayApp();
	let status = 500;

	async function start(relay: Record<string, unknown> = {}) {
		status = 500;
		await s.start(() => status, { relay: { retryScheduleMs: LONG, probe: NO_PROBE, ...relay } });
	}
	const subscribe = async (path = '') =>
		(await s.t.call('POST', '/v1/subscriptions', { url: s.receiver.url + path, events: ['agent.action.triggered'] })).json() as { id: string };
	const fire = async () => (await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' })).json();
	const list = async (query = '') => (await s.t.call('GET', `/v1/deliveries${query}`)).json().data as any[];
	const deliveryTimeline = async (conversationId: string) =>
		(await s.t.call('GET', `/v1/conversations/${conversationId}`)).json().timeline.filter((e: { kind: string }) => e.kind === 'delivery').map((e: { detail: any }) => e.detail);

	/** The conversation's delivery entries once one says delivered (the timeline is written just after the row). */
	async function deliveredTimeline(conversationId: string) {
		await waitUntil(async () => (await deliveryTimeline(conversationId)).some((e: any) => e.status === 'delivered'), 20_000, 'the delivered entry');
		return deliveryTimeline(conversationId);
	}

	/** Fires one event, lets its first attempt fail, and waits until a signal may release it. */
	async function failedOnce(subscriptionId?: string) {
		const chat = await fire();
		await waitUntil(async () => (await list(`?status=pending${subscriptionId ? `&subscriptionId=${subscriptionId}` : ''}`)).some((d) => d.attempts === 1), 20_000, 'a failed first attempt');
		await new Promise((r) => setTimeout(r, SIGNAL_MIN_IDLE_MS + 100));
		return chat;
	}

	it('says when a failed delivery is tried next and why, on the delivery and on the timeline, with jitter', async () => {
		await start();
		await subscribe();
		const chat = await fire();
		await waitUntil(async () => (await list('?status=pending')).some((d) => d.attempts === 1));
		const [d] = await list();
		expect(d).toMatchObject({ status: 'pending', attempts: 1, nextAttemptReason: 'schedule', inFlight: false, lastError: 'HTTP 500' });
		const wait = Date.parse(d.nextAttemptAt) - Date.parse(d.updatedAt);
		expect(wait).toBeGreaterThanOrEqual(60_000);
		expect(wait).toBeLessThanOrEqual(72_000 + 50);
		await waitUntil(async () => (await deliveryTimeline(chat.conversation.id)).length === 1, 20_000, 'the timeline entry');
		const [entry] = await deliveryTimeline(chat.conversation.id);
		expect(entry).toMatchObject({ status: 'retrying', nextAttemptAt: d.nextAttemptAt, nextAttemptReason: 'schedule' });
		expect(entry.nextAttemptWhy).toMatch(/retry schedule, attempt 2 of 3/);
	});

	it("releases a subscription's pending deliveries when n8n checks it (the trigger's checkExists)", async () => {
		await start();
		const sub = await subscribe();
		const chat = await failedOnce();
		status = 200;
		expect((await s.t.call('GET', `/v1/subscriptions/${sub.id}`)).statusCode).toBe(200);
		await waitUntil(async () => (await list('?status=delivered')).length === 1, 20_000, 'the released delivery');
		const entries = await deliveredTimeline(chat.conversation.id);
		expect(entries.at(-1)).toMatchObject({ status: 'delivered', attempt: 2 });
		expect(entries.at(-1).attemptedEarly).toMatch(/n8n checked or created its subscription/);
	});

	it('probes the failing webhooks of the same n8n when n8n creates a subscription there, and releases those that answer', async () => {
		await start();
		await subscribe('/a');
		await failedOnce();
		status = 200;
		await subscribe('/b');
		await waitUntil(async () => (await list('?status=delivered')).length === 1, 20_000, 'the released delivery');
		expect(s.receiver.probes.map((p) => p.url)).toEqual(['/webhook/a']);
		expect((await list())[0]).toMatchObject({ attempts: 2 });
	});

	it("probes the workspace's failing destinations when n8n tests the credential", async () => {
		await start();
		await subscribe();
		await failedOnce();
		status = 200;
		expect((await s.t.call('GET', '/v1/workspace')).statusCode).toBe(200);
		await waitUntil(async () => (await list('?status=delivered')).length === 1, 20_000, 'the released delivery');
		expect(s.receiver.probes).toHaveLength(1);
	});

	it('repeated signals cannot hammer a destination: no release right after an attempt, no probe right after a probe', async () => {
		await start();
		const sub = await subscribe();
		await fire();
		await waitUntil(async () => (await list()).some((d) => d.attempts === 1));
		status = 200;
		// Attempted less than 2 s ago: n8n checking the subscription does not send it again yet.
		await s.t.call('GET', `/v1/subscriptions/${sub.id}`);
		await new Promise((r) => setTimeout(r, 300));
		expect((await list())[0]).toMatchObject({ attempts: 1, nextAttemptReason: 'schedule' });
		// Five credential tests in a row: one probe.
		status = 500;
		for (let i = 0; i < 5; i++) await s.t.call('GET', '/v1/workspace');
		await waitUntil(() => s.receiver.probes.length === 1, 20_000, 'the probe');
		for (let i = 0; i < 5; i++) await s.t.call('GET', '/v1/workspace');
		await new Promise((r) => setTimeout(r, 500));
		expect(s.receiver.probes).toHaveLength(1);
		expect(s.receiver.received).toHaveLength(1);
	});

	it('a probe that still finds the destination down releases nothing', async () => {
		await start();
		await subscribe();
		await failedOnce();
		await s.t.call('GET', '/v1/workspace');
		await waitUntil(() => s.receiver.probes.length === 1, 20_000, 'the probe');
		await new Promise((r) => setTimeout(r, 300));
		expect(await list()).toEqual([expect.objectContaining({ status: 'pending', attempts: 1, nextAttemptReason: 'schedule' })]);
		expect(s.receiver.received).toHaveLength(1);
	});

	it('releases the other pending deliveries to a destination as soon as one delivery to it goes through', async () => {
		await start();
		const a = await subscribe('/a');
		const b = await subscribe('/b');
		const first = await fire();
		await fire();
		await waitUntil(async () => (await list('?status=pending')).filter((d) => d.attempts === 1).length === 4, 20_000, 'four failed first attempts');
		await new Promise((r) => setTimeout(r, SIGNAL_MIN_IDLE_MS + 100));
		status = 200;
		const [oneOfA] = await list(`?subscriptionId=${a.id}`);
		expect((await s.t.call('POST', `/v1/deliveries/${oneOfA.id}/retry`)).json().outcome).toBe('brought-forward');
		await waitUntil(async () => (await list('?status=delivered')).length === 4, 20_000, 'every delivery');
		// A's other delivery went on the success itself; B's after a probe of its webhook.
		expect((await list(`?subscriptionId=${b.id}`)).every((d) => d.attempts === 2)).toBe(true);
		expect(s.receiver.probes.map((p) => p.url)).toEqual(['/webhook/b']);
		const reasons = (await deliveredTimeline(first.conversation.id)).filter((e: any) => e.status === 'delivered').map((e: any) => e.attemptedEarly);
		expect(reasons).toEqual(expect.arrayContaining([expect.stringMatching(/retry now/)]));
	});

	it('probes a destination that looks down on a short capped backoff and resumes as soon as it answers', async () => {
		await start({ probe: { baseMs: 100, maxMs: 400 } });
		await subscribe();
		const chat = await fire();
		await waitUntil(() => s.receiver.probes.length >= 5, 20_000, 'five probes');
		status = 200;
		const upAt = Date.now();
		await waitUntil(async () => (await list('?status=delivered')).length === 1, 20_000, 'the delivery after the probe');
		// Within a few probe intervals (at most 400 ms each), long before the schedule's next attempt a minute away.
		expect(Date.now() - upAt).toBeLessThan(LONG[1] / 6);
		expect(s.receiver.received).toHaveLength(2);
		expect((await deliveredTimeline(chat.conversation.id)).at(-1).attemptedEarly).toMatch(/a probe found the destination answering/);
	});

	it('stops probing once the destination has been down for long, and never probes one that refuses (401)', async () => {
		await start({ probe: { baseMs: 50, maxMs: 100, forMs: 500 } });
		await subscribe();
		await fire();
		await new Promise((r) => setTimeout(r, 900));
		const probes = s.receiver.probes.length;
		expect(probes).toBeGreaterThan(2);
		await new Promise((r) => setTimeout(r, 400));
		expect(s.receiver.probes).toHaveLength(probes);
		// A destination that answers 401 is up and refusing: no probe, the retry schedule applies.
		status = 401;
		await fire();
		await waitUntil(async () => (await list('?status=pending')).some((d) => d.lastStatusCode === 401), 20_000);
		await new Promise((r) => setTimeout(r, 300));
		expect(s.receiver.probes).toHaveLength(probes);
	});

	it('attempts brought forward do not use up the retry schedule', async () => {
		await start({ retryScheduleMs: [0, 60_000] });
		await subscribe();
		await fire();
		await waitUntil(async () => (await list()).some((d) => d.attempts === 1));
		for (let i = 2; i <= 4; i++) {
			const [d] = await list();
			expect((await s.t.call('POST', `/v1/deliveries/${d.id}/retry`)).statusCode).toBe(200);
			await waitUntil(async () => (await list())[0].attempts === i, 20_000, `attempt ${i}`);
		}
		expect((await list())[0]).toMatchObject({ status: 'pending', attempts: 4, nextAttemptReason: 'schedule' });
	});
});

describe('retry now', () => {
	const s = useRelayApp();
	let status = 500;
	const list = async (query = '') => (await s.t.call('GET', `/v1/deliveries${query}`)).json().data as any[];

	async function oneEvent(schedule: number[]) {
		status = 500;
		await s.start(() => status, { relay: { retryScheduleMs: schedule, probe: NO_PROBE } });
		await s.t.call('POST', '/v1/subscriptions', { url: s.receiver.url, events: ['agent.action.triggered'] });
		await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' });
		await waitUntil(async () => (await list()).some((d) => d.attempts === 1));
		return (await list())[0];
	}

	it('brings a pending delivery forward: its next attempt goes now instead of in a minute', async () => {
		const pending = await oneEvent([0, 60_000]);
		const retried = await s.t.call('POST', `/v1/deliveries/${pending.id}/retry`);
		expect(retried.statusCode).toBe(200);
		expect(retried.json()).toMatchObject({ outcome: 'brought-forward', delivery: { id: pending.id, status: 'pending', nextAttemptReason: 'retry-now' } });
		await waitUntil(async () => (await list())[0].attempts === 2, 20_000);
		expect(s.receiver.received).toHaveLength(2);
	});

	it('reopens a failed delivery with the same webhook-id, then refuses to retry it once delivered (409)', async () => {
		const failed = await oneEvent([0]);
		expect(failed.status).toBe('failed');
		status = 200;
		const reopened = await s.t.call('POST', `/v1/deliveries/${failed.id}/retry`);
		expect(reopened.statusCode).toBe(200);
		expect(reopened.json()).toMatchObject({ outcome: 'reopened', delivery: { id: failed.id, status: 'pending' } });
		await waitUntil(async () => (await list())[0].status === 'delivered', 20_000);
		expect(s.receiver.received.map((r) => r.headers['webhook-id'])).toEqual([failed.id, failed.id]);

		// Delivered: nothing to retry; replay is the way to run it again, under a new webhook-id.
		const conflict = await s.t.call('POST', `/v1/deliveries/${failed.id}/retry`);
		expect(conflict.statusCode).toBe(409);
		expect(conflict.json().message).toMatch(/already delivered; replay it/);
		await new Promise((r) => setTimeout(r, 200));
		expect(s.receiver.received).toHaveLength(2);
		expect((await s.t.call('POST', '/v1/deliveries/dlv_nope/retry')).statusCode).toBe(404);
	});

	it('gives a reopened delivery its whole retry schedule again', async () => {
		const failed = await oneEvent([0, 50]);
		await waitUntil(async () => (await list())[0].status === 'failed', 20_000);
		await s.t.call('POST', `/v1/deliveries/${failed.id}/retry`);
		await waitUntil(async () => (await list())[0].status === 'failed', 20_000, 'the schedule to run out again');
		expect((await list())[0].attempts).toBe(5);
	});

	it("retries a subscription's pending deliveries at once, and answers 404 for an unknown subscription", async () => {
		status = 500;
		await s.start(() => status, { relay: { retryScheduleMs: [0, 60_000], probe: NO_PROBE } });
		const sub = (await s.t.call('POST', '/v1/subscriptions', { url: s.receiver.url, events: ['agent.action.triggered'] })).json();
		await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' });
		await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' });
		await waitUntil(async () => (await list()).filter((d) => d.attempts === 1).length === 2);
		status = 200;
		const res = (await s.t.call('POST', `/v1/subscriptions/${sub.id}/retry`)).json();
		expect(res.retried).toBe(2);
		await waitUntil(async () => (await list('?status=delivered')).length === 2, 20_000);
		expect((await s.t.call('POST', `/v1/subscriptions/${sub.id}/retry`)).json()).toEqual({ retried: 0, deliveryIds: [] });
		expect((await s.t.call('POST', '/v1/subscriptions/sub_nope/retry')).statusCode).toBe(404);
	});
});

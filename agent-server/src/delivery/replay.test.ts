import { useRelayApp, waitUntil } from '../testing/harness';
import { retryAfterMs } from './retry-after';

describe('Retry-After', () => {
	it('reads delay-seconds and HTTP dates, ignores anything else', () => {
		expect(retryAfterMs('3', 0)).toBe(3000);
		expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
		expect(retryAfterMs('soon', 0)).toBeUndefined();
		expect(retryAfterMs(null, 0)).toBeUndefined();
	});
});

describe('delivery health, listing and replay', () => {
	const s = useRelayApp();
	let status = 500;

	async function setup(relay: Record<string, unknown> = {}) {
		status = 500;
		await s.start(() => status, { relay: { retryScheduleMs: [0, 20], ...relay } });
		const sub = (await s.t.call('POST', '/v1/subscriptions', { url: s.receiver.url, events: ['agent.action.triggered'] })).json();
		return sub as { id: string };
	}
	const summary = async () => (await s.t.call('GET', '/v1/deliveries/summary')).json();

	it('waits as long as Retry-After asks (capped by the schedule)', async () => {
		const http = await import('node:http');
		const times: number[] = [];
		const server = http.createServer((req, res) => {
			times.push(Date.now());
			req.resume();
			if (times.length === 1) res.writeHead(503, { 'retry-after': '1' }).end();
			else res.writeHead(200).end();
		});
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		await s.start(undefined, { relay: { retryScheduleMs: [0, 10, 5000] } });
		await s.t.call('POST', '/v1/subscriptions', { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, events: ['agent.action.triggered'] });
		await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' });
		await waitUntil(async () => (await summary()).delivered === 1);
		expect(times[1] - times[0]).toBeGreaterThanOrEqual(950);
		await new Promise<void>((r) => server.close(() => r()));
	});

	it('lists failed deliveries, replays one with the same webhook-id, and counts every delivery once', async () => {
		await setup();
		const chat = (await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' })).json();
		await waitUntil(async () => (await summary()).failed === 1);
		const failed = (await s.t.call('GET', '/v1/deliveries?status=failed')).json().data;
		expect(failed).toEqual([expect.objectContaining({ eventId: chat.actions[0].eventId, eventType: 'agent.action.triggered', attempts: 2, lastError: 'HTTP 500' })]);
		expect((await s.t.call('GET', '/v1/deliveries?status=pending')).json().data).toEqual([]);

		status = 200;
		const replay = (await s.t.call('POST', `/v1/deliveries/${failed[0].id}/replay`)).json();
		expect(replay).toEqual({ replayed: 1, reopened: [failed[0].id], resent: [] });
		await waitUntil(async () => (await summary()).delivered === 1);
		expect(await summary()).toEqual({ events: 1, deliveries: 1, pending: 0, delivered: 1, failed: 0 });
		expect(new Set(s.receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([failed[0].id]));

		// A delivered one sent again on purpose goes out under a new webhook-id.
		const again = (await s.t.call('POST', `/v1/deliveries/${failed[0].id}/replay`)).json();
		expect(again.resent).toHaveLength(1);
		await waitUntil(async () => (await summary()).delivered === 2);
		expect(s.receiver.received.at(-1)?.headers['webhook-id']).toBe(again.resent[0]);
		expect((await s.t.call('POST', '/v1/deliveries/dlv_nope/replay')).statusCode).toBe(404);
	});

	it('replays a subscription\'s failed deliveries, or everything since a time', async () => {
		const sub = await setup();
		const before = new Date().toISOString();
		await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' });
		await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:booked' });
		await waitUntil(async () => (await summary()).failed === 2);
		status = 200;
		expect((await s.t.call('POST', '/v1/deliveries/replay', {})).statusCode).toBe(400);
		expect((await s.t.call('POST', '/v1/deliveries/replay', { since: new Date(Date.now() + 60_000).toISOString() })).json().replayed).toBe(0);
		expect((await s.t.call('POST', '/v1/deliveries/replay', { subscriptionId: sub.id, since: before })).json().replayed).toBe(2);
		await waitUntil(async () => (await summary()).delivered === 2);
		expect((await s.t.call('POST', '/v1/deliveries/replay', { subscriptionId: 'sub_nope' })).statusCode).toBe(404);
	});

	it('marks a destination failing after a long streak, reports it, and clears it on success', async () => {
		const sub = await setup({ markFailingAfterMs: 0, retryScheduleMs: [0, 20, 20] });
		await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' });
		// The attempt is recorded first, the destination's health right after: wait for both.
		await waitUntil(async () => (await summary()).failed === 1 && (await s.t.call('GET', '/v1/subscriptions/health')).json().data[0]?.consecutiveFailures === 3);
		const health = (await s.t.call('GET', '/v1/subscriptions/health')).json().data;
		expect(health).toEqual([
			expect.objectContaining({ subscriptionId: sub.id, status: 'failing', consecutiveFailures: 3, lastFailure: 'HTTP 500', failed: 1, pending: 0 }),
		]);
		status = 200;
		await s.t.call('POST', '/v1/deliveries/replay', { subscriptionId: sub.id });
		await waitUntil(async () => (await s.t.call('GET', '/v1/subscriptions/health')).json().data[0].status === 'healthy');
	});
});

import { useRelayApp, waitUntil } from '../testing/harness';
import { verifyPayload } from './signing';

describe('delivery relay', () => {
	const s = useRelayApp();
	const setup = (respond?: Parameters<typeof s.start>[0], schedule = [0, 30, 30]) => s.start(respond, { relay: { retryScheduleMs: schedule } });

	const deliveries = () => s.t.app.agentBridge.store.db.selectFrom('deliveries').selectAll().execute();

	it('POSTs a signed envelope that verifies with the subscription secret', async () => {
		await setup();
		const sub = (await s.t.call('POST', '/v1/subscriptions', { url: s.receiver.url, events: ['agent.action.triggered'] })).json();
		const chat = (await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' })).json();
		await s.receiver.waitFor(1);
		const req = s.receiver.received[0];
		expect(req.method).toBe('POST');
		expect(req.headers['content-type']).toBe('application/json');
		expect(req.headers['webhook-id']).toMatch(/^dlv_/);
		const body = verifyPayload(sub.secret, req.headers as Record<string, string>, req.body) as { id: string; type: string };
		expect(body).toMatchObject({ id: chat.actions[0].eventId, type: 'agent.action.triggered', version: 1 });
		await waitUntil(async () => (await deliveries())[0]?.status === 'delivered');
		const conv = (await s.t.call('GET', `/v1/conversations/${chat.conversation.id}`)).json();
		expect(conv.timeline.find((e: { kind: string }) => e.kind === 'delivery').detail).toMatchObject({
			eventId: chat.actions[0].eventId,
			status: 'delivered',
			statusCode: 200,
			attempt: 1,
		});
	});

	it('retries after 503 and 404 with the same webhook-id, then succeeds', async () => {
		await setup((_req, i) => [503, 404, 200][i] ?? 200);
		await s.t.call('POST', '/v1/subscriptions', { url: s.receiver.url, events: ['agent.action.triggered'] });
		await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' });
		await s.receiver.waitFor(3);
		const ids = s.receiver.received.map((r) => r.headers['webhook-id']);
		expect(new Set(ids).size).toBe(1);
		await waitUntil(async () => (await deliveries())[0]?.status === 'delivered');
		expect((await deliveries())[0]).toMatchObject({ attempts: 3, last_error: null });
	});

	it('fails the delivery once the schedule is exhausted', async () => {
		await setup(() => 500, [0, 20, 20]);
		await s.t.call('POST', '/v1/subscriptions', { url: s.receiver.url, events: ['agent.action.triggered'] });
		const chat = (await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' })).json();
		await waitUntil(async () => (await deliveries())[0]?.status === 'failed');
		expect((await deliveries())[0]).toMatchObject({ attempts: 3, last_error: 'HTTP 500', last_status_code: 500 });
		await new Promise((r) => setTimeout(r, 100));
		expect(s.receiver.received).toHaveLength(3);
		const conv = (await s.t.call('GET', `/v1/conversations/${chat.conversation.id}`)).json();
		const statuses = conv.timeline.filter((e: { kind: string }) => e.kind === 'delivery').map((e: { detail: { status: string } }) => e.detail.status);
		expect(statuses).toEqual(['retrying', 'retrying', 'failed']);
	});

	it('does not follow redirects', async () => {
		await setup((_req, i) => (i === 0 ? 302 : 200));
		await s.t.call('POST', '/v1/subscriptions', { url: s.receiver.url, events: ['agent.action.triggered'] });
		await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' });
		await s.receiver.waitFor(2);
		expect(s.receiver.received.every((r) => r.url === '/webhook')).toBe(true);
		await waitUntil(async () => (await deliveries())[0]?.status === 'delivered');
		expect((await deliveries())[0].attempts).toBe(2);
	});

	it('respects event types and filters', async () => {
		await setup();
		const url = (name: string) => s.receiver.url.replace('/webhook', `/${name}`);
		await s.t.call('POST', '/v1/subscriptions', { url: url('all'), events: ['agent.action.triggered'] });
		await s.t.call('POST', '/v1/subscriptions', { url: url('booked'), events: ['agent.action.triggered'], filters: { actionId: 'booked' } });
		await s.t.call('POST', '/v1/subscriptions', { url: url('other-agent'), events: ['agent.action.triggered'], filters: { agentId: 'other-agent' } });
		await s.t.call('POST', '/v1/subscriptions', { url: url('scoring'), events: ['agent.action.triggered'], filters: { agentId: 'test-agent', actionId: 'lead_scoring' } });
		await s.t.call('POST', '/v1/subscriptions', { url: url('tags'), events: ['contact.tag.added'] });
		await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' });
		await s.receiver.waitFor(2);
		await new Promise((r) => setTimeout(r, 150));
		expect(s.receiver.received.map((r) => r.url).sort()).toEqual(['/all', '/scoring']);
	});

	it('sends nothing new to a deleted subscription', async () => {
		await setup(() => 503, [0, 60_000]);
		const sub = (await s.t.call('POST', '/v1/subscriptions', { url: s.receiver.url, events: ['agent.action.triggered'] })).json();
		const chat = (await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' })).json();
		await s.receiver.waitFor(1);
		expect((await s.t.call('DELETE', `/v1/subscriptions/${sub.id}`)).statusCode).toBe(204);
		// The pending retry is closed, and new events find no subscription.
		await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:booked', conversationId: chat.conversation.id });
		await s.t.app.agentBridge.relay.runOnce();
		await new Promise((r) => setTimeout(r, 150));
		expect(s.receiver.received).toHaveLength(1);
		const rows = await deliveries();
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({ status: 'failed', last_error: 'subscription deleted' });
	});

	it('keeps at most N deliveries in flight per destination', async () => {
		let inFlight = 0;
		let peak = 0;
		const release: (() => void)[] = [];
		// A slow receiver: count concurrent requests.
		const http = await import('node:http');
		const slow = http.createServer((req, res) => {
			inFlight += 1;
			peak = Math.max(peak, inFlight);
			req.resume();
			release.push(() => {
				inFlight -= 1;
				res.writeHead(200).end();
			});
		});
		await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
		const port = (slow.address() as { port: number }).port;
		await s.start(undefined, { relay: { maxInFlightPerUrl: 2 } });
		await s.t.call('POST', '/v1/subscriptions', { url: `http://127.0.0.1:${port}/x`, events: ['contact.tag.added'] });
		const chat = (await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' })).json();
		await s.t.call('POST', `/v1/contacts/${chat.contact.id}/tags`, { tags: ['a', 'b', 'c', 'd', 'e'] });
		let delivered = 0;
		while (delivered < 5) {
			await new Promise((r) => setTimeout(r, 50));
			const r = release.shift();
			if (r) {
				r();
				delivered += 1;
			}
		}
		await waitUntil(async () => (await deliveries()).every((d) => d.status === 'delivered'));
		expect(peak).toBe(2);
		await new Promise<void>((r) => slow.close(() => r()));
	});
});

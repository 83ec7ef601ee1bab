import { buildTestApp, type TestApp } from '../testing/harness';
import { buildEnvelope, publishEvent, type Causation } from './publish';

describe('loop guard', () => {
	let t: TestApp;
	beforeEach(async () => {
		t = await buildTestApp();
	});
	afterEach(() => t.close());

	async function fireAction(conversationId: string, actionId: string, causation: Causation, cooldownMs?: number) {
		const workspaceId = (await t.call('GET', '/v1/workspace')).json().id as string;
		const envelope = buildEnvelope(
			'agent.action.triggered',
			{
				workspaceId,
				causation,
				agent: { id: 'test-agent', name: 'Test Agent' },
				conversation: { id: conversationId, channel: 'api', status: 'active' },
				contact: { id: 'ct_1', firstName: null, lastName: null, email: null, phone: null, customFields: {}, tags: [] },
				collected: {},
				summary: null,
				intent: null,
				sentiment: null,
				transcript: [],
				variables: {},
			},
			{ action: { id: actionId, name: actionId, condition: 'test' } },
		);
		const result = await publishEvent(t.app.agentBridge.store.db, envelope, { maxDepth: 5, cooldownMs });
		return { id: envelope.id, result };
	}

	it('locks an action that its own chain fires again for the same conversation, with the chain on the timeline', async () => {
		const conv = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' })).json().conversation.id;
		const root = await fireAction(conv, 'lead_scoring', { depth: 0, parentEventId: null });
		const other = await fireAction(conv, 'booked', { depth: 1, parentEventId: root.id });
		expect(other.result.published).toBe(true);
		const again = await fireAction(conv, 'lead_scoring', { depth: 2, parentEventId: other.id });
		expect(again.result).toEqual({ published: false, reason: expect.stringMatching(/lead_scoring already fired .* looping/) });

		const timeline = (await t.call('GET', `/v1/conversations/${conv}`)).json().timeline;
		const lock = timeline.find((e: { kind: string }) => e.kind === 'loop.blocked');
		expect(lock.detail).toMatchObject({ label: 'loop locked', actionId: 'lead_scoring', depth: 2 });
		expect(lock.detail.chain.map((l: { eventId: string }) => l.eventId)).toEqual([root.id, other.id]);
	});

	it('lets the same action fire again for another conversation, or outside its cooldown', async () => {
		const a = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' })).json().conversation.id;
		const b = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' })).json().conversation.id;
		const root = await fireAction(a, 'lead_scoring', { depth: 0, parentEventId: null });
		expect((await fireAction(b, 'lead_scoring', { depth: 1, parentEventId: root.id })).result.published).toBe(true);
		await new Promise((r) => setTimeout(r, 30));
		expect((await fireAction(a, 'lead_scoring', { depth: 1, parentEventId: root.id }, 10)).result.published).toBe(true);
		expect((await fireAction(a, 'lead_scoring', { depth: 1, parentEventId: root.id }, 60_000)).result.published).toBe(false);
	});

	it('locks past the depth limit', async () => {
		const conv = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi' })).json().conversation.id;
		const deep = await fireAction(conv, 'booked', { depth: 6, parentEventId: null });
		expect(deep.result).toEqual({ published: false, reason: expect.stringMatching(/depth 6 is past the limit of 5/) });
	});
});

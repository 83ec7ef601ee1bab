// The seed's debugging table, row by row, on the bundled lead-qualifier agent: what the server shows for each symptom
// and how it prevents it. Events go to a local receiver standing in for n8n.
import { createOfflineEngine } from '../../agent-server/src/engine/offline';
import { loadAgents } from '../../agent-server/src/agents/agent-files';
import { useRelayApp, waitUntil, type ReceivedRequest } from '../../agent-server/src/testing/harness';

const s = useRelayApp();

async function setup(respond?: (req: ReceivedRequest, index: number) => number) {
	await s.start(respond, {
		agents: loadAgents(),
		engine: createOfflineEngine(),
		conversations: { waitPollMs: 20, sweepIntervalMs: 0 },
	});
}

async function subscribe(events: string[], filters: Record<string, unknown> = { agentId: 'lead-qualifier' }, extra: Record<string, unknown> = {}) {
	const res = await s.t.call('POST', '/v1/subscriptions', { url: s.receiver.url, events, filters, ...extra });
	expect(res.statusCode).toBe(201);
}
async function say(text: string, conversationId?: string) {
	const res = await s.t.call('POST', '/v1/chat', { agentId: 'lead-qualifier', text, ...(conversationId ? { conversationId } : {}) });
	expect(res.statusCode).toBe(200);
	return res.json();
}
const detail = async (id: string) => (await s.t.call('GET', `/v1/conversations/${id}`)).json();
const decision = (r: any, id: string) => r.actions.find((a: any) => a.actionId === id);
const bodies = () => s.receiver.received.map((r) => JSON.parse(r.body));

describe('workflow never triggers', () => {
	test('the answer and the timeline name the unmet condition, then the firing and its delivery to the workflow', async () => {
		await setup();
		await subscribe(['agent.action.triggered']);
		const first = await say("Hi, I'm Dana and I need a new website, budget $10,000");
		const id = first.conversation.id;
		expect(decision(first, 'lead_scoring')).toMatchObject({ fired: false, reason: 'waiting for field timeline' });
		expect(decision(first, 'appointment_booked')).toMatchObject({ fired: false, reason: 'waiting for field timeline' });
		const notFired = (await detail(id)).timeline.find((e: any) => e.kind === 'action.not_fired' && e.detail.actionId === 'lead_scoring');
		expect(notFired.detail.reason).toBe('waiting for field timeline');
		expect(s.receiver.received).toHaveLength(0);

		// The turn waits up to 15 s for the score: look at the delivery meanwhile, then write the score to let it finish.
		const second = s.t.call('POST', '/v1/chat', { agentId: 'lead-qualifier', text: 'We want to launch within 1 month', conversationId: id });
		await s.receiver.waitFor(1);
		const fired = (await detail(id)).timeline.find((e: any) => e.kind === 'action.fired' && e.detail.actionId === 'lead_scoring');
		expect(fired.detail.reason).toMatch(/budget/);
		expect(fired.detail.reason).toMatch(/timeline/);
		expect(bodies()[0]).toMatchObject({ type: 'agent.action.triggered', id: fired.detail.eventId, action: { id: 'lead_scoring' } });
		await waitUntil(async () => (await detail(id)).timeline.some((e: any) => e.kind === 'delivery' && e.detail.status === 'delivered'));
		const delivery = (await detail(id)).timeline.find((e: any) => e.kind === 'delivery');
		expect(delivery.detail).toMatchObject({ eventId: fired.detail.eventId, statusCode: 200, attempt: 1 });
		// Answer the wait so the pending turn finishes before the app closes.
		await s.t.call('PATCH', `/v1/contacts/${first.contact.id}`, { customFields: { lead_score: 3 } });
		expect((await second).statusCode).toBe(200);
	});

	test("an event no subscription's filters match is kept, so a test event can replay it into the editor", async () => {
		await setup();
		await subscribe(['contact.tag.added'], { agentId: 'lead-qualifier', tags: ['urgent_need'] });
		const c = await say('How much does an app cost?');
		expect((await detail(c.conversation.id)).timeline.find((e: any) => e.kind === 'tag.added').detail).toMatchObject({ tag: 'interested_pricing', addedBy: 'agent' });
		await new Promise((r) => setTimeout(r, 200));
		expect(s.receiver.received).toHaveLength(0); // filtered out: the trigger is narrower than the conversation
		// Listening for a test event with the broader filter gets that very event.
		await subscribe(['contact.tag.added'], { agentId: 'lead-qualifier', tags: ['interested_pricing'] }, { sendTestEvent: true });
		await s.receiver.waitFor(1);
		expect(bodies()[0]).toMatchObject({ type: 'contact.tag.added', tag: 'interested_pricing', contact: { id: c.contact.id } });
	});
});

describe('workflow triggers multiple times', () => {
	test('a tag is added once however often its rule matches, and an ending is sent once', async () => {
		await setup();
		await subscribe(['contact.tag.added', 'conversation.ended', 'agent.action.triggered']);
		const c = await say('What is the price of a website?');
		const id = c.conversation.id;
		await say('And the pricing for an app? Rates for SEO?', id);
		const booking = await say('Can I book a call?', id);
		expect(decision(booking, 'appointment_booked')).toMatchObject({ fired: false, reason: 'waiting for fields budget, timeline' });
		expect((await s.t.call('POST', `/v1/conversations/${id}/end`, { outcome: 'interested' })).statusCode).toBe(200);
		expect((await s.t.call('POST', `/v1/conversations/${id}/end`, { outcome: 'booked' })).statusCode).toBe(409);
		await s.receiver.waitFor(2);
		await new Promise((r) => setTimeout(r, 200));
		expect(bodies().map((b) => b.type)).toEqual(['contact.tag.added', 'conversation.ended']);
		expect(bodies()[0].tag).toBe('interested_pricing');
		expect((await detail(id)).timeline.filter((e: any) => e.kind === 'tag.added')).toHaveLength(1);
		// Every retry of one event carries the same webhook-id, which the trigger node uses to drop repeats.
		expect(new Set(s.receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(2);
	});
});

describe('data missing in workflow', () => {
	test('the event carries each field under its agent name and its mapped contact field; a wrong merge field is reported', async () => {
		await setup();
		await subscribe(['conversation.ended']);
		const c = await say("Hi, I'm Dana and I need a website, budget $10,000");
		const id = c.conversation.id;
		await s.t.call('POST', `/v1/conversations/${id}/end`, {});
		await s.receiver.waitFor(1);
		const event = bodies()[0];
		expect(event.collected).toMatchObject({ service_needed: 'website', budget: expect.any(String) });
		expect(event.contact.customFields).toMatchObject({ service_interest: 'website', budget_range: expect.anything() });
		expect(event.contact.firstName).toBe('Dana');

		// The agent's own list of field names and where each lands, as the nodes' dropdowns and docs read it.
		const agent = (await s.t.call('GET', '/v1/agents/lead-qualifier')).json();
		expect(agent.fields).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'budget', mapsTo: 'custom_field.budget_range' })]));

		// A workflow text using the agent's field name instead of the custom field's: removed, and named on the timeline.
		const reply = await s.t.call('POST', `/v1/conversations/${id}/replies`, { text: 'Thanks {{contact.first_name}}, noted your budget of {{contact.custom_field.budget}}.' });
		expect(reply.json().message.text).toBe('Thanks Dana, noted your budget of.');
		const entry = (await detail(id)).timeline.find((e: any) => e.kind === 'message' && e.detail.unfilledMergeFields);
		expect(entry.detail.unfilledMergeFields).toEqual(['contact.custom_field.budget']);
	});
});

describe('bot does not see workflow results', () => {
	test('the agent waits for the field its action expects and answers with it in the same turn', async () => {
		// Stands in for the Lead Scoring workflow: writes the score back a little later, as n8n would.
		await setup((req) => {
			const event = JSON.parse(req.body);
			if (event.type === 'agent.action.triggered') {
				setTimeout(() => {
					void s.t.call('PATCH', `/v1/contacts/${event.contact.id}`, { customFields: { lead_score: 8 } }, { 'x-agent-bridge-causation': event.id });
				}, 300);
			}
			return 200;
		});
		await subscribe(['agent.action.triggered']);
		const c = await say("Hi, I'm Dana and I need a website, budget $25,000");
		const scored = await say("We'd like to launch within 1 month", c.conversation.id);
		expect(scored.waited).toMatchObject({ fields: ['custom_field.lead_score'], arrived: true });
		expect(scored.waited.waitedMs).toBeGreaterThanOrEqual(250);
		expect(scored.reply.text).toBe('Great news! Let me connect you with a specialist. When works best for a quick call?');
	});
});

describe('conversation feels disconnected', () => {
	test('every event carries the summary, intent, sentiment and transcript, and workflow replies join the transcript', async () => {
		await setup();
		await subscribe(['contact.tag.added', 'conversation.ended']);
		const c = await say("Hi, I'm Dana. How much does a website cost?");
		const id = c.conversation.id;
		await s.receiver.waitFor(1);
		const tagEvent = bodies()[0];
		expect(tagEvent.summary).toEqual(expect.any(String));
		expect(tagEvent.summary.length).toBeGreaterThan(0);
		expect(tagEvent.intent).toBe('get_quote');
		expect(tagEvent.sentiment).toEqual(expect.any(String));
		expect(tagEvent.transcript.map((m: any) => m.role)).toEqual(['contact', 'agent']);

		await s.t.call('POST', `/v1/conversations/${id}/replies`, { text: 'Here is our price list: https://example.com/prices' }, { 'x-agent-bridge-causation': tagEvent.id });
		await s.t.call('POST', `/v1/conversations/${id}/end`, {});
		await s.receiver.waitFor(2);
		const ended = bodies()[1];
		expect(ended.type).toBe('conversation.ended');
		expect(ended.ending.summary).toEqual(expect.any(String));
		expect(ended.transcript.at(-1)).toMatchObject({ role: 'agent', text: 'Here is our price list: https://example.com/prices' });
		const timeline = (await detail(id)).timeline;
		expect(timeline.find((e: any) => e.kind === 'workflow.reply').detail.causationEventId).toBe(tagEvent.id);
	});
});

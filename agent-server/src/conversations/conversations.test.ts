// Conversations on the offline rules engine, through the HTTP API: trigger conditions, tags, handoff and resume,
// disclosure levels, endings, and the waiting round trip.
import { AgentConfig } from '../engine/agent-config';
import { createOfflineEngine } from '../engine/offline';
import { buildTestApp, testRegistry, type TestApp } from '../testing/harness';
import { sweepConversations } from './sweeper';

const SIX_TAGS = [
	{ tag: 'interested_pricing', intents: ['get_quote'] },
	{ tag: 'competitor_aware', keywords: ['competitor'] },
	{ tag: 'urgent_need', keywords: ['asap', 'urgent'] },
	{ tag: 'wants_human', intents: ['wants_human'] },
	{ tag: 'happy_customer', keywords: ['love it'] },
	{ tag: 'referral_lead', keywords: ['referred'] },
];

const CONCIERGE = AgentConfig.parse({
	id: 'concierge',
	name: 'Concierge',
	fields: [
		{ name: 'service', question: 'Which service?', mapsTo: 'custom_field.service_interest', extract: { kind: 'keywords', keywords: { website: 'website', app: 'app' } } },
		{ name: 'budget', question: 'Budget?', mapsTo: 'custom_field.budget_range', extract: { kind: 'amount' } },
	],
	intents: [
		{ name: 'book_call', keywords: ['book'] },
		{ name: 'get_quote', keywords: ['price'] },
		{ name: 'wants_human', keywords: ['human'] },
		{ name: 'goodbye', keywords: ['goodbye'] },
	],
	actions: [
		{ id: 'on_budget', name: 'On Budget', condition: { fieldsProvided: ['budget'] } },
		{ id: 'on_booking', name: 'On Booking', condition: { intent: ['book_call'], minConfidence: 0.7 } },
		{ id: 'on_brochure', name: 'On Brochure', condition: { asks: ['brochure', 'callback'] }, once: false, cooldownSeconds: 3600 },
		{ id: 'on_vip', name: 'On VIP', condition: { tags: ['urgent_need'] } },
		{ id: 'on_quote', name: 'On Quote', condition: { fieldsProvided: ['service'], intent: ['get_quote'] } },
	],
	tagRules: SIX_TAGS,
	handoff: { intents: ['wants_human'], message: 'A teammate will join shortly.', quietMinutes: 5 },
	ending: { maxTurns: 4, closingIntents: ['goodbye'], inactivityMinutes: 30, outcomeRules: [{ outcome: 'booked', actionsFired: ['on_booking'] }] },
	limits: { workflowTriggersPerConversation: 3 },
});

const VAULT = AgentConfig.parse({
	id: 'vault',
	name: 'Vault',
	replies: {
		rules: [
			{ when: { field: 'custom_field.notes' }, text: 'Notes: {{contact.custom_field.notes}}' },
			{ when: { field: 'custom_field.balance' }, text: 'Your balance is {{contact.custom_field.balance}}.' },
			{ when: { field: 'custom_field.plan' }, text: 'You are on the {{contact.custom_field.plan}} plan.' },
		],
	},
	disclosure: {
		verifiedWhen: { tag: 'verified' },
		fields: [
			{ field: 'custom_field.plan', level: 'always' },
			{ field: 'custom_field.balance', level: 'verified' },
			{ field: 'custom_field.notes', level: 'never' },
		],
	},
});

/** An agent whose quote waits up to `timeoutMs` for the workflow to write the price. */
const pricer = (id: string, timeoutMs: number) =>
	AgentConfig.parse({
		id,
		name: 'Pricer',
		actions: [
			{
				id: 'price_lookup',
				name: 'Price Lookup',
				condition: { asks: ['quote'] },
				expects: { fields: ['custom_field.quoted_price'], timeoutMs, holdingReply: 'Still checking, {{contact.first_name | friend}}.', onTimeout: { tag: 'price_pending' } },
			},
		],
		replies: { rules: [{ when: { field: 'custom_field.quoted_price' }, text: 'Your price is {{contact.custom_field.quoted_price}}.', once: true }] },
	});
const PRICER = pricer('pricer', 400);
// Waits long enough that a write or a request beside it comes before the wait could end, however slow the machine.
const PATIENT_PRICER = pricer('patient-pricer', 10_000);

let t: TestApp;
beforeEach(async () => {
	t = await buildTestApp({
		agents: testRegistry([CONCIERGE, VAULT, PRICER, PATIENT_PRICER]),
		engine: createOfflineEngine(),
		conversations: { waitPollMs: 20, sweepIntervalMs: 0 },
	});
});
afterEach(async () => {
	await t.close();
});

async function say(agentId: string, text: string, conversationId?: string, extra: Record<string, unknown> = {}) {
	const res = await t.call('POST', '/v1/chat', { agentId, text, ...(conversationId ? { conversationId } : {}), ...extra });
	expect(res.statusCode).toBe(200);
	return res.json();
}
const detail = async (id: string) => (await t.call('GET', `/v1/conversations/${id}`)).json();
const decision = (r: any, id: string) => r.actions.find((a: any) => a.actionId === id);
async function events(type: string) {
	const rows = await t.app.agentBridge.store.db.selectFrom('events').selectAll().where('type', '=', type).execute();
	return rows.map((r) => JSON.parse(r.envelope));
}

describe('trigger workflow conditions', () => {
	test('field provided fires once; the timeline says why the others did not fire', async () => {
		const first = await say('concierge', 'hello there');
		expect(decision(first, 'on_budget')).toMatchObject({ fired: false, reason: 'waiting for field budget' });
		const second = await say('concierge', 'my budget is $5,000', first.conversation.id);
		expect(decision(second, 'on_budget')).toMatchObject({ fired: true, reason: 'field budget provided' });
		const third = await say('concierge', 'actually $6,000', first.conversation.id);
		expect(decision(third, 'on_budget')).toMatchObject({ fired: false, reason: 'already fired in this conversation' });
		const timeline = (await detail(first.conversation.id)).timeline;
		expect(timeline.filter((e: any) => e.kind === 'action.not_fired' && e.detail.actionId === 'on_booking')).toHaveLength(3);
		expect(timeline.find((e: any) => e.kind === 'action.not_fired' && e.detail.actionId === 'on_vip').detail.reason).toBe('waiting for tag urgent_need');
	});

	test('intent reached, explicit request with a cooldown, tag present, and fields combined with an intent', async () => {
		const c = await say('concierge', 'I want to book a call');
		expect(decision(c, 'on_booking')).toMatchObject({ fired: true, reason: 'intent book_call detected' });
		const id = c.conversation.id;
		const brochure = await say('concierge', 'please send a brochure', id);
		expect(decision(brochure, 'on_brochure')).toMatchObject({ fired: true, reason: 'contact asked for brochure or callback' });
		const again = await say('concierge', 'a callback too', id);
		expect(decision(again, 'on_brochure').fired).toBe(false);
		expect(decision(again, 'on_brochure').reason).toMatch(/cooldown 3600 s/);

		const other = await say('concierge', 'what is the price?');
		expect(decision(other, 'on_quote')).toMatchObject({ fired: false, reason: 'waiting for field service' });
		const both = await say('concierge', 'the price for a website?', other.conversation.id);
		expect(decision(both, 'on_quote')).toMatchObject({ fired: true, reason: 'field service provided and intent get_quote detected' });

		const urgent = await say('concierge', 'this is urgent');
		expect(decision(urgent, 'on_vip').fired).toBe(false); // the tag is added by this very turn
		const next = await say('concierge', 'hello?', urgent.conversation.id);
		expect(decision(next, 'on_vip')).toMatchObject({ fired: true, reason: 'tag urgent_need present' });
	});

	test('the per-conversation cap holds back triggers past the limit', async () => {
		const c = await say('concierge', 'book it, budget $9,000, send a brochure');
		const id = c.conversation.id;
		expect(c.actions.filter((a: any) => a.fired).map((a: any) => a.actionId)).toEqual(['on_budget', 'on_booking', 'on_brochure']);
		const more = await say('concierge', 'this is urgent', id);
		const vip = await say('concierge', 'ok', id);
		expect(decision(more, 'on_vip').fired).toBe(false);
		expect(decision(vip, 'on_vip')).toMatchObject({ fired: false });
		expect(decision(vip, 'on_vip').reason).toMatch(/limit of 3/);
	});
});

describe('tag rules', () => {
	test('each of the six tags is added once with a tag added event from the agent', async () => {
		const c = await say('concierge', "what's the price? a competitor is cheaper, it's urgent, I love it, I was referred");
		const contact = (await t.call('GET', `/v1/contacts/${c.contact.id}`)).json();
		expect(contact.tags.sort()).toEqual(['competitor_aware', 'happy_customer', 'interested_pricing', 'referral_lead', 'urgent_need']);
		await say('concierge', 'the price again, urgent', c.conversation.id);
		const tagEvents = await events('contact.tag.added');
		expect(tagEvents.map((e) => e.tag).sort()).toEqual(contact.tags.sort());
		expect(tagEvents.every((e) => e.addedBy === 'agent' && e.conversation.id === c.conversation.id)).toBe(true);
		const human = await say('concierge', 'I want a human');
		expect((await events('contact.tag.added')).filter((e) => e.tag === 'wants_human')).toHaveLength(1);
		expect(human.conversation.status).toBe('human');
	});
});

describe('human handoff', () => {
	test('the bot is quiet while a human handles it, records human replies, and resumes on release', async () => {
		const c = await say('concierge', 'can I talk to a human?');
		expect(c.reply.text).toBe('A teammate will join shortly.');
		const id = c.conversation.id;
		const quiet = await say('concierge', 'hello?', id);
		expect(quiet.reply).toBeNull();
		const human = await t.call('POST', `/v1/conversations/${id}/human-replies`, { text: 'Hi, Sam here.', author: 'Sam' });
		expect(human.statusCode).toBe(201);
		expect(human.json().message).toMatchObject({ role: 'human', source: 'api', text: 'Hi, Sam here.' });
		expect((await t.call('POST', `/v1/conversations/${id}/human-replies`, { text: ' ' })).statusCode).toBe(400);
		expect((await t.call('POST', `/v1/conversations/${id}/release`)).json().status).toBe('active');
		expect((await t.call('POST', `/v1/conversations/${id}/release`)).statusCode).toBe(409);
		const back = await say('concierge', 'my budget is $3,000', id);
		expect(back.reply.text).toBeTruthy();
		const kinds = (await detail(id)).timeline.map((e: any) => e.kind);
		expect(kinds).toEqual(expect.arrayContaining(['handoff', 'handoff.released']));
	});

	test('an API handoff, and the bot resumes by itself after the quiet period', async () => {
		const c = await say('concierge', 'hello');
		const id = c.conversation.id;
		const res = await t.call('POST', `/v1/conversations/${id}/handoff`, { reason: 'VIP', message: 'Connecting you now.' });
		expect(res.json()).toMatchObject({ status: 'human' });
		expect((await t.call('POST', `/v1/conversations/${id}/handoff`, { bogus: 1 })).statusCode).toBe(400);
		expect(await sweepConversations(t.app.agentBridge, Date.now() + 6 * 60_000)).toEqual({ ended: 0, released: 1, answered: 0 });
		expect((await detail(id)).status).toBe('active');
		expect((await say('concierge', 'still there?', id)).reply).not.toBeNull();
	});
});

describe('disclosure rules', () => {
	async function vaultSays(customFields: Record<string, string>, tags: string[] = []) {
		const contact = (await t.call('POST', '/v1/contacts', { firstName: 'Ada', customFields, tags })).json();
		return say('vault', 'tell me about my account', undefined, { contactId: contact.id });
	}

	test('always: the field is said', async () => {
		const r = await vaultSays({ plan: 'Gold' });
		expect(r.reply.text).toBe('You are on the Gold plan.');
		expect(r.conversation.status).toBe('active');
	});

	test('after verification: blocked (and handed off) before, said after', async () => {
		const blocked = await vaultSays({ balance: '$1,234' });
		expect(blocked.reply.text).not.toContain('1,234');
		expect(blocked.conversation.status).toBe('human');
		const timeline = (await detail(blocked.conversation.id)).timeline;
		expect(timeline.find((e: any) => e.kind === 'disclosure.blocked').detail.fields).toEqual([{ field: 'custom_field.balance', level: 'verified' }]);
		expect(timeline.find((e: any) => e.kind === 'handoff').detail.reason).toMatch(/disclosure blocked/);
		const verified = await vaultSays({ balance: '$1,234' }, ['verified']);
		expect(verified.reply.text).toBe('Your balance is $1,234.');
	});

	test('never: blocked even when verified, and handed off', async () => {
		const r = await vaultSays({ notes: 'difficult customer' }, ['verified']);
		expect(r.reply.text).not.toContain('difficult');
		expect(r.conversation.status).toBe('human');
	});
});

describe('endings', () => {
	async function endedEvents(conversationId: string) {
		return (await events('conversation.ended')).filter((e) => e.conversation.id === conversationId);
	}

	test('maximum turns ends with reason max_turns and an outcome, once', async () => {
		const c = await say('concierge', 'hi');
		const id = c.conversation.id;
		await say('concierge', 'a website', id);
		await say('concierge', 'budget $4,000', id);
		const last = await say('concierge', 'ok', id);
		expect(last.conversation.status).toBe('ended');
		expect((await t.call('POST', '/v1/chat', { agentId: 'concierge', text: 'more', conversationId: id })).statusCode).toBe(409);
		const [ended, ...more] = await endedEvents(id);
		expect(more).toHaveLength(0);
		expect(ended.ending).toMatchObject({ reason: 'max_turns', outcome: 'interested', turns: 4 });
		expect(ended.summary).toBeTruthy();
		expect((await detail(id)).ending).toMatchObject({ reason: 'max_turns', outcome: 'interested' });
	});

	test('a closing intent ends the conversation; a configured outcome rule classes it', async () => {
		const c = await say('concierge', 'book a call please');
		const bye = await say('concierge', 'goodbye', c.conversation.id);
		expect(bye.conversation.status).toBe('ended');
		const [ended] = await endedEvents(c.conversation.id);
		expect(ended.ending).toMatchObject({ reason: 'closing_intent', outcome: 'booked' });
	});

	test('explicit end over the API (with an outcome), and 4xx on bad input', async () => {
		const c = await say('concierge', 'hi');
		const id = c.conversation.id;
		expect((await t.call('POST', `/v1/conversations/${id}/end`, { outcome: 'sold' })).statusCode).toBe(400);
		expect((await t.call('POST', `/v1/conversations/${id}/end`, { outcome: 'Bad Name' })).statusCode).toBe(400);
		expect((await t.call('POST', `/v1/conversations/nope/end`)).statusCode).toBe(404);
		const res = await t.call('POST', `/v1/conversations/${id}/end`, { outcome: 'negative' });
		expect(res.json().ending).toMatchObject({ reason: 'closed', outcome: 'negative', by: 'api' });
		expect((await t.call('POST', `/v1/conversations/${id}/end`)).statusCode).toBe(409);
		expect(await endedEvents(id)).toHaveLength(1);
	});

	test('ending while a human handles it has reason handoff; inactivity is ended by the sweeper once', async () => {
		const h = await say('concierge', 'a human please');
		await t.call('POST', `/v1/conversations/${h.conversation.id}/end`);
		expect((await endedEvents(h.conversation.id))[0].ending.reason).toBe('handoff');

		const idle = await say('concierge', 'just looking');
		expect(await sweepConversations(t.app.agentBridge, Date.now() + 10 * 60_000)).toEqual({ ended: 0, released: 0, answered: 0 });
		expect(await sweepConversations(t.app.agentBridge, Date.now() + 31 * 60_000)).toEqual({ ended: 1, released: 0, answered: 0 });
		expect(await sweepConversations(t.app.agentBridge, Date.now() + 32 * 60_000)).toEqual({ ended: 0, released: 0, answered: 0 });
		const [ended, ...more] = await endedEvents(idle.conversation.id);
		expect(more).toHaveLength(0);
		expect(ended.ending).toMatchObject({ reason: 'inactivity', outcome: 'browsing' });
	});

	test('the sweeper runs on its interval and stops with the server', async () => {
		const app = await buildTestApp({ agents: testRegistry([CONCIERGE]), engine: createOfflineEngine(), conversations: { sweepIntervalMs: 10 } });
		await app.close(); // close must not hang on the interval
	});
});

describe('round trip with waiting', () => {
	async function start() {
		const contact = (await t.call('POST', '/v1/contacts', { firstName: 'Lee' })).json();
		return contact.id as string;
	}

	test('the answer waits for the field the workflow writes in time', async () => {
		const contactId = await start();
		const pending = say('patient-pricer', 'can I get a quote?', undefined, { contactId });
		await new Promise((r) => setTimeout(r, 100));
		const patched = await t.call('PATCH', `/v1/contacts/${contactId}`, { customFields: { quoted_price: '$480' } });
		expect(patched.statusCode).toBe(200);
		const r = await pending;
		expect(r.reply.text).toBe('Your price is $480.');
		expect(r.waited).toMatchObject({ fields: ['custom_field.quoted_price'], arrived: true });
		const d = await detail(r.conversation.id);
		expect(d.timeline.map((e: any) => e.kind)).toContain('wait.fulfilled');
		expect(d.waits).toEqual([]);
	});

	test('a late answer: holding reply, then the result as a follow-up message', async () => {
		const contactId = await start();
		const r = await say('pricer', 'a quote please', undefined, { contactId });
		expect(r.reply.text).toBe('Still checking, Lee.');
		expect(r.waited).toMatchObject({ arrived: false });
		await t.call('PATCH', `/v1/contacts/${contactId}`, { customFields: { quoted_price: '$510' } });
		const d = await detail(r.conversation.id);
		expect(d.messages.map((m: any) => m.text).slice(-2)).toEqual(['Still checking, Lee.', 'Your price is $510.']);
		expect(d.timeline.map((e: any) => e.kind)).toEqual(expect.arrayContaining(['wait.timed_out', 'wait.late_result']));
		expect(d.waits).toEqual([]);
	});

	test('no answer: holding reply and the action fallback (tag) on the timeline', async () => {
		const contactId = await start();
		const r = await say('pricer', 'quote?', undefined, { contactId });
		expect(r.reply.text).toBe('Still checking, Lee.');
		expect((await t.call('GET', `/v1/contacts/${contactId}`)).json().tags).toEqual(['price_pending']);
		const d = await detail(r.conversation.id);
		expect(d.timeline.find((e: any) => e.kind === 'tag.added').detail).toMatchObject({ tag: 'price_pending', why: 'workflow result timed out' });
		expect(d.waits).toEqual([expect.objectContaining({ actionId: 'price_lookup', state: 'late' })]);
	});

	test('waiting does not block other requests', async () => {
		const contactId = await start();
		let answered = false;
		const pending = say('patient-pricer', 'quote?', undefined, { contactId }).then((r) => ((answered = true), r));
		expect((await t.call('GET', '/v1/agents')).statusCode).toBe(200);
		await say('concierge', 'hello');
		// Both answered while the quote still waits for its field.
		expect(answered).toBe(false);
		await t.call('PATCH', `/v1/contacts/${contactId}`, { customFields: { quoted_price: '$90' } });
		expect((await pending).reply.text).toBe('Your price is $90.');
	});
});

describe('merge fields in workflow text', () => {
	test('contact merge fields are filled; unknown ones are reported, not printed', async () => {
		const c = await say('concierge', 'hi', undefined, { contact: { firstName: 'Dana' } });
		await t.call('PATCH', `/v1/contacts/${c.contact.id}`, { customFields: { service_interest: 'website' } });
		const res = await t.call('POST', `/v1/conversations/${c.conversation.id}/replies`, {
			text: 'Hi {{contact.first_name}}, about your {{contact.custom_field.service_interest}} {{contact.custom_field.nope}}!',
		});
		expect(res.json().message.text).toBe('Hi Dana, about your website!');
		const entry = (await detail(c.conversation.id)).timeline.find((e: any) => e.kind === 'message' && e.detail.source === 'api');
		expect(entry.detail.unfilledMergeFields).toEqual(['contact.custom_field.nope']);
	});
});

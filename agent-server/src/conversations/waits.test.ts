// The round trip's result is the value written after the action fired, and it passes the disclosure guard like
// every other reply, whether it arrives in time or late.
import { AgentConfig } from '../engine/agent-config';
import { createOfflineEngine } from '../engine/offline';
import { buildTestApp, testRegistry, type TestApp } from '../testing/harness';

const REPEATER = AgentConfig.parse({
	id: 'repeater',
	name: 'Repeater',
	actions: [
		{
			id: 'price_lookup',
			name: 'Price Lookup',
			condition: { asks: ['quote'] },
			once: false,
			expects: { fields: ['custom_field.quoted_price'], timeoutMs: 300, holdingReply: 'Still checking.' },
		},
	],
	replies: { rules: [{ when: { field: 'custom_field.quoted_price' }, text: 'Your price is {{contact.custom_field.quoted_price}}.' }] },
});

const CARD_DESK = AgentConfig.parse({
	id: 'card-desk',
	name: 'Card Desk',
	actions: [
		{
			id: 'card_lookup',
			name: 'Card Lookup',
			condition: { asks: ['card'] },
			expects: { fields: ['custom_field.card_last4'], timeoutMs: 300, holdingReply: 'Looking it up.' },
		},
	],
	// A careless rule: it would read the card out. The disclosure guard must catch it on the waiting paths too.
	replies: { rules: [{ when: { field: 'custom_field.card_last4' }, text: 'Your card ends in {{contact.custom_field.card_last4}}.' }] },
	disclosure: { fields: [{ field: 'custom_field.card_last4', level: 'never' }], blockedMessage: "I can't share that here; a teammate will help." },
});

let t: TestApp;
beforeEach(async () => {
	t = await buildTestApp({ agents: testRegistry([REPEATER, CARD_DESK]), engine: createOfflineEngine(), conversations: { waitPollMs: 20, sweepIntervalMs: 0 } });
});
afterEach(async () => {
	await t.close();
});

async function contactWith(customFields: Record<string, string> = {}) {
	const contact = (await t.call('POST', '/v1/contacts', { firstName: 'Lee', customFields })).json();
	return contact.id as string;
}
async function say(agentId: string, text: string, extra: Record<string, unknown>) {
	const res = await t.call('POST', '/v1/chat', { agentId, text, ...extra });
	expect(res.statusCode).toBe(200);
	return res.json();
}
const writeLater = (contactId: string, customFields: Record<string, string>, afterMs = 80) =>
	new Promise((r) => setTimeout(r, afterMs)).then(() => t.call('PATCH', `/v1/contacts/${contactId}`, { customFields }));
const detail = async (id: string) => (await t.call('GET', `/v1/conversations/${id}`)).json();

test('a value from before the action fired is not its result: the agent waits for the new one', async () => {
	const contactId = await contactWith({ quoted_price: '$100' });
	const stale = await say('repeater', 'a quote please', { contactId });
	expect(stale.reply.text).toBe('Still checking.');
	expect(stale.waited).toMatchObject({ arrived: false });

	const [fresh] = await Promise.all([
		say('repeater', 'another quote please', { conversationId: stale.conversation.id }),
		writeLater(contactId, { quoted_price: '$120' }),
	]);
	expect(decisionFired(fresh, 'price_lookup')).toBe(true);
	expect(fresh.reply.text).toBe('Your price is $120.');
	expect(fresh.waited).toMatchObject({ arrived: true });
});

test('the same value written again after the action fired counts as its result', async () => {
	const contactId = await contactWith({ quoted_price: '$100' });
	const [r] = await Promise.all([say('repeater', 'a quote please', { contactId }), writeLater(contactId, { quoted_price: '$100' })]);
	expect(r.reply.text).toBe('Your price is $100.');
});

test('a result in time that would reveal a withheld field gets the blocked message and a human', async () => {
	const contactId = await contactWith();
	const [r] = await Promise.all([say('card-desk', 'which card do I have on file?', { contactId }), writeLater(contactId, { card_last4: '4242' })]);
	expect(r.reply.text).toBe("I can't share that here; a teammate will help.");
	expect(r.conversation.status).toBe('human');
	const d = await detail(r.conversation.id);
	expect(d.messages.some((m: any) => m.text.includes('4242'))).toBe(false);
	expect(d.timeline.find((e: any) => e.kind === 'disclosure.blocked').detail.fields).toEqual([{ field: 'custom_field.card_last4', level: 'never' }]);
});

test('a late result that would reveal a withheld field gets the blocked message and a human', async () => {
	const contactId = await contactWith();
	const r = await say('card-desk', 'which card do I have on file?', { contactId });
	expect(r.reply.text).toBe('Looking it up.');
	await t.call('PATCH', `/v1/contacts/${contactId}`, { customFields: { card_last4: '4242' } });
	const d = await detail(r.conversation.id);
	expect(d.status).toBe('human');
	expect(d.messages.map((m: any) => m.text)).toEqual(['which card do I have on file?', 'Looking it up.', "I can't share that here; a teammate will help."]);
});

function decisionFired(result: any, actionId: string): boolean {
	return result.actions.find((a: any) => a.actionId === actionId)?.fired;
}

test('a result written through this instance is read at once, not at the next poll', async () => {
	await t.close();
	// A poll interval longer than the wait itself: only the write can wake the turn in time.
	const slowPoll = AgentConfig.parse({ ...REPEATER, actions: [{ ...REPEATER.actions[0], expects: { ...REPEATER.actions[0].expects, timeoutMs: 5_000 } }] });
	t = await buildTestApp({ agents: testRegistry([slowPoll]), engine: createOfflineEngine(), conversations: { waitPollMs: 60_000, sweepIntervalMs: 0 } });
	const contactId = await contactWith();
	const [r] = await Promise.all([say('repeater', 'a quote please', { contactId }), writeLater(contactId, { quoted_price: '$90' })]);
	expect(r.reply.text).toBe('Your price is $90.');
	expect(r.waited).toMatchObject({ arrived: true });
});

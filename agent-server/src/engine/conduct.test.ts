// Disclosure: asking for a withheld field hands the conversation to a human with the blocked message, on both
// engines' shared turn logic; asking for a field the contact may be told does not.
import { AgentConfig } from './agent-config';
import { askedForWithheld } from './conduct';
import { offlineOutcome } from './offline';
import type { ContactSnapshot } from './types';

const agent = AgentConfig.parse({
	id: 'accounts',
	name: 'Accounts',
	handoff: { keywords: ['human'], message: 'A teammate will join shortly.' },
	disclosure: {
		verifiedWhen: { field: 'custom_field.account_status', equals: 'verified' },
		fields: [
			{ field: 'custom_field.plan', level: 'always', asks: ['plan'] },
			{ field: 'custom_field.balance', level: 'verified', asks: ['balance', 'how much do i owe'] },
			{ field: 'custom_field.card_last4', level: 'never', asks: ['card', 'payment method'] },
		],
		blockedMessage: "I can't share that here, {{contact.first_name | friend}} — a teammate will help.",
	},
});

function contact(customFields: ContactSnapshot['customFields']): ContactSnapshot {
	return { id: 'ct_1', firstName: 'Ada', lastName: null, email: null, phone: null, customFields, tags: [] };
}

function turn(message: string, c: ContactSnapshot) {
	return offlineOutcome({ agent, contact: c, conversation: { id: 'conv_1', channel: 'api', collected: {}, firedActions: [], turn: 2 }, transcript: [], message });
}

const verified = contact({ account_status: 'verified', plan: 'Pro', balance: '$12.50', card_last4: '4821' });
const unverified = contact({ account_status: 'unverified', plan: 'Pro', balance: '$12.50', card_last4: '4821' });

test('a never field asked for: the blocked message and a human, even when verified', () => {
	const outcome = turn('Which card do you have on file?', verified);
	expect(outcome.reply).toBe("I can't share that here, Ada — a teammate will help.");
	expect(outcome.handoff).toBe('disclosure: contact asked for custom_field.card_last4 (never)');
	expect(outcome.reply).not.toContain('4821');
});

test('a verified field: handed off before verification, answered as usual after', () => {
	expect(turn('How much do I owe?', unverified).handoff).toBe('disclosure: contact asked for custom_field.balance (verified)');
	expect(turn('How much do I owe?', verified).handoff).toBeUndefined();
	expect(askedForWithheld(agent, verified, 'what is my balance')).toBeNull();
});

test('always fields, fields without asks, and explicit handoffs keep their own behaviour', () => {
	expect(askedForWithheld(agent, unverified, 'which plan am I on?')).toBeNull();
	expect(askedForWithheld(agent, unverified, 'hello there')).toBeNull();
	const human = turn('I want a human to check my card', verified);
	expect(human.handoff).toBe('handoff keyword');
	expect(human.reply).toBe('A teammate will join shortly.');
});

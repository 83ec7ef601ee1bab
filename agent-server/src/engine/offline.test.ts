import { type AgentConfig } from './agent-config';
import { loadAgents } from '../agents/agent-files';
import { createOfflineEngine, scoreLeadOffline } from './offline';
import type { ContactSnapshot, Engine, TranscriptEntry, TurnOutcome } from './types';

export const HOT_REPLY = 'Great news! Let me connect you with a specialist. When works best for a quick call?';
export const NURTURE_REPLY = "Thanks for your interest! I'll send you some resources that might help.";

const agent = loadAgents().get('lead-qualifier')!;

/** Plays the server's part: applies contact updates, keeps collected values, fired actions and the transcript. */
function conversation(engine: Engine, a: AgentConfig = agent) {
	const contact: ContactSnapshot = { id: 'ct_1', firstName: null, lastName: null, email: null, phone: null, customFields: {}, tags: [] };
	const collected: Record<string, string> = {};
	const firedActions: string[] = [];
	const transcript: TranscriptEntry[] = [];
	let turn = 0;
	return {
		contact,
		firedActions,
		transcript,
		async say(message: string): Promise<TurnOutcome> {
			turn++;
			const outcome = await engine.runTurn({
				agent: a,
				contact: { ...contact, customFields: { ...contact.customFields }, tags: [...contact.tags] },
				conversation: { id: 'conv_1', channel: 'api', collected: { ...collected }, firedActions: [...firedActions], turn },
				transcript: [...transcript],
				message,
			});
			Object.assign(contact, outcome.contactUpdates.standard);
			Object.assign(contact.customFields, outcome.contactUpdates.custom);
			Object.assign(collected, outcome.collected);
			for (const d of outcome.actions) if (d.fired) firedActions.push(d.actionId);
			const at = new Date().toISOString();
			transcript.push({ role: 'contact', text: message, at }, { role: 'agent', text: outcome.reply, at });
			return outcome;
		},
	};
}

describe('offline engine: lead qualification chain', () => {
	test('greeting, service, then budget and timeline fire lead_scoring once; the score decides the reply', async () => {
		const engine = createOfflineEngine();
		const chat = conversation(engine);

		const hello = await chat.say('Hello');
		expect(hello.reply).toBe("Hi! I'm Lead Qualifier from Acme Digital. What can we help you with — a website, an app, SEO, marketing or branding?");
		expect(hello.modelCalls).toBe(0);
		expect(hello.actions).toEqual([
			{ actionId: 'lead_scoring', name: 'Lead Scoring', fired: false, reason: 'waiting for fields budget, timeline' },
			{ actionId: 'appointment_booked', name: 'Appointment Booked', fired: false, reason: 'waiting for fields budget, timeline' },
		]);

		const service = await chat.say("I'm Dana and I need a new website for my bakery");
		expect(service.collected).toEqual({ name: 'Dana', service_needed: 'website' });
		expect(service.contactUpdates).toEqual({ standard: { firstName: 'Dana' }, custom: { service_interest: 'website' } });
		expect(service.reply).toBe('What budget do you have in mind for this project?');
		expect(service.intent).toBe('ready_to_buy');

		const qualified = await chat.say("Our budget is $25,000 and we'd like to launch within 1 month");
		expect(qualified.collected).toEqual({ budget: '$25,000', timeline: 'within 1 month' });
		expect(qualified.contactUpdates.custom).toEqual({ budget_range: '$25,000', project_timeline: 'within 1 month' });
		expect(qualified.actions[0]).toEqual({ actionId: 'lead_scoring', name: 'Lead Scoring', fired: true, reason: 'fields budget, timeline provided', fields: { budget: '$25,000', timeline: 'within 1 month' } });
		expect(qualified.reply).toBe('Thanks Dana! Let me review your details — one moment.');
		expect(qualified.summary).toBe('Dana wants a website, budget $25,000, timeline within 1 month.');

		const waiting = await chat.say('Sounds good');
		expect(waiting.actions[0]).toMatchObject({ fired: false, reason: 'already fired in this conversation' });
		expect(waiting.reply).toBe("What's the best email to reach you?");

		// The Lead Scoring workflow writes the score back to the contact.
		chat.contact.customFields.lead_score = 8;
		const hot = await chat.say('So, what happens next?');
		expect(hot.reply).toBe(HOT_REPLY);
		expect(hot.actions.every((a) => !a.fired)).toBe(true);

		const booking = await chat.say('Tomorrow at 10am works, please book the call');
		expect(booking.actions[1]).toMatchObject({ actionId: 'appointment_booked', fired: true, reason: 'fields budget, timeline provided and intent book_call detected' });
		expect(booking.collected).toEqual({});
		expect(booking.reply).toBe("Perfect, Dana! I've passed your request to our specialist, who will confirm the call by email.");
		expect(chat.firedActions).toEqual(['lead_scoring', 'appointment_booked']);
	});

	test('a low score gives the nurture reply, and an unknown first name degrades cleanly', async () => {
		const chat = conversation(createOfflineEngine());
		await chat.say('I need a website');
		const qualified = await chat.say('We only have about $500 and maybe next year');
		expect(qualified.collected).toEqual({ budget: '$500', timeline: 'next year' });
		expect(qualified.actions[0].fired).toBe(true);
		expect(qualified.reply).toBe('Thanks! Let me review your details — one moment.');
		chat.contact.customFields.lead_score = 3;
		expect((await chat.say('So, what happens next?')).reply).toBe(NURTURE_REPLY);
	});

	test('asks the next missing field, then the optional ones once, then says all is collected', async () => {
		const chat = conversation(createOfflineEngine());
		expect((await chat.say('website please')).reply).toContain('What budget do you have in mind');
		expect((await chat.say('10000')).reply).toBe('And when would you like to get started?');
		await chat.say('in 3 weeks');
		expect((await chat.say('ok')).reply).toBe('May I have your name?');
		const name = await chat.say('Dana Smith');
		expect(name.contactUpdates.standard).toEqual({ firstName: 'Dana', lastName: 'Smith' });
		expect(name.reply).toBe("What's the best email to reach you?");
		const skipped = await chat.say('I would rather not say');
		expect(skipped.reply).toBe('Thanks, I have everything I need. Is there anything else I can help you with?');
	});

	test('tags and sentiment come with the outcome', async () => {
		const chat = conversation(createOfflineEngine());
		const outcome = await chat.say('How much would an app cost? We need it ASAP, our current one is terrible');
		expect(outcome.tags).toEqual(['interested_pricing', 'urgent_need']);
		expect(outcome.sentiment).toBe('negative');
		expect(outcome.collected).toEqual({ service_needed: 'app', timeline: 'ASAP' });
	});
});

describe('offline lead scorer', () => {
	const contact: ContactSnapshot = { id: 'c', firstName: null, lastName: null, email: null, phone: null, customFields: {}, tags: [] };

	test('website, $25,000, within 1 month scores at least 7', () => {
		const result = scoreLeadOffline({
			contact: { ...contact, customFields: { service_interest: 'website', budget_range: '$25,000', project_timeline: 'within 1 month' } },
			collected: { service_needed: 'website', budget: '$25,000', timeline: 'within 1 month' },
			transcript: [],
		});
		expect(result.score).toBeGreaterThanOrEqual(7);
		expect(Number.isInteger(result.score)).toBe(true);
		expect(result.rationale).toContain('budget $25,000 (+4)');
		expect(result.confidence).toBeGreaterThan(0);
		expect(result.confidence).toBeLessThanOrEqual(1);
	});

	test('$500 and next year scores at most 4, even with full contact details', () => {
		const result = scoreLeadOffline({
			contact: { ...contact, firstName: 'Dana', email: 'dana@example.com' },
			collected: { service_needed: 'website', budget: '$500', timeline: 'next year' },
			transcript: [],
		});
		expect(result.score).toBeLessThanOrEqual(4);
		expect(result.score).toBeGreaterThanOrEqual(1);
	});

	test('reads the transcript when nothing was collected, and never goes below 1', () => {
		const fromTranscript = scoreLeadOffline({
			contact,
			collected: {},
			transcript: [{ role: 'contact', text: "I'm Dana, we have $30k and need it within 2 weeks", at: '' }],
		});
		expect(fromTranscript.score).toBe(8);
		expect(scoreLeadOffline({ contact, collected: {}, transcript: [] }).score).toBe(1);
	});
});

test('a summary names a service known by its initials without an article: "wants SEO", and "an app" with one', async () => {
	const seo = await conversation(createOfflineEngine()).say("I'm Sam and I need help with SEO for my shop");
	expect(seo.summary).toMatch(/^Sam wants SEO\b/);
	const app = await conversation(createOfflineEngine()).say("I'm Ann and I want an app for my gym");
	expect(app.summary).toMatch(/^Ann wants an app\b/);
});

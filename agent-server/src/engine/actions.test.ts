import { validateAgentConfig, type AgentConfig } from './agent-config';
import { evaluateActions, evaluateTags } from './actions';
import { loadAgents } from '../agents/agent-files';

const leadQualifier = loadAgents().get('lead-qualifier')!;

function agentWith(extra: Record<string, unknown>): AgentConfig {
	const result = validateAgentConfig({
		id: 'a',
		name: 'A',
		fields: [
			{ name: 'budget', question: 'Budget?', mapsTo: 'custom_field.budget', extract: { kind: 'amount' } },
			{ name: 'timeline', question: 'When?', mapsTo: 'custom_field.timeline', extract: { kind: 'timeline' } },
		],
		intents: [{ name: 'book', keywords: ['book'] }],
		...extra,
	});
	if (!result.ok) throw new Error(result.errors.join('\n'));
	return result.agent;
}

describe('action decisions', () => {
	const base = { agent: leadQualifier, collectedNow: {}, intent: null, firedActions: [] as string[] };

	test('fires with the matched condition as reason', () => {
		const known = { budget: '$25,000', timeline: 'within 1 month' };
		const [scoring, booked] = evaluateActions({ ...base, known, collectedNow: known });
		expect(scoring).toEqual({ actionId: 'lead_scoring', name: 'Lead Scoring', fired: true, reason: 'fields budget, timeline provided', fields: { budget: '$25,000', timeline: 'within 1 month' } });
		expect(booked).toMatchObject({ actionId: 'appointment_booked', fired: false, reason: 'waiting for intent book_call' });
	});

	test('waits for the missing fields, naming them', () => {
		expect(evaluateActions({ ...base, known: { budget: '$25,000' } })[0].reason).toBe('waiting for field timeline');
		expect(evaluateActions({ ...base, known: {} })[0].reason).toBe('waiting for fields budget, timeline');
	});

	test('a once action does not fire twice in a conversation', () => {
		const known = { budget: '$25,000', timeline: 'within 1 month' };
		const [scoring] = evaluateActions({ ...base, known, firedActions: ['lead_scoring'] });
		expect(scoring).toMatchObject({ fired: false, reason: 'already fired in this conversation' });
	});

	test('intent conditions and repeatable actions', () => {
		const agent = agentWith({ actions: [{ id: 'go', name: 'Go', condition: { intent: ['book'], fieldsProvided: ['budget'] }, once: false }] });
		const known = { budget: '$1' };
		expect(evaluateActions({ agent, known, collectedNow: {}, intent: 'book', firedActions: ['go'] })[0]).toMatchObject({
			fired: true,
			reason: 'field budget provided and intent book detected',
		});
		const repeat = agentWith({ actions: [{ id: 'go', name: 'Go', condition: { fieldsProvided: ['budget'] }, once: false }] });
		expect(evaluateActions({ agent: repeat, known, collectedNow: {}, intent: null, firedActions: ['go'] })[0].fired).toBe(false);
		expect(evaluateActions({ agent: repeat, known, collectedNow: known, intent: null, firedActions: ['go'] })[0].fired).toBe(true);
	});

	test('tag conditions (the per-conversation cap is the server\'s, not the rules\')', () => {
		const agent = agentWith({
			actions: [
				{ id: 'first', name: 'First', condition: { tags: ['vip'] } },
				{ id: 'second', name: 'Second', condition: { fieldsProvided: ['budget'] } },
			],
			limits: { workflowTriggersPerConversation: 1 },
		});
		const contact = { id: 'c', firstName: null, lastName: null, email: null, phone: null, customFields: {}, tags: ['vip'] };
		const decisions = evaluateActions({ agent, known: { budget: '$1' }, collectedNow: {}, intent: null, firedActions: [], contact });
		expect(decisions[0]).toMatchObject({ fired: true, reason: 'tag vip present' });
		expect(decisions[1]).toMatchObject({ fired: true });
		expect(evaluateActions({ agent, known: {}, collectedNow: {}, intent: null, firedActions: [], contact: { ...contact, tags: [] } })[0].reason).toBe(
			'waiting for tag vip',
		);
	});

	test('tag rules from keywords and intents', () => {
		expect(evaluateTags(leadQualifier, 'How much would it cost? We need it ASAP', 'get_quote', 'neutral')).toEqual(['interested_pricing', 'urgent_need']);
		expect(evaluateTags(leadQualifier, 'hello', null, 'neutral')).toEqual([]);
	});
});

describe('what a fired action carries', () => {
	test("a returning contact's stored values that satisfied the condition are the action's fields", () => {
		const known = { budget: '$40,000', timeline: 'this quarter' };
		const [scoring] = evaluateActions({ agent: leadQualifier, known, collectedNow: {}, intent: null, firedActions: [] });
		expect(scoring).toMatchObject({ fired: true, fields: { budget: '$40,000', timeline: 'this quarter' } });
	});
});

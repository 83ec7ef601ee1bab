// The event envelope contract: the documented JSON Schema, the versioned example of each event type, and the events
// a real conversation emits all agree.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { exampleEnvelope } from '../events/examples';
import { createOfflineEngine } from '../engine/offline';
import { loadAgents } from '../agents/agent-files';
import { buildTestApp, type TestApp } from '../testing/harness';

import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const docs = path.join(__dirname, '..', '..', '..', 'docs', 'events');
const TYPES = ['agent.action.triggered', 'conversation.ended', 'contact.tag.added', 'conversation.message.outgoing', 'conversation.handoff'] as const;
// allowUnionTypes: custom field values are string | number | boolean | null.
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(path.join(docs, 'envelope.schema.json'), 'utf8')));
const example = (type: string) => JSON.parse(readFileSync(path.join(docs, 'examples', 'v1', `${type}.json`), 'utf8'));

function expectValid(envelope: unknown) {
	const ok = validate(envelope);
	expect(validate.errors ?? null).toBeNull();
	expect(ok).toBe(true);
}

/** Every key path of an object (arrays by their first item), to compare shapes. */
function shape(value: unknown, prefix = ''): string[] {
	if (Array.isArray(value)) return value.length ? shape(value[0], `${prefix}[]`) : [];
	if (value === null || typeof value !== 'object') return [];
	return Object.entries(value).flatMap(([k, v]) => {
		const key = prefix ? `${prefix}.${k}` : k;
		// Maps keyed by user data have no fixed keys.
		return ['customFields', 'collected', 'variables'].includes(k) ? [key] : [key, ...shape(v, key)];
	});
}

test.each(TYPES)('the versioned example of %s matches the schema, and so does the test event', (type) => {
	expectValid(example(type));
	expect(example(type).type).toBe(type);
	expectValid(exampleEnvelope(type, 'ws_1'));
	expect(validate({ ...example(type), version: 2 })).toBe(false);
	const { action: _a, ending: _e, tag: _t, message: _m, handoff: _h, ...withoutDetail } = example(type);
	expect(validate(withoutDetail)).toBe(false);
});

describe('events of a real conversation', () => {
	let t: TestApp;
	beforeAll(async () => {
		t = await buildTestApp({ agents: loadAgents(), engine: createOfflineEngine(), conversations: { sweepIntervalMs: 0 } });
	});
	afterAll(async () => {
		await t.close();
	});

	test('match the schema and have the same fields as the examples', async () => {
		const say = async (text: string, conversationId?: string) =>
			(await t.call('POST', '/v1/chat', { agentId: 'lead-qualifier', text, ...(conversationId ? { conversationId } : {}) })).json();
		const first = await say("Hi, I'm Dana and I need a website. What's the price?");
		// lead_scoring waits for lead_score: answer as the workflow would while the turn waits.
		const scored = say('Our budget is $25,000 and we want to start within 1 month', first.conversation.id);
		await new Promise((r) => setTimeout(r, 100));
		await t.call('PATCH', `/v1/contacts/${first.contact.id}`, { customFields: { lead_score: 8 } });
		expect((await scored).reply.text).toBe('Great news! Let me connect you with a specialist. When works best for a quick call?');
		await t.call('POST', `/v1/conversations/${first.conversation.id}/end`);
		const rows = await t.app.agentBridge.store.db.selectFrom('events').selectAll().execute();
		const envelopes = rows.map((r) => JSON.parse(r.envelope));
		expect(envelopes.map((e) => e.type).sort()).toEqual(['agent.action.triggered', 'contact.tag.added', 'conversation.ended']);
		for (const envelope of envelopes) {
			expectValid(envelope);
			expect(shape(envelope).sort()).toEqual(shape(example(envelope.type)).sort());
		}
		const ended = envelopes.find((e) => e.type === 'conversation.ended');
		expect(ended.transcript).toHaveLength(4);
		expect(ended.collected).toMatchObject({ service_needed: 'website', budget: '$25,000' });
		expect(ended.contact.tags).toEqual(['interested_pricing']);
		expect(ended.conversation.status).toBe('ended');
		// The tag's own event already shows the contact with it.
		expect(envelopes.find((e) => e.type === 'contact.tag.added').contact.tags).toEqual(['interested_pricing']);
	});

	test('a contact asking for a person raises conversation.handoff, matching the schema and the example', async () => {
		const r = (await t.call('POST', '/v1/chat', { agentId: 'lead-qualifier', text: 'Can I talk to a real person please?', channel: 'web' })).json();
		expect(r.conversation.status).toBe('human');
		const rows = await t.app.agentBridge.store.db.selectFrom('events').selectAll().where('conversation_id', '=', r.conversation.id).execute();
		const handoff = rows.map((row) => JSON.parse(row.envelope)).find((e) => e.type === 'conversation.handoff');
		expectValid(handoff);
		expect(shape(handoff).sort()).toEqual(shape(example('conversation.handoff')).sort());
		expect(handoff.conversation.status).toBe('human');
		expect(handoff.handoff).toEqual({ reason: expect.stringMatching(/wants_human/), by: 'agent', consolePath: `/console?conversation=${r.conversation.id}`, consoleUrl: null });
		const detail = (await t.call('GET', `/v1/conversations/${r.conversation.id}`)).json();
		expect(detail.timeline.find((e: { kind: string }) => e.kind === 'handoff').detail.eventId).toBe(handoff.id);
	});
});

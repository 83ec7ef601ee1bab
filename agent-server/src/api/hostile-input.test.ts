// Hostile input from a tenant or an anonymous visitor: patterns that would backtrack, control characters, invalid
// UTF-8, lone surrogates and over-long ids are handled (or refused with a 400 naming the field) alike on both databases.
import type { LightMyRequestResponse } from 'fastify';
import { createOfflineEngine } from '../engine/offline';
import { ID_MAX_LENGTH } from '../limits';
import { buildTestApp, testRegistry, type TestApp } from '../testing/harness';

const TABLES = ['workspace_agents', 'contacts', 'conversations', 'messages', 'timeline', 'events', 'deliveries', 'subscriptions', 'widget_keys', 'widget_sessions'] as const;

let t: TestApp;
beforeEach(async () => {
	t = await buildTestApp({ agents: testRegistry(), engine: createOfflineEngine(), conversations: { sweepIntervalMs: 0 } });
});
afterEach(() => t.close());

async function dbState() {
	const db = t.app.agentBridge.store.db;
	const out: Record<string, unknown[]> = {};
	for (const table of TABLES) out[table] = await db.selectFrom(table).selectAll().execute();
	return out;
}

async function expectRefused(request: () => Promise<LightMyRequestResponse>, status: number, message: RegExp) {
	const before = await dbState();
	const res = await request();
	expect({ status: res.statusCode, message: res.json().message }).toEqual({ status, message: expect.stringMatching(message) });
	expect(await dbState()).toEqual(before);
}

const catastrophic = {
	id: 'order-desk',
	name: 'Order Desk',
	fields: [{ name: 'code', question: 'Your code?', mapsTo: 'custom_field.code', extract: { kind: 'pattern', pattern: '^(a+)+$' } }],
};

describe('agent patterns', () => {
	test('a pattern that backtracks exponentially in JavaScript answers a long message at once, and /healthz keeps answering', async () => {
		expect((await t.call('POST', '/v1/agents', catastrophic)).statusCode).toBe(201);
		// 4000 characters: a backtracking engine would need longer than the age of the universe.
		const text = `${'a'.repeat(3999)}b`;
		const [chat, health] = await Promise.all([
			t.call('POST', '/v1/chat', { agentId: 'order-desk', text }),
			t.app.inject({ method: 'GET', url: '/healthz' }),
		]);
		expect(health.statusCode).toBe(200);
		expect(chat.statusCode).toBe(200);
		const contact = await t.call('GET', `/v1/contacts/${chat.json().contact.id}`);
		expect(contact.json().customFields.code).toBeUndefined();
		// The same pattern still matches what it should.
		const hit = await t.call('POST', '/v1/chat', { agentId: 'order-desk', text: 'aaaa' });
		expect((await t.call('GET', `/v1/contacts/${hit.json().contact.id}`)).json().customFields.code).toBe('aaaa');
	});

	test('a pattern with lookahead or a backreference is refused at validation with the reason', async () => {
		const withPattern = (pattern: string) => ({ ...catastrophic, fields: [{ ...catastrophic.fields[0], extract: { kind: 'pattern', pattern } }] });
		await expectRefused(() => t.call('POST', '/v1/agents', withPattern('(\\d+)(?!px)')), 400, /fields\.0\.extract\.pattern: .*`\(\?!`.*linear time: lookahead, lookbehind and backreferences are not available/);
		await expectRefused(() => t.call('POST', '/v1/agents', withPattern('(a)\\1')), 400, /fields\.0\.extract\.pattern: .*\\1.*linear time/);
	});
});

describe('text hygiene', () => {
	test('a NUL byte in the widget key of the public agent route is a 400 naming the field', async () => {
		await expectRefused(() => t.app.inject({ method: 'GET', url: '/widget/v1/agents/test-agent?key=a%00b' }), 400, /^querystring\/key: must not contain control characters/);
	});

	test('control characters in a body field, a path parameter or a JSON key are refused with the field named', async () => {
		await expectRefused(() => t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi\u0000there' }), 400, /^body\/text: must not contain control characters/);
		await expectRefused(() => t.call('POST', '/v1/contacts', { firstName: 'Dana\u001b[31m' }), 400, /^body\/firstName: must not contain control characters/);
		await expectRefused(() => t.call('POST', '/v1/contacts', { customFields: { ['a\u0000']: 'x' } }), 400, /^body\/customFields: a key must not contain control characters/);
		await expectRefused(() => t.call('GET', '/v1/contacts/ct_%00'), 400, /^params\/id: must not contain control characters/);
		await expectRefused(() => t.call('DELETE', '/v1/contacts/ct_1/tags/vip%07'), 400, /^params\/tag: must not contain control characters/);
	});

	test('tabs and newlines are ordinary text', async () => {
		const res = await t.call('POST', '/v1/contacts', { firstName: 'Dana', customFields: { note: 'line one\n\tline two\r\n' } });
		expect(res.statusCode).toBe(201);
		expect((await t.call('GET', `/v1/contacts/${res.json().id}`)).json().customFields.note).toBe('line one\n\tline two\r\n');
	});

	test('invalid UTF-8 in a body or a URL, and lone surrogates, are refused', async () => {
		const bad = Buffer.concat([Buffer.from('{"agentId":"test-agent","text":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
		await expectRefused(
			() => t.app.inject({ method: 'POST', url: '/v1/chat', headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' }, payload: bad }),
			400,
			/^body: is not valid UTF-8/,
		);
		await expectRefused(() => t.call('GET', '/v1/contacts/ct_%FF'), 400, /is not a valid url component/);
		await expectRefused(() => t.call('GET', '/v1/contacts?email=%C3%28'), 400, /^querystring\/email: is not valid percent-encoded UTF-8/);
		const surrogate = '{"agentId":"test-agent","text":"hi \\ud800 there"}';
		await expectRefused(
			() => t.app.inject({ method: 'POST', url: '/v1/chat', headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' }, payload: surrogate }),
			400,
			/^body\/text: must not contain lone surrogates/,
		);
		// A well-formed pair (an emoji) is fine.
		const ok = await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'hi 😀' });
		expect(ok.statusCode).toBe(200);
	});
});

describe('ids', () => {
	const long = 'a'.repeat(ID_MAX_LENGTH + 1);

	test(`an agent id over ${ID_MAX_LENGTH} characters cannot be created, and looking one up is a 400, not a 404`, async () => {
		await expectRefused(() => t.call('POST', '/v1/agents', { ...catastrophic, id: long }), 400, new RegExp(`id: .*${ID_MAX_LENGTH}`));
		await expectRefused(() => t.call('GET', `/v1/agents/${long}`), 400, /^params\/agentId: /);
		await expectRefused(() => t.call('DELETE', `/v1/subscriptions/${long}`), 400, /^params\/id: /);
	});

	test(`an agent id of exactly ${ID_MAX_LENGTH} characters can be created, read, replaced and deleted`, async () => {
		const id = 'a'.repeat(ID_MAX_LENGTH);
		expect((await t.call('POST', '/v1/agents', { ...catastrophic, id })).statusCode).toBe(201);
		expect((await t.call('GET', `/v1/agents/${id}`)).statusCode).toBe(200);
		expect((await t.call('PUT', `/v1/agents/${id}`, { ...catastrophic, id, name: 'Renamed' })).json().name).toBe('Renamed');
		expect((await t.call('DELETE', `/v1/agents/${id}`)).statusCode).toBe(204);
	});
});

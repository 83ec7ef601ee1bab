// Hostile input from a tenant or an anonymous visitor: patterns that would backtrack, control characters, invalid
// UTF-8, lone surrogates and over-long ids are handled (or refused with a 400 naming the field) alike on both databases.
import type { LightMyRequestResponse } from 'fastify';
import { patternCacheUsage } from '../engine/agent-patterns';
import { extractFields, extractionBudget } from '../engine/extract';
import { AgentConfig } from '../engine/agent-config';
import { createOfflineEngine } from '../engine/offline';
import {
	AGENT_CHANNELS_MAX,
	AGENT_DESCRIPTION_MAX_CHARS,
	AGENT_NAME_MAX_CHARS,
	FIELDS_PER_AGENT,
	ID_MAX_LENGTH,
	PATTERN_CACHE_BYTES,
	PATTERN_PROGRAM_MAX,
	PATTERN_REPEAT_MAX,
	PATTERN_TEXT_MAX_CHARS,
} from '../limits';
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
		// A backtracking engine would need longer than the age of the universe for the 1,000 characters a pattern reads.
		const text = `${'a'.repeat(999)}b${'a'.repeat(3000)}`;
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

describe('what an agent pattern may cost', () => {
	const withPattern = (pattern: string) => ({ ...catastrophic, fields: [{ ...catastrophic.fields[0], extract: { kind: 'pattern', pattern } }] });

	test(`a counted repetition over {${PATTERN_REPEAT_MAX}} or a pattern compiling past ${PATTERN_PROGRAM_MAX} instructions is refused at validation, and refused patterns never enter the cache`, async () => {
		const before = patternCacheUsage();
		await expectRefused(() => t.call('POST', '/v1/agents', withPattern('.{0,1000}x')), 400, /fields\.0\.extract\.pattern: .*counted repetition is at most \{100\} \(this one is 1000\)/);
		await expectRefused(() => t.call('POST', '/v1/agents', withPattern('(?:(?:a{0,10}){0,10}){0,10}')), 400, new RegExp(`fields\\.0\\.extract\\.pattern: .*at most ${PATTERN_PROGRAM_MAX} instructions`));
		// Many small repetitions add up: 8 times \pL{0,50} is about 800 instructions.
		await expectRefused(() => t.call('POST', '/v1/agents', withPattern('(\\pL{0,50})'.repeat(8))), 400, new RegExp(`fields\\.0\\.extract\\.pattern: .*at most ${PATTERN_PROGRAM_MAX} instructions`));
		expect(patternCacheUsage()).toEqual(before);
		// What real agents use stays well inside.
		expect((await t.call('POST', '/v1/agents', withPattern('(?:order|ref)\\s*#?\\s*([A-Z]{2}-?\\d{4,8})'))).statusCode).toBe(201);
	});

	test(`a pattern reads the first ${PATTERN_TEXT_MAX_CHARS} characters of a message`, async () => {
		expect((await t.call('POST', '/v1/agents', withPattern('code (\\d+)'))).statusCode).toBe(201);
		const early = await t.call('POST', '/v1/chat', { agentId: 'order-desk', text: `code 42 ${'x'.repeat(3000)}` });
		expect((await t.call('GET', `/v1/contacts/${early.json().contact.id}`)).json().customFields.code).toBe('42');
		const late = await t.call('POST', '/v1/chat', { agentId: 'order-desk', text: `${'x'.repeat(PATTERN_TEXT_MAX_CHARS)} code 42` });
		expect((await t.call('GET', `/v1/contacts/${late.json().contact.id}`)).json().customFields.code).toBeUndefined();
	});

	test('one budget covers the whole message: once spent, not even the rest of a keyword list is read, and the fields not read are as if not given', () => {
		const agent = AgentConfig.parse({
			id: 'many',
			name: 'Many',
			fields: [
				{ name: 'plan', question: 'Plan?', mapsTo: 'custom_field.plan', extract: { kind: 'keywords', keywords: [{ match: ['basic'], value: 'basic' }, { match: ['pro'], value: 'pro' }] } },
				{ name: 'code', question: 'Code?', mapsTo: 'custom_field.code', extract: { kind: 'pattern', pattern: 'code (\\d+)' } },
			],
		});
		let checks = 0;
		// Spent after its second check: the first keyword entry is read, the second and the pattern field are not.
		const budget = { spent: () => ++checks > 2 };
		expect(extractFields(agent, 'pro plan, code 42', { budget })).toEqual({});
		expect(extractFields(agent, 'pro plan, code 42', { budget: extractionBudget() })).toEqual({ plan: 'pro', code: '42' });
	});

	test('the compiled pattern cache is bounded in bytes', () => {
		const fields = (from: number) =>
			Array.from({ length: FIELDS_PER_AGENT }, (_, i) => ({ name: `f${i}`, question: 'Q?', mapsTo: `custom_field.f${i}`, extract: { kind: 'pattern', pattern: `(\\pL{0,30}\\d{0,30})${from + i}` } }));
		for (let round = 0; round < 40; round++) {
			extractFields(AgentConfig.parse({ id: 'big', name: 'Big', fields: fields(round * FIELDS_PER_AGENT) }), 'hello 1');
			expect(patternCacheUsage().bytes).toBeLessThanOrEqual(PATTERN_CACHE_BYTES);
		}
		expect(patternCacheUsage().entries).toBeLessThan(40 * FIELDS_PER_AGENT);
	});
});

describe('agent texts have a documented length', () => {
	test(`an agent's name (${AGENT_NAME_MAX_CHARS}), description (${AGENT_DESCRIPTION_MAX_CHARS}), channels (${AGENT_CHANNELS_MAX}) and fields (${FIELDS_PER_AGENT}) are bounded`, async () => {
		const base = { id: 'sized', name: 'Sized' };
		await expectRefused(() => t.call('POST', '/v1/agents', { ...base, name: 'n'.repeat(AGENT_NAME_MAX_CHARS + 1) }), 400, /name/);
		await expectRefused(() => t.call('POST', '/v1/agents', { ...base, description: 'd'.repeat(100_000) }), 400, /description/);
		await expectRefused(() => t.call('POST', '/v1/agents', { ...base, channels: Array.from({ length: 101 }, (_, i) => `c${i}`) }), 400, /channels/);
		const field = (i: number) => ({ name: `f${i}`, question: 'Q?', mapsTo: `custom_field.f${i}`, extract: { kind: 'email' } });
		await expectRefused(() => t.call('POST', '/v1/agents', { ...base, fields: Array.from({ length: FIELDS_PER_AGENT + 1 }, (_, i) => field(i)) }), 400, /fields/);
		expect((await t.call('POST', '/v1/agents', { ...base, name: 'n'.repeat(AGENT_NAME_MAX_CHARS), description: 'd'.repeat(AGENT_DESCRIPTION_MAX_CHARS) })).statusCode).toBe(201);
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

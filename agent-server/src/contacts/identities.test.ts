// Contact identities over the API, on the database the suite runs on (SQLite, or PostgreSQL in server-pg): unique per
// workspace, concurrent adds of one identity, finding a contact by identity, and merging two contacts.
import { buildTestApp, type TestApp } from '../testing/harness';
import { addApiKey, createWorkspace } from '../store/workspaces';

let t: TestApp;
beforeEach(async () => {
	t = await buildTestApp();
});
afterEach(async () => t.close());

const newContact = async (body: Record<string, unknown> = {}) => (await t.call('POST', '/v1/contacts', body)).json() as { id: string };

describe('contact identities', () => {
	test('an identity added to a contact is listed and finds the contact', async () => {
		const contact = await newContact({ firstName: 'Ada' });
		const added = await t.call('POST', `/v1/contacts/${contact.id}/identities`, { channel: 'telegram', address: '424242' });
		expect(added.statusCode).toBe(201);
		expect(added.json().data).toEqual([{ channel: 'telegram', address: '424242', createdAt: expect.any(String) }]);
		const again = await t.call('POST', `/v1/contacts/${contact.id}/identities`, { channel: 'telegram', address: '424242' });
		expect(again.statusCode).toBe(200);
		expect(again.json().data).toHaveLength(1);
		expect((await t.call('GET', `/v1/contacts/${contact.id}/identities`)).json().data).toEqual([expect.objectContaining({ channel: 'telegram', address: '424242' })]);
		const found = await t.call('GET', '/v1/contacts?channel=telegram&address=424242');
		expect(found.json().data.map((c: { id: string }) => c.id)).toEqual([contact.id]);
		expect((await t.call('GET', '/v1/contacts?channel=sms&address=424242')).json().data).toEqual([]);
	});

	test('an identity that belongs to another contact of the workspace is refused with 409', async () => {
		const first = await newContact();
		const second = await newContact();
		await t.call('POST', `/v1/contacts/${first.id}/identities`, { channel: 'sms', address: '+4915112345678' });
		const taken = await t.call('POST', `/v1/contacts/${second.id}/identities`, { channel: 'sms', address: '+4915112345678' });
		expect(taken.statusCode).toBe(409);
		expect(taken.json().message).toContain(first.id);
		expect((await t.call('GET', `/v1/contacts/${second.id}/identities`)).json().data).toEqual([]);
	});

	test('the same identity in two workspaces belongs to a contact in each', async () => {
		const ws = await createWorkspace(t.app.agentBridge.store.db, 'Other');
		await addApiKey(t.app.agentBridge.store.db, ws.id, 'ab_other_workspace_key');
		const other = (method: 'GET' | 'POST', url: string, body?: object) =>
			t.app.inject({ method, url, headers: { authorization: 'Bearer ab_other_workspace_key' }, ...(body ? { payload: body } : {}) });
		const mine = await newContact();
		const theirs = (await other('POST', '/v1/contacts', {})).json();
		expect((await t.call('POST', `/v1/contacts/${mine.id}/identities`, { channel: 'email', address: 'sam@example.com' })).statusCode).toBe(201);
		expect((await other('POST', `/v1/contacts/${theirs.id}/identities`, { channel: 'email', address: 'sam@example.com' })).statusCode).toBe(201);
		expect((await t.call('GET', '/v1/contacts?channel=email&address=sam@example.com')).json().data.map((c: { id: string }) => c.id)).toEqual([mine.id]);
		expect((await other('GET', '/v1/contacts?channel=email&address=sam@example.com')).json().data.map((c: { id: string }) => c.id)).toEqual([theirs.id]);
		expect((await other('GET', `/v1/contacts/${mine.id}/identities`)).statusCode).toBe(404);
	});

	test('ten contacts adding the same identity at once: exactly one gets it, the others get 409', async () => {
		const contacts = await Promise.all(Array.from({ length: 10 }, () => newContact()));
		const answers = await Promise.all(contacts.map((c) => t.call('POST', `/v1/contacts/${c.id}/identities`, { channel: 'whatsapp', address: '+15550001' })));
		expect(answers.map((a) => a.statusCode).sort()).toEqual([201, ...Array(9).fill(409)]);
		const winner = contacts[answers.findIndex((a) => a.statusCode === 201)];
		expect((await t.call('GET', '/v1/contacts?channel=whatsapp&address=%2B15550001')).json().data.map((c: { id: string }) => c.id)).toEqual([winner.id]);
	});

	test('bad identities and half queries get 400 and change nothing', async () => {
		const contact = await newContact();
		expect((await t.call('POST', `/v1/contacts/${contact.id}/identities`, { channel: '', address: '1' })).statusCode).toBe(400);
		expect((await t.call('POST', `/v1/contacts/${contact.id}/identities`, { channel: 'telegram' })).statusCode).toBe(400);
		expect((await t.call('GET', '/v1/contacts?channel=telegram')).statusCode).toBe(400);
		expect((await t.call('POST', '/v1/contacts/ct_missing/identities', { channel: 'telegram', address: '1' })).statusCode).toBe(404);
		expect((await t.call('GET', `/v1/contacts/${contact.id}/identities`)).json().data).toEqual([]);
	});

	test('a nodes key may list, add and merge identities', async () => {
		const nodesKey = (await t.call('POST', '/v1/api-keys', { name: 'n8n', scopes: ['nodes'] })).json().key;
		const contact = await newContact();
		const added = await t.app.inject({
			method: 'POST',
			url: `/v1/contacts/${contact.id}/identities`,
			headers: { authorization: `Bearer ${nodesKey}` },
			payload: { channel: 'slack', address: 'U123' },
		});
		expect(added.statusCode).toBe(201);
	});
});

describe('merging contacts', () => {
	test('the target takes the identities, conversations, missing fields and tags of the source, which is deleted', async () => {
		const target = await newContact({ firstName: 'Ada', email: 'ada@example.com', customFields: { plan: 'pro' }, tags: ['vip'] });
		const source = await newContact({ firstName: 'A.', phone: '+4915100000', customFields: { plan: 'free', city: 'Berlin' }, tags: ['telegram', 'vip'] });
		await t.call('POST', `/v1/contacts/${target.id}/identities`, { channel: 'email', address: 'ada@example.com' });
		await t.call('POST', `/v1/contacts/${source.id}/identities`, { channel: 'telegram', address: '777' });
		const chat = (await t.call('POST', '/v1/chat', { agentId: 'test-agent', contactId: source.id, text: 'hello' })).json();

		const merged = await t.call('POST', `/v1/contacts/${target.id}/merge`, { fromContactId: source.id });
		expect(merged.statusCode).toBe(200);
		const contact = (await t.call('GET', `/v1/contacts/${target.id}`)).json();
		expect(contact).toMatchObject({ firstName: 'Ada', email: 'ada@example.com', phone: '+4915100000', customFields: { plan: 'pro', city: 'Berlin' } });
		expect([...contact.tags].sort()).toEqual(['telegram', 'vip']);
		expect((await t.call('GET', `/v1/contacts/${target.id}/identities`)).json().data.map((i: { channel: string }) => i.channel).sort()).toEqual(['email', 'telegram']);
		expect((await t.call('GET', '/v1/contacts?channel=telegram&address=777')).json().data.map((c: { id: string }) => c.id)).toEqual([target.id]);
		expect((await t.call('GET', `/v1/conversations/${chat.conversation.id}`)).json().contactId).toBe(target.id);
		expect((await t.call('GET', `/v1/contacts/${source.id}`)).statusCode).toBe(404);
	});

	test('merging into itself or from an unknown contact is refused and changes nothing', async () => {
		const contact = await newContact({ firstName: 'Bo' });
		await t.call('POST', `/v1/contacts/${contact.id}/identities`, { channel: 'sms', address: '+1' });
		expect((await t.call('POST', `/v1/contacts/${contact.id}/merge`, { fromContactId: contact.id })).statusCode).toBe(400);
		expect((await t.call('POST', `/v1/contacts/${contact.id}/merge`, { fromContactId: 'ct_missing' })).statusCode).toBe(404);
		expect((await t.call('GET', `/v1/contacts/${contact.id}/identities`)).json().data).toHaveLength(1);
	});

	test('a merge past the tag limit is refused whole', async () => {
		const target = await newContact({ tags: Array.from({ length: 60 }, (_, i) => `a${i}`) });
		const source = await newContact({ tags: Array.from({ length: 60 }, (_, i) => `b${i}`) });
		await t.call('POST', `/v1/contacts/${source.id}/identities`, { channel: 'sms', address: '+2' });
		expect((await t.call('POST', `/v1/contacts/${target.id}/merge`, { fromContactId: source.id })).statusCode).toBe(409);
		expect((await t.call('GET', `/v1/contacts/${source.id}`)).statusCode).toBe(200);
		expect((await t.call('GET', '/v1/contacts?channel=sms&address=%2B2')).json().data.map((c: { id: string }) => c.id)).toEqual([source.id]);
	});
});

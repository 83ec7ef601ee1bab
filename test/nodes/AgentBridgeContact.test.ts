import { NodeApiError } from 'n8n-workflow';

import { executeContext, reply } from './support/helpers';
import { AgentBridgeContact, buildUpdateBody } from '../../nodes/AgentBridgeContact/AgentBridgeContact.node';

const node = new AgentBridgeContact();
const contact = {
	id: 'ct_1',
	firstName: 'Dana',
	lastName: null,
	email: 'dana@example.com',
	phone: null,
	customFields: { lead_score: 8 },
	tags: ['hot_lead'],
};
const trigger = { json: { eventId: 'evt_1', contactId: 'ct_1' } };

function run(params: Record<string, unknown>, continueOnFail = false) {
	const setup = executeContext({
		items: [trigger],
		params: { resource: 'contact', contactId: 'ct_1', ...params },
		continueOnFail,
		request: async () => reply(contact),
	});
	return { ...setup, result: node.execute.call(setup.context) };
}

describe('Contact', () => {
	it('has the agreed name, operations and tool support', () => {
		expect(node.description.name).toBe('agentBridgeContact');
		expect(node.description.usableAsTool).toBe(true);
		const operation = node.description.properties.find((p) => p.name === 'operation');
		expect(operation?.options?.map((o) => (o as { value: string }).value)).toEqual([
			'addTags',
			'upsert',
			'find',
			'get',
			'removeTag',
			'update',
		]);
	});

	it('get reads the contact and carries the causation', async () => {
		const { result, httpRequestWithAuthentication } = run({ operation: 'get' });
		await expect(result).resolves.toEqual([
			[{ json: { ...contact, contactId: 'ct_1', causationEventId: 'evt_1' }, pairedItem: { item: 0 } }],
		]);
		expect(httpRequestWithAuthentication.mock.calls[0][1]).toMatchObject({
			method: 'GET',
			url: 'http://agents.test:3000/v1/contacts/ct_1',
			headers: { 'X-Agent-Bridge-Causation': 'evt_1' },
		});
	});

	it('update patches standard fields and custom fields, numbers as numbers', async () => {
		const { result, httpRequestWithAuthentication } = run({
			operation: 'update',
			updateFields: { firstName: 'Dana', email: 'dana@example.com' },
			customFields: {
				field: [
					{ name: 'lead_score', value: '8' },
					{ name: 'budget_range', value: '$25,000' },
					{ name: 'zip', value: '02134' },
					{ name: 'confidence', value: 0.9 },
				],
			},
		});
		await result;
		expect(httpRequestWithAuthentication.mock.calls[0][1]).toMatchObject({
			method: 'PATCH',
			url: 'http://agents.test:3000/v1/contacts/ct_1',
			body: {
				firstName: 'Dana',
				email: 'dana@example.com',
				customFields: { lead_score: 8, budget_range: '$25,000', zip: '02134', confidence: 0.9 },
			},
		});
	});

	it('update with nothing to change fails without calling the server', async () => {
		const { result, httpRequestWithAuthentication } = run({
			operation: 'update',
			updateFields: {},
			customFields: { field: [{ name: '', value: 'x' }] },
		});
		await expect(result).rejects.toThrow(
			'Add at least one field to update: set "Update Fields" (updateFields) or "Custom Fields" (customFields)',
		);
		expect(httpRequestWithAuthentication).not.toHaveBeenCalled();
	});

	it('custom fields written in another shape than {"field": [...]} fail naming the parameter, instead of being dropped', async () => {
		for (const operation of ['update', 'upsert']) {
			const { result, httpRequestWithAuthentication } = run({
				operation,
				email: 'dana@example.com',
				updateFields: {},
				customFields: { lead_score: 8 },
			});
			await expect(result).rejects.toThrow(
				'The "Custom Fields" parameter (customFields) must be {"field": [{"name": ..., "value": ...}]}, got keys "lead_score"',
			);
			expect(httpRequestWithAuthentication).not.toHaveBeenCalled();
		}
	});

	it('addTags posts the comma-separated tags as a list', async () => {
		const { result, httpRequestWithAuthentication } = run({
			operation: 'addTags',
			tags: ' hot_lead, interested_pricing ,,',
		});
		await result;
		expect(httpRequestWithAuthentication.mock.calls[0][1]).toMatchObject({
			method: 'POST',
			url: 'http://agents.test:3000/v1/contacts/ct_1/tags',
			body: { tags: ['hot_lead', 'interested_pricing'] },
		});
	});

	it('removeTag deletes the (URL-encoded) tag', async () => {
		const { result, httpRequestWithAuthentication } = run({ operation: 'removeTag', tag: 'needs review' });
		await result;
		expect(httpRequestWithAuthentication.mock.calls[0][1]).toMatchObject({
			method: 'DELETE',
			url: 'http://agents.test:3000/v1/contacts/ct_1/tags/needs%20review',
		});
	});

	it("fails with the server's message", async () => {
		const { context } = executeContext({
			params: { resource: 'contact', operation: 'get', contactId: 'ct_other_workspace' },
			request: async () => reply({ statusCode: 404, error: 'Not Found', message: 'Contact not found' }, 404),
		});
		const error = await node.execute.call(context).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as Error).message).toBe('Contact not found');
	});

	it('with continueOnFail returns an error item with its pairedItem', async () => {
		const { context } = executeContext({
			items: [{ json: {} }, { json: {} }],
			params: (name, i) =>
				({ resource: 'contact', operation: 'addTags', contactId: `ct_${i}`, tags: i === 0 ? '' : 'x' })[name],
			continueOnFail: true,
			request: async () => reply(contact),
		});
		const [output] = await node.execute.call(context);
		expect(output).toEqual([
			{ json: { error: 'Add at least one tag' }, pairedItem: { item: 0 } },
			{ json: { ...contact, contactId: 'ct_1' }, pairedItem: { item: 1 } },
		]);
	});

	it('refuses an empty contact id without calling the server', async () => {
		const { result, httpRequestWithAuthentication } = run({ operation: 'get', contactId: ' ' });
		await expect(result).rejects.toThrow('Contact ID is empty');
		expect(httpRequestWithAuthentication).not.toHaveBeenCalled();
	});
});

describe('Contact: find', () => {
	it('looks up by email and outputs one item per contact, paired with its input', async () => {
		const other = { ...contact, id: 'ct_2' };
		const { context, httpRequestWithAuthentication } = executeContext({
			items: [trigger],
			params: { resource: 'contact', operation: 'find', findBy: 'email', email: ' dana@example.com ' },
			request: async () => reply({ data: [contact, other] }),
		});
		const [output] = await node.execute.call(context);
		expect(httpRequestWithAuthentication.mock.calls[0][1]).toMatchObject({
			method: 'GET',
			url: 'http://agents.test:3000/v1/contacts',
			qs: { email: 'dana@example.com' },
			headers: { 'X-Agent-Bridge-Causation': 'evt_1' },
		});
		expect(output.map((item) => [item.json.contactId, item.pairedItem])).toEqual([
			['ct_1', { item: 0 }],
			['ct_2', { item: 0 }],
		]);
	});

	it('looks up by phone and outputs nothing when no contact matches', async () => {
		const { context, httpRequestWithAuthentication } = executeContext({
			params: { resource: 'contact', operation: 'find', findBy: 'phone', phone: '+15551234567' },
			request: async () => reply({ data: [] }),
		});
		await expect(node.execute.call(context)).resolves.toEqual([[]]);
		expect(httpRequestWithAuthentication.mock.calls[0][1].qs).toEqual({ phone: '+15551234567' });
	});

	it('looks up by channel identity', async () => {
		const { context, httpRequestWithAuthentication } = executeContext({
			params: { resource: 'contact', operation: 'find', findBy: 'identity', identityChannel: ' telegram ', identityAddress: '123456789' },
			request: async () => reply({ data: [contact] }),
		});
		const [output] = await node.execute.call(context);
		expect(httpRequestWithAuthentication.mock.calls[0][1].qs).toEqual({ channel: 'telegram', address: '123456789' });
		expect(output.map((item) => item.json.contactId)).toEqual(['ct_1']);
	});

	it('refuses an empty search value', async () => {
		const { context } = executeContext({
			params: { resource: 'contact', operation: 'find', findBy: 'phone', phone: '' },
			continueOnFail: true,
		});
		await expect(node.execute.call(context)).resolves.toEqual([
			[{ json: { error: 'Phone is empty' }, pairedItem: { item: 0 } }],
		]);
	});
});

describe('Contact: create or update', () => {
	function upsert(params: Record<string, unknown>, answers: (method: string, url: string) => unknown) {
		return executeContext({
			items: [trigger],
			params: { resource: 'contact', operation: 'upsert', additionalFields: {}, customFields: {}, ...params },
			request: async (_type: string, options: { method: string; url: string }) =>
				answers(options.method, options.url),
		});
	}

	it('creates the contact when neither email nor phone matches', async () => {
		const { context, httpRequestWithAuthentication } = upsert(
			{
				email: 'new@example.com',
				phone: '+15550000000',
				additionalFields: { firstName: 'Noa', tags: 'referral_lead' },
				customFields: { field: [{ name: 'budget', value: '5000' }] },
			},
			(method) => (method === 'GET' ? reply({ data: [] }) : reply({ ...contact, id: 'ct_new' }, 201)),
		);
		const [output] = await node.execute.call(context);
		const calls = httpRequestWithAuthentication.mock.calls.map((c) => c[1]);
		expect(calls.map((c) => [c.method, c.qs])).toEqual([
			['GET', { email: 'new@example.com' }],
			['GET', { phone: '+15550000000' }],
			['POST', undefined],
		]);
		expect(calls[2]).toMatchObject({
			url: 'http://agents.test:3000/v1/contacts',
			body: {
				firstName: 'Noa',
				email: 'new@example.com',
				phone: '+15550000000',
				customFields: { budget: 5000 },
				tags: ['referral_lead'],
			},
		});
		expect(output[0].json).toMatchObject({ id: 'ct_new', contactId: 'ct_new', created: true });
	});

	it('updates the contact found by email and adds the tags', async () => {
		const { context, httpRequestWithAuthentication } = upsert(
			{ email: 'dana@example.com', phone: '+15551234567', additionalFields: { lastName: 'Lee', tags: 'vip' } },
			(method) => (method === 'GET' ? reply({ data: [contact] }) : reply(contact)),
		);
		const [output] = await node.execute.call(context);
		const calls = httpRequestWithAuthentication.mock.calls.map((c) => c[1]);
		expect(calls.map((c) => c.method)).toEqual(['GET', 'PATCH', 'POST']);
		// The email already matches; the phone the contact lacks is filled in.
		expect(calls[1]).toMatchObject({
			url: 'http://agents.test:3000/v1/contacts/ct_1',
			body: { lastName: 'Lee', phone: '+15551234567' },
		});
		expect(calls[2]).toMatchObject({ url: 'http://agents.test:3000/v1/contacts/ct_1/tags', body: { tags: ['vip'] } });
		expect(output[0].json).toMatchObject({ id: 'ct_1', created: false });
	});

	it('returns the contact found by phone unchanged when there is nothing to write', async () => {
		const found = { ...contact, email: 'dana@example.com', phone: '+15551234567' };
		const { context, httpRequestWithAuthentication } = upsert({ email: '', phone: '+15551234567' }, () =>
			reply({ data: [found] }),
		);
		const [output] = await node.execute.call(context);
		expect(httpRequestWithAuthentication).toHaveBeenCalledTimes(1);
		expect(output[0].json).toMatchObject({ id: 'ct_1', created: false });
	});

	it('needs an email or a phone', async () => {
		const { context, httpRequestWithAuthentication } = upsert({ email: ' ', phone: '' }, () => reply({}));
		await expect(node.execute.call(context)).rejects.toThrow('Give an email, a phone or both');
		expect(httpRequestWithAuthentication).not.toHaveBeenCalled();
	});

	it("fails with the server's message when creating is refused", async () => {
		const { context } = upsert({ email: 'not-an-email' }, (method) =>
			method === 'GET'
				? reply({ data: [] })
				: reply({ statusCode: 400, error: 'Bad Request', message: 'body/email must be an email' }, 400),
		);
		const error = await node.execute.call(context).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).message).toBe('body/email must be an email');
		expect((error as NodeApiError).context.itemIndex).toBe(0);
	});
});

describe('buildUpdateBody', () => {
	it('leaves out what is not set', () => {
		expect(buildUpdateBody({ phone: '+15551234567' }, {})).toEqual({ phone: '+15551234567' });
		expect(buildUpdateBody({}, { field: [] })).toEqual({});
	});
});

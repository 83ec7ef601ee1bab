import { NodeApiError } from 'n8n-workflow';

import { executeContext, reply } from './__tests__/helpers';
import { buildUpdateBody, Contact } from './Contact.node';

const node = new Contact();
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
			'get',
			'removeTag',
			'update',
		]);
	});

	it('get reads the contact and carries the causation', async () => {
		const { result, httpRequestWithAuthentication } = run({ operation: 'get' });
		await expect(result).resolves.toEqual([
			[{ json: { ...contact, causationEventId: 'evt_1' }, pairedItem: { item: 0 } }],
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
		await expect(result).rejects.toThrow('Add at least one field to update');
		expect(httpRequestWithAuthentication).not.toHaveBeenCalled();
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
			{ json: contact, pairedItem: { item: 1 } },
		]);
	});
});

describe('buildUpdateBody', () => {
	it('leaves out what is not set', () => {
		expect(buildUpdateBody({ phone: '+15551234567' }, {})).toEqual({ phone: '+15551234567' });
		expect(buildUpdateBody({}, { field: [] })).toEqual({});
	});
});

import { NodeApiError } from 'n8n-workflow';

import { executeContext, reply } from './__tests__/helpers';
import { ScoreLead } from './ScoreLead.node';

const node = new ScoreLead();
const scored = { contactId: 'ct_1', score: 8, rationale: 'Budget and timeline fit', confidence: 0.9 };

describe('Score Lead', () => {
	it('has the agreed name and is usable as a tool', () => {
		expect(node.description.name).toBe('scoreLead');
		expect(node.description.usableAsTool).toBe(true);
		expect(node.description.properties.map((p) => p.name)).toEqual([
			'contactId',
			'conversationId',
			'options',
		]);
	});

	it('posts the score request with the options and carries the trigger event as causation', async () => {
		const { context, httpRequestWithAuthentication } = executeContext({
			items: [{ json: { eventId: 'evt_1', contactId: 'ct_1', conversationId: 'conv_1' } }],
			params: {
				contactId: 'ct_1',
				conversationId: 'conv_1',
				options: { rubric: 'Budget over $10k is hot', writeToField: 'lead_score' },
			},
			request: async () => reply(scored),
		});

		const result = await node.execute.call(context);

		const options = httpRequestWithAuthentication.mock.calls[0][1];
		expect(options).toMatchObject({
			method: 'POST',
			url: 'http://agents.test:3000/v1/contacts/ct_1/score',
			body: { conversationId: 'conv_1', rubric: 'Budget over $10k is hot', writeToField: 'lead_score' },
			headers: { 'X-Agent-Bridge-Causation': 'evt_1' },
		});
		expect(result).toEqual([
			[
				{
					json: { ...scored, conversationId: 'conv_1', causationEventId: 'evt_1' },
					pairedItem: { item: 0 },
				},
			],
		]);
	});

	it('sends only what is set and handles every input item', async () => {
		const { context, httpRequestWithAuthentication } = executeContext({
			items: [{ json: { causationEventId: 'evt_9', eventId: 'evt_ignored' } }, { json: {} }],
			params: (name, i) => ({ contactId: `ct_${i}`, conversationId: '', options: {} })[name],
			request: async () => reply(scored),
		});

		const [output] = await node.execute.call(context);

		expect(httpRequestWithAuthentication).toHaveBeenCalledTimes(2);
		expect(httpRequestWithAuthentication.mock.calls[0][1].body).toEqual({});
		expect(httpRequestWithAuthentication.mock.calls[0][1].headers['X-Agent-Bridge-Causation']).toBe('evt_9');
		expect(httpRequestWithAuthentication.mock.calls[1][1].url).toBe(
			'http://agents.test:3000/v1/contacts/ct_1/score',
		);
		expect(httpRequestWithAuthentication.mock.calls[1][1].headers['X-Agent-Bridge-Causation']).toBeUndefined();
		expect(output[0].json.causationEventId).toBe('evt_9');
		expect(output[1].json).not.toHaveProperty('causationEventId');
		expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	});

	it("fails with the server's message, tied to the item", async () => {
		const { context } = executeContext({
			params: { contactId: 'ct_missing', options: {} },
			request: async () => reply({ statusCode: 404, error: 'Not Found', message: 'Contact not found' }, 404),
		});
		const error = await node.execute.call(context).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).message).toBe('Contact not found');
		expect((error as NodeApiError).context.itemIndex).toBe(0);
	});

	it('with continueOnFail returns an error item per failed input and goes on', async () => {
		const { context } = executeContext({
			items: [{ json: {} }, { json: {} }],
			continueOnFail: true,
			params: (name, i) => ({ contactId: i === 0 ? 'ct_bad' : 'ct_ok', options: {} })[name],
			request: async (_type: string, options: { url: string }) =>
				options.url.includes('ct_bad') ? reply({ message: 'Contact not found' }, 404) : reply(scored),
		});
		const [output] = await node.execute.call(context);
		expect(output).toEqual([
			{ json: { error: 'Contact not found' }, pairedItem: { item: 0 } },
			{ json: scored, pairedItem: { item: 1 } },
		]);
	});

	it('refuses an empty contact id without calling the server', async () => {
		const { context, httpRequestWithAuthentication } = executeContext({
			params: { contactId: '', options: {} },
			continueOnFail: true,
		});
		const [output] = await node.execute.call(context);
		expect(output).toEqual([{ json: { error: 'Contact ID is empty' }, pairedItem: { item: 0 } }]);
		expect(httpRequestWithAuthentication).not.toHaveBeenCalled();
	});
});

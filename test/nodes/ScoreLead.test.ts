import { NodeApiError } from 'n8n-workflow';

import { executeContext, reply } from './support/helpers';
import { DEFAULT_RUBRIC, ScoreLead } from '../../nodes/ScoreLead/ScoreLead.node';

const node = new ScoreLead();
const scored = { contactId: 'ct_1', score: 8, rationale: 'Budget and timeline fit', confidence: 0.9 };

describe('Score Lead', () => {
	it('has the agreed name and is usable as a tool', () => {
		expect(node.description.name).toBe('scoreLead');
		expect(node.description.usableAsTool).toBe(true);
		expect(node.description.properties.map((p) => p.name)).toEqual([
			'contactId',
			'conversationId',
			'rubricType',
			'defaultRubricNotice',
			'rubric',
			'fieldsToUse',
			'fields',
			'transcript',
			'transcriptMessages',
			'tagByScore',
			'tagIfAtLeast',
			'hotTag',
			'otherTag',
			'options',
		]);
	});

	it('shows the default rubric in the node', () => {
		const notice = node.description.properties.find((p) => p.name === 'defaultRubricNotice');
		expect(notice?.displayName).toContain(DEFAULT_RUBRIC);
	});

	it('posts the score request with the options and carries the trigger event as causation', async () => {
		const { context, httpRequestWithAuthentication } = executeContext({
			items: [{ json: { eventId: 'evt_1', contactId: 'ct_1', conversationId: 'conv_1' } }],
			params: {
				contactId: 'ct_1',
				conversationId: 'conv_1',
				rubricType: 'custom',
				rubric: 'Budget over $10k is hot',
				options: { writeToField: 'lead_score' },
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
					json: {
						...scored,
						conversationId: 'conv_1',
						writtenToField: 'lead_score',
						causationEventId: 'evt_1',
					},
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

	it('sends the chosen fields and how much transcript to read', async () => {
		const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
			[{ fieldsToUse: 'selected', fields: 'budget, timeline ,email', transcript: 'all' }, { fields: ['budget', 'timeline', 'email'] }],
			[{ transcript: 'last', transcriptMessages: 6 }, { transcriptMessages: 6 }],
			[{ transcript: 'none' }, { transcriptMessages: 0 }],
		];
		for (const [params, body] of cases) {
			const { context, httpRequestWithAuthentication } = executeContext({
				params: { contactId: 'ct_1', conversationId: '', options: {}, ...params },
				request: async () => reply(scored),
			});
			await node.execute.call(context);
			expect(httpRequestWithAuthentication.mock.calls[0][1].body).toEqual(body);
		}
	});

	it('keeps a rubric saved among the options by older workflows', async () => {
		const { context, httpRequestWithAuthentication } = executeContext({
			params: { contactId: 'ct_1', options: { rubric: 'Old rubric' } },
			request: async () => reply(scored),
		});
		await node.execute.call(context);
		expect(httpRequestWithAuthentication.mock.calls[0][1].body).toEqual({ rubric: 'Old rubric' });
	});

	it.each([
		[{ rubricType: 'custom', rubric: '  ' }, 'Custom Rubric is empty'],
		[{ fieldsToUse: 'selected', fields: ' , ' }, 'Name at least one field to use'],
	])('refuses %p without calling the server', async (params, message) => {
		const { context, httpRequestWithAuthentication } = executeContext({
			params: { contactId: 'ct_1', options: {}, ...params },
			continueOnFail: true,
		});
		await expect(node.execute.call(context)).resolves.toEqual([
			[{ json: { error: message }, pairedItem: { item: 0 } }],
		]);
		expect(httpRequestWithAuthentication).not.toHaveBeenCalled();
	});

	describe('tag by score', () => {
		function tagging(score: number, otherTag = 'nurture_lead') {
			return executeContext({
				items: [{ json: { eventId: 'evt_1' } }],
				params: {
					contactId: 'ct_1',
					options: {},
					tagByScore: true,
					tagIfAtLeast: 7,
					hotTag: 'hot_lead',
					otherTag,
				},
				request: async (_type: string, options: { url: string }) =>
					options.url.endsWith('/score') ? reply({ ...scored, score }) : reply({ id: 'ct_1', tags: [] }),
			});
		}

		it('adds the hot tag from the threshold up, carrying the causation', async () => {
			const { context, httpRequestWithAuthentication } = tagging(7);
			const [[item]] = await node.execute.call(context);
			expect(httpRequestWithAuthentication.mock.calls[1][1]).toMatchObject({
				method: 'POST',
				url: 'http://agents.test:3000/v1/contacts/ct_1/tags',
				body: { tags: ['hot_lead'] },
				headers: { 'X-Agent-Bridge-Causation': 'evt_1' },
			});
			expect(item.json).toMatchObject({ score: 7, hot: true, tagAdded: 'hot_lead' });
		});

		it('adds the other tag below it, or none when it is empty', async () => {
			const below = tagging(6);
			const [[item]] = await node.execute.call(below.context);
			expect(below.httpRequestWithAuthentication.mock.calls[1][1].body).toEqual({ tags: ['nurture_lead'] });
			expect(item.json).toMatchObject({ hot: false, tagAdded: 'nurture_lead' });

			const none = tagging(3, '');
			const [[untagged]] = await node.execute.call(none.context);
			expect(none.httpRequestWithAuthentication).toHaveBeenCalledTimes(1);
			expect(untagged.json).toMatchObject({ hot: false, tagAdded: null });
		});

		it('reports a failed tagging on the item, with continueOnFail', async () => {
			const { context } = executeContext({
				params: { contactId: 'ct_1', options: {}, tagByScore: true, tagIfAtLeast: 7, hotTag: 'bad tag ', otherTag: '' },
				continueOnFail: true,
				request: async (_type: string, options: { url: string }) =>
					options.url.endsWith('/score')
						? reply(scored)
						: reply({ statusCode: 400, message: 'body/tags/0 has no leading or trailing spaces' }, 400),
			});
			await expect(node.execute.call(context)).resolves.toEqual([
				[{ json: { error: 'body/tags/0 has no leading or trailing spaces' }, pairedItem: { item: 0 } }],
			]);
		});
	});
});

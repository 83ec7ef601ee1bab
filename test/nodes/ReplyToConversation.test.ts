import { NodeApiError } from 'n8n-workflow';

import { executeContext, reply } from './support/helpers';
import { ReplyToConversation } from '../../nodes/ReplyToConversation/ReplyToConversation.node';

const node = new ReplyToConversation();
const message = {
	id: 'msg_1',
	role: 'agent',
	source: 'workflow',
	text: 'Thanks Dana, your score is 8.',
	createdAt: '2026-11-24T12:00:00.000Z',
};

describe('Reply to Conversation', () => {
	it('has the agreed name and parameters', () => {
		expect(node.description.name).toBe('replyToConversation');
		expect(node.description.usableAsTool).toBe(true);
		expect(node.description.properties.map((p) => p.name)).toEqual([
			'operation',
			'conversationId',
			'contactId',
			'agentId',
			'channel',
			'messageType',
			'text',
			'instructions',
			'options',
		]);
	});

	it('posts the text unchanged (merge fields are the server’s) and outputs the message', async () => {
		const { context, httpRequestWithAuthentication } = executeContext({
			items: [{ json: { causationEventId: 'evt_1', conversationId: 'conv_1' } }],
			params: { conversationId: 'conv_1', text: 'Thanks {{contact.first_name}}, your score is 8.' },
			request: async () => reply({ message }),
		});
		const result = await node.execute.call(context);
		expect(httpRequestWithAuthentication.mock.calls[0][1]).toMatchObject({
			method: 'POST',
			url: 'http://agents.test:3000/v1/conversations/conv_1/replies',
			body: { text: 'Thanks {{contact.first_name}}, your score is 8.' },
			headers: { 'X-Agent-Bridge-Causation': 'evt_1' },
		});
		expect(result).toEqual([
			[
				{
					json: {
						...message,
						messageId: 'msg_1',
						conversationId: 'conv_1',
						skipped: false,
						causationEventId: 'evt_1',
					},
					pairedItem: { item: 0 },
				},
			],
		]);
	});

	it("fails with the server's message, tied to the item", async () => {
		const { context } = executeContext({
			params: { conversationId: 'conv_1', text: 'Hello' },
			request: async () =>
				reply({ statusCode: 409, error: 'Conflict', message: 'Conversation has ended' }, 409),
		});
		const error = await node.execute.call(context).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).message).toBe('Conversation has ended');
		expect((error as NodeApiError).context.itemIndex).toBe(0);
	});

	it('with continueOnFail returns error items with pairedItem', async () => {
		const { context, httpRequestWithAuthentication } = executeContext({
			items: [{ json: {} }, { json: {} }],
			params: (name, i) => ({ conversationId: 'conv_1', text: i === 0 ? '  ' : 'Hi' })[name],
			continueOnFail: true,
			request: async () => reply({ statusCode: 400, message: 'body/text must be a string' }, 400),
		});
		const [output] = await node.execute.call(context);
		expect(output).toEqual([
			{ json: { error: 'Text is empty' }, pairedItem: { item: 0 } },
			{ json: { error: 'body/text must be a string' }, pairedItem: { item: 1 } },
		]);
		expect(httpRequestWithAuthentication).toHaveBeenCalledTimes(1);
	});

	it('sends instructions instead of text, with the skip options', async () => {
		const { context, httpRequestWithAuthentication } = executeContext({
			params: {
				operation: 'reply',
				conversationId: 'conv_1',
				messageType: 'instructions',
				instructions: 'Ask whether they are still interested.',
				options: { onlyIfNoReplySince: '2026-11-24T12:00:00.000Z', skipIfHuman: true },
			},
			request: async () => reply({ message }),
		});
		await node.execute.call(context);
		expect(httpRequestWithAuthentication.mock.calls[0][1].body).toEqual({
			instructions: 'Ask whether they are still interested.',
			onlyIfNoReplySince: '2026-11-24T12:00:00.000Z',
			skipIfHuman: true,
		});
	});

	it('outputs a skipped reply as a normal item', async () => {
		const { context } = executeContext({
			params: { conversationId: 'conv_1', text: 'Still there?', options: { skipIfHuman: false } },
			request: async () => reply({ skipped: true, reason: 'the contact wrote after 2026-11-24T12:00:00.000Z' }),
		});
		await expect(node.execute.call(context)).resolves.toEqual([
			[
				{
					json: { conversationId: 'conv_1', skipped: true, reason: 'the contact wrote after 2026-11-24T12:00:00.000Z' },
					pairedItem: { item: 0 },
				},
			],
		]);
	});

	it('refuses an invalid "only if no reply since" date and empty instructions', async () => {
		const { context, httpRequestWithAuthentication } = executeContext({
			items: [{ json: {} }, { json: {} }],
			params: (name, i) =>
				({
					conversationId: 'conv_1',
					messageType: i === 0 ? 'text' : 'instructions',
					text: 'Hi',
					instructions: ' ',
					options: i === 0 ? { onlyIfNoReplySince: 'yesterday-ish' } : {},
				})[name],
			continueOnFail: true,
		});
		const [output] = await node.execute.call(context);
		expect(output.map((item) => item.json.error)).toEqual([
			'"Only If No Reply Since" is not a date: yesterday-ish',
			'Instructions is empty',
		]);
		expect(httpRequestWithAuthentication).not.toHaveBeenCalled();
	});
});

describe('Reply to Conversation: start conversation', () => {
	const started = {
		conversation: { id: 'conv_9', status: 'active', channel: 'web' },
		message: { ...message, id: 'msg_9', text: 'Hi Dana, still thinking about the website?' },
	};

	it('posts agent, contact, channel and the message, and outputs the new conversation', async () => {
		const { context, httpRequestWithAuthentication } = executeContext({
			items: [{ json: { eventId: 'evt_5', contactId: 'ct_1' } }],
			params: {
				operation: 'startConversation',
				contactId: 'ct_1',
				agentId: 'lead-qualifier',
				channel: 'web',
				messageType: 'instructions',
				instructions: 'Follow up on the website project.',
			},
			request: async () => reply(started, 201),
		});
		const [[item]] = await node.execute.call(context);
		expect(httpRequestWithAuthentication.mock.calls[0][1]).toMatchObject({
			method: 'POST',
			url: 'http://agents.test:3000/v1/conversations',
			body: {
				agentId: 'lead-qualifier',
				contactId: 'ct_1',
				channel: 'web',
				instructions: 'Follow up on the website project.',
			},
			headers: { 'X-Agent-Bridge-Causation': 'evt_5' },
		});
		expect(item).toEqual({
			json: {
				...started.message,
				messageId: 'msg_9',
				conversationId: 'conv_9',
				conversationStatus: 'active',
				channel: 'web',
				contactId: 'ct_1',
				agentId: 'lead-qualifier',
				causationEventId: 'evt_5',
			},
			pairedItem: { item: 0 },
		});
	});

	it('defaults to the api channel and sends literal text', async () => {
		const { context, httpRequestWithAuthentication } = executeContext({
			params: { operation: 'startConversation', contactId: 'ct_1', agentId: 'a', channel: '', text: 'Hello!' },
			request: async () => reply(started, 201),
		});
		await node.execute.call(context);
		expect(httpRequestWithAuthentication.mock.calls[0][1].body).toEqual({
			agentId: 'a',
			contactId: 'ct_1',
			channel: 'api',
			text: 'Hello!',
		});
	});

	it("fails with the server's message, or per item with continueOnFail", async () => {
		const params = { operation: 'startConversation', contactId: 'ct_1', agentId: 'nobody', text: 'Hi' };
		const answer = async () => reply({ statusCode: 404, error: 'Not Found', message: 'agent nobody not found' }, 404);
		const failing = executeContext({ params, request: answer });
		const error = await node.execute.call(failing.context).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).message).toBe('agent nobody not found');

		const tolerant = executeContext({ params: { ...params, agentId: '' }, continueOnFail: true, request: answer });
		await expect(node.execute.call(tolerant.context)).resolves.toEqual([
			[{ json: { error: 'Agent is empty' }, pairedItem: { item: 0 } }],
		]);
	});
});

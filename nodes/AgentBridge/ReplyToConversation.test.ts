import { NodeApiError } from 'n8n-workflow';

import { executeContext, reply } from './__tests__/helpers';
import { ReplyToConversation } from './ReplyToConversation.node';

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
		expect(node.description.properties.map((p) => p.name)).toEqual(['conversationId', 'text']);
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
					json: { ...message, conversationId: 'conv_1', causationEventId: 'evt_1' },
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
});

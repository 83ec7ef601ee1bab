import { executeContext, reply } from './support/helpers';
import { AgentBridgeAgent } from '../../nodes/AgentBridgeAgent/AgentBridgeAgent.node';

const node = new AgentBridgeAgent();

const answer = {
	conversation: { id: 'conv_1', status: 'active', channel: 'telegram' },
	contact: { id: 'ct_1' },
	message: { id: 'msg_1' },
	reply: { id: 'msg_2', text: 'Thanks Dana! What budget do you have in mind?' },
	actions: [
		{ actionId: 'lead_scoring', name: 'Lead Scoring', fired: true, reason: 'fields given', eventId: 'evt_7' },
		{ actionId: 'booked', name: 'Booked', fired: false, reason: 'no booking intent' },
	],
};
const conversation = { id: 'conv_1', status: 'active', channel: 'telegram', collected: { service_needed: 'website' } };

/** The server: the chat answer, then the conversation. */
const server = (chat: unknown) => async (_name: string, options: { url: string }) =>
	options.url.endsWith('/v1/chat') ? reply(chat) : reply(conversation);

describe('Agent Bridge Agent', () => {
	it('has the agreed name, two operations and their parameters', () => {
		expect(node.description.name).toBe('agentBridgeAgent');
		const of = (operation: string) =>
			node.description.properties.filter((p) => p.displayOptions?.show?.operation?.includes(operation)).map((p) => p.name);
		expect(of('sendMessage')).toEqual(['agentId', 'channel', 'address', 'text', 'contactFields', 'waitSeconds']);
		expect(of('reportDelivery')).toEqual(['conversationId', 'messageId', 'status', 'reason']);
		const operation = node.description.properties.find((p) => p.name === 'operation');
		expect(operation?.options?.map((o) => (o as { value: string }).value)).toEqual(['reportDelivery', 'sendMessage']);
		expect(operation?.default).toBe('sendMessage');
	});

	it("sends the message by the contact's identity with the wait limit and outputs the reply, actions fired and fields collected", async () => {
		const { context, httpRequestWithAuthentication } = executeContext({
			items: [{ json: { message: { chat: { id: 42 }, text: 'We need a website' } } }],
			params: {
				operation: 'sendMessage',
				agentId: 'lead-qualifier',
				channel: 'telegram',
				address: '42',
				text: 'We need a website',
				contactFields: { firstName: ' Dana ', email: '' },
				waitSeconds: 15,
			},
			request: server(answer),
		});

		const [[item]] = await node.execute.call(context);

		expect(httpRequestWithAuthentication.mock.calls[0][1]).toMatchObject({
			method: 'POST',
			url: 'http://agents.test:3000/v1/chat',
			body: {
				agentId: 'lead-qualifier',
				text: 'We need a website',
				identity: { channel: 'telegram', address: '42' },
				waitMs: 15000,
				contact: { firstName: 'Dana' },
			},
		});
		expect(httpRequestWithAuthentication.mock.calls[1][1]).toMatchObject({ method: 'GET', url: 'http://agents.test:3000/v1/conversations/conv_1' });
		expect(item.json).toEqual({
			reply: 'Thanks Dana! What budget do you have in mind?',
			replyId: 'msg_2',
			handledByHuman: false,
			queued: false,
			conversationId: 'conv_1',
			contactId: 'ct_1',
			conversationStatus: 'active',
			channel: 'telegram',
			actionsFired: [{ actionId: 'lead_scoring', name: 'Lead Scoring', eventId: 'evt_7' }],
			fieldsCollected: { service_needed: 'website' },
		});
	});

	it('outputs an empty reply while a human handles the conversation', async () => {
		const { context } = executeContext({
			params: { agentId: 'lead-qualifier', channel: 'sms', address: '+15550100', text: 'hello?', waitSeconds: 0 },
			request: server({ ...answer, conversation: { ...answer.conversation, status: 'human' }, reply: null, actions: [] }),
		});
		const [[item]] = await node.execute.call(context);
		expect(item.json).toMatchObject({ reply: '', replyId: null, handledByHuman: true, actionsFired: [] });
	});

	it('refuses an empty address or a wait limit out of range before calling the server', async () => {
		for (const params of [
			{ agentId: 'a', channel: 'telegram', address: ' ', text: 'hi', waitSeconds: 5 },
			{ agentId: 'a', channel: 'telegram', address: '1', text: 'hi', waitSeconds: 601 },
		]) {
			const { context, httpRequestWithAuthentication } = executeContext({ params });
			await expect(node.execute.call(context)).rejects.toThrow(/Contact Address is empty|between 0 and 600/);
			expect(httpRequestWithAuthentication).not.toHaveBeenCalled();
		}
	});

	it("shows the server's error on the item, or as output when continuing on fail", async () => {
		const params = { agentId: 'ghost', channel: 'telegram', address: '1', text: 'hi', waitSeconds: 5 };
		const failing = async () => reply({ statusCode: 404, error: 'Not Found', message: 'agent ghost not found' }, 404);
		await expect(node.execute.call(executeContext({ params, request: failing }).context)).rejects.toThrow('agent ghost not found');
		const [[item]] = await node.execute.call(executeContext({ params, request: failing, continueOnFail: true }).context);
		expect(item.json).toEqual({ error: 'agent ghost not found' });
	});

	describe('Report Delivery', () => {
		const recorded = (status: string, reason: string | null) => async () =>
			reply({ message: { id: 'msg_9', role: 'agent', text: 'hi', delivery: { status, reason, at: '2026-01-01T00:00:00.000Z' } }, recorded: true });

		it("reports a delivered message to the server and outputs the message's delivery", async () => {
			const { context, httpRequestWithAuthentication } = executeContext({
				params: { operation: 'reportDelivery', conversationId: 'conv_1', messageId: 'msg_9', status: 'delivered', reason: 'ignored' },
				request: recorded('delivered', null),
			});
			const [[item]] = await node.execute.call(context);
			expect(httpRequestWithAuthentication.mock.calls[0][1]).toMatchObject({
				method: 'POST',
				url: 'http://agents.test:3000/v1/conversations/conv_1/messages/msg_9/delivery',
				body: { status: 'delivered' },
			});
			expect(httpRequestWithAuthentication.mock.calls[0][1].body).not.toHaveProperty('reason');
			expect(item.json).toEqual({ conversationId: 'conv_1', messageId: 'msg_9', status: 'delivered', reason: null, at: '2026-01-01T00:00:00.000Z', recorded: true });
		});

		it("reports a failure with the channel's reason, cut to the server's 500 characters", async () => {
			const { context, httpRequestWithAuthentication } = executeContext({
				params: { operation: 'reportDelivery', conversationId: 'conv_1', messageId: 'msg_9', status: 'failed', reason: `Bad Request: chat not found ${'x'.repeat(600)}` },
				request: recorded('failed', 'Bad Request: chat not found'),
			});
			await node.execute.call(context);
			const body = httpRequestWithAuthentication.mock.calls[0][1].body;
			expect(body.status).toBe('failed');
			expect(body.reason).toMatch(/^Bad Request: chat not found x+$/);
			expect(body.reason).toHaveLength(500);
		});

		it('refuses a failed report without a reason, or without the message, before calling the server', async () => {
			for (const params of [
				{ operation: 'reportDelivery', conversationId: 'conv_1', messageId: 'msg_9', status: 'failed', reason: ' ' },
				{ operation: 'reportDelivery', conversationId: 'conv_1', messageId: '', status: 'delivered' },
			]) {
				const { context, httpRequestWithAuthentication } = executeContext({ params });
				await expect(node.execute.call(context)).rejects.toThrow(/Reason is empty|Message ID is empty/);
				expect(httpRequestWithAuthentication).not.toHaveBeenCalled();
			}
		});

		it("shows the server's refusal (a delivered message reported failed) on the item", async () => {
			const params = { operation: 'reportDelivery', conversationId: 'conv_1', messageId: 'msg_9', status: 'failed', reason: 'late' };
			const refused = async () => reply({ statusCode: 409, error: 'Conflict', message: 'message msg_9 was already reported delivered' }, 409);
			await expect(node.execute.call(executeContext({ params, request: refused }).context)).rejects.toThrow('already reported delivered');
		});
	});
});

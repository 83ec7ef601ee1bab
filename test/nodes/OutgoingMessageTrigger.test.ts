import { hookContext, reply } from './support/helpers';
import { SECRET, hooksOf, signedRequest } from './support/triggers';
import { OutgoingMessageTrigger } from '../../nodes/OutgoingMessageTrigger/OutgoingMessageTrigger.node';

const trigger = new OutgoingMessageTrigger();
const { hooks, webhook } = hooksOf(trigger);

describe('Outgoing Message Trigger', () => {
	it('is a webhook trigger filtered by agent and channel', () => {
		const { description } = trigger;
		expect(description.name).toBe('outgoingMessageTrigger');
		expect(description.displayName).toBe('Outgoing Message Trigger');
		expect(description.group).toEqual(['trigger']);
		expect(description.inputs).toEqual([]);
		expect(description.properties.map((p) => p.name)).toEqual(['notice', 'agentId', 'channel']);
	});

	it('subscribes to conversation.message.outgoing with the agent and the channel', async () => {
		const { context, httpRequestWithAuthentication } = hookContext({
			params: { agentId: 'lead-qualifier', channel: ' telegram ' },
			request: async () => reply({ id: 'sub_1', secret: SECRET }, 201),
		});
		await hooks.create.call(context);
		expect(httpRequestWithAuthentication.mock.calls[0][1].body).toMatchObject({
			events: ['conversation.message.outgoing'],
			filters: { agentId: 'lead-qualifier', channel: 'telegram' },
		});
	});

	it('outputs the text and the address to send it to at the top level', async () => {
		// The server's envelope (docs/events/examples/v1/conversation.message.outgoing.json).
		const envelope = {
			id: 'evt_3',
			type: 'conversation.message.outgoing',
			conversation: { id: 'conv_1', channel: 'telegram', status: 'active' },
			contact: { id: 'ct_1' },
			agent: { id: 'lead-qualifier', name: 'Lead Qualifier' },
			message: { id: 'msg_1', text: 'Your score is 9.', role: 'agent', source: 'workflow' },
			channel: 'telegram',
			identity: { channel: 'telegram', address: '123456789' },
		};
		const result = await webhook.call(signedRequest(envelope).context);
		expect(result.workflowData?.[0][0].json).toMatchObject({
			eventId: 'evt_3',
			contactId: 'ct_1',
			conversationId: 'conv_1',
			agentId: 'lead-qualifier',
			text: 'Your score is 9.',
			messageId: 'msg_1',
			role: 'agent',
			source: 'workflow',
			channel: 'telegram',
			address: '123456789',
			identity: envelope.identity,
		});
	});

	it('outputs a null address when the contact has no identity on the channel', async () => {
		const envelope = {
			id: 'evt_4',
			type: 'conversation.message.outgoing',
			conversation: { id: 'conv_2', channel: 'sms', status: 'human' },
			contact: { id: 'ct_2' },
			message: { id: 'msg_2', text: 'Hi, Sam here.', role: 'human', source: 'api' },
			channel: 'sms',
			identity: null,
		};
		const result = await webhook.call(signedRequest(envelope).context);
		expect(result.workflowData?.[0][0].json).toMatchObject({ text: 'Hi, Sam here.', role: 'human', channel: 'sms', address: null });
	});

	it('refuses a delivery with a wrong signature', async () => {
		const request = signedRequest({ id: 'evt_5' }, { secret: 'whsec_' + Buffer.from('another-secret-of-24-byt').toString('base64') });
		const result = await webhook.call(request.context);
		expect(result).toEqual({ noWebhookResponse: true });
		expect(request.response.status).toHaveBeenCalledWith(401);
	});
});

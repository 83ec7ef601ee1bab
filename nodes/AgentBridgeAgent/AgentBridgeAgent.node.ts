import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { standardContactFields } from '../shared/ContactFields';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import {
	agentBridgeApiRequest,
	getAgentChoices,
	getCausationEventId,
	itemError,
	requiredString,
} from '../shared/GenericFunctions';

/** The server's limit on how long one chat request may wait for a workflow's result. */
export const MAX_WAIT_SECONDS = 600;

/** The server's limit on a failure reason; a channel's longer error is cut rather than refused. */
const MAX_REASON_CHARS = 500;

const CONTACT_FIELDS = ['firstName', 'lastName', 'email', 'phone'] as const;

export class AgentBridgeAgent implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Agent Bridge Agent',
		name: 'agentBridgeAgent',
		icon: { light: 'file:../shared/agentBridge.svg', dark: 'file:../shared/agentBridge.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{"Send message to " + $parameter["agentId"]}}',
		description:
			"Sends a contact's message from any channel (Telegram, WhatsApp, SMS, email, Slack) to an agent and outputs its reply.",
		documentationUrl: 'https://github.com/agent-bridge/agent-bridge/blob/main/docs/nodes.md#agent-bridge-agent',
		defaults: {
			name: 'Agent Bridge Agent',
		},
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'agentBridgeApi',
				required: true,
			},
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Report Delivery',
						value: 'reportDelivery',
						description: 'Report whether a channel delivered a message to the contact (shown on the conversation timeline)',
						action: 'Report the delivery of a message',
					},
					{
						name: 'Send Message',
						value: 'sendMessage',
						description: "Send the contact's message to the agent and get its reply",
						action: 'Send a message to an agent',
					},
				],
				default: 'sendMessage',
			},
			{
				displayName: 'Agent Name or ID',
				name: 'agentId',
				displayOptions: { show: { operation: ['sendMessage'] } },
				type: 'options',
				typeOptions: {
					loadOptionsMethod: 'getAgentChoices',
				},
				required: true,
				default: '',
				description:
					'The agent that answers. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			{
				displayName: 'Channel',
				name: 'channel',
				displayOptions: { show: { operation: ['sendMessage'] } },
				type: 'string',
				required: true,
				default: '',
				placeholder: 'telegram',
				description:
					'Where the contact writes from (telegram, whatsapp, sms, email, slack, …); replies that come later go out on it through the Outgoing Message Trigger',
			},
			{
				displayName: 'Contact Address',
				name: 'address',
				displayOptions: { show: { operation: ['sendMessage'] } },
				type: 'string',
				required: true,
				default: '',
				placeholder: '123456789',
				description:
					"The contact's address on the channel: a Telegram chat ID, a phone number, an email address, a Slack user ID. A known address continues the contact's open conversation; a new one creates the contact.",
			},
			{
				displayName: 'Text',
				name: 'text',
				displayOptions: { show: { operation: ['sendMessage'] } },
				type: 'string',
				typeOptions: {
					rows: 3,
				},
				required: true,
				default: '',
				placeholder: '={{ $json.message.text }}',
				description: "The contact's message",
			},
			{
				displayName: 'Contact Fields',
				name: 'contactFields',
				displayOptions: { show: { operation: ['sendMessage'] } },
				type: 'collection',
				placeholder: 'Add Field',
				default: {},
				description: 'What the channel tells about the contact, stored on the contact',
				options: standardContactFields,
			},
			{
				displayName: 'Wait Limit (Seconds)',
				name: 'waitSeconds',
				displayOptions: { show: { operation: ['sendMessage'] } },
				type: 'number',
				typeOptions: {
					minValue: 0,
					maxValue: MAX_WAIT_SECONDS,
				},
				default: 20,
				description:
					"Longest time to wait for a workflow's result the agent's answer needs; past it the agent's holding reply is output and the result arrives later through the Outgoing Message Trigger",
			},
			{
				displayName: 'Conversation ID',
				name: 'conversationId',
				type: 'string',
				required: true,
				displayOptions: { show: { operation: ['reportDelivery'] } },
				default: "={{ $('Outgoing Message Trigger').item.json.conversationId }}",
				description: 'The conversation of the message, as the Outgoing Message Trigger gave it',
			},
			{
				displayName: 'Message ID',
				name: 'messageId',
				type: 'string',
				required: true,
				displayOptions: { show: { operation: ['reportDelivery'] } },
				default: "={{ $('Outgoing Message Trigger').item.json.messageId }}",
				description: 'The message the channel node sent, as the Outgoing Message Trigger gave it',
			},
			{
				displayName: 'Status',
				name: 'status',
				type: 'options',
				displayOptions: { show: { operation: ['reportDelivery'] } },
				options: [
					{ name: 'Delivered', value: 'delivered', description: 'The channel took the message' },
					{ name: 'Failed', value: 'failed', description: 'The channel refused the message' },
				],
				default: 'delivered',
			},
			{
				displayName: 'Reason',
				name: 'reason',
				type: 'string',
				required: true,
				displayOptions: { show: { operation: ['reportDelivery'], status: ['failed'] } },
				default: '={{ $json.error?.message ?? $json.error }}',
				description: "Why the channel refused the message, e.g. the channel node's error",
			},
		],
	};

	methods = {
		loadOptions: {
			getAgentChoices,
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const returnData: INodeExecutionData[] = [];

		for (let i = 0; i < items.length; i++) {
			try {
				const operation = this.getNodeParameter('operation', i, 'sendMessage') as string;
				const json = operation === 'reportDelivery' ? await reportDelivery.call(this, i, items[i].json) : await sendMessage.call(this, i, items[i].json);
				returnData.push({ json, pairedItem: { item: i } });
			} catch (error) {
				if (this.continueOnFail()) {
					returnData.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
					continue;
				}
				throw itemError.call(this, error, i);
			}
		}

		return [returnData];
	}
}

async function sendMessage(this: IExecuteFunctions, i: number, input: IDataObject): Promise<IDataObject> {
	const causationEventId = getCausationEventId(input);
	const body = buildChatBody.call(this, i);
	const answer = await agentBridgeApiRequest.call(this, 'POST', '/v1/chat', body, undefined, causationEventId, i);
	const conversationId = String((answer.conversation as IDataObject | undefined)?.id ?? '');
	// The agent's collected fields live on the conversation, not on one answer.
	const conversation = conversationId
		? await agentBridgeApiRequest.call(this, 'GET', `/v1/conversations/${encodeURIComponent(conversationId)}`)
		: {};
	return output(answer, conversation);
}

/** The channel's outcome for one outgoing message; the server records each outcome once. */
async function reportDelivery(this: IExecuteFunctions, i: number, input: IDataObject): Promise<IDataObject> {
	const conversationId = requiredString.call(this, 'conversationId', i, 'Conversation ID');
	const messageId = requiredString.call(this, 'messageId', i, 'Message ID');
	const status = this.getNodeParameter('status', i, 'delivered') as string;
	const body: IDataObject = { status };
	if (status === 'failed') body.reason = requiredString.call(this, 'reason', i, 'Reason').slice(0, MAX_REASON_CHARS);
	const path = `/v1/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}/delivery`;
	const result = await agentBridgeApiRequest.call(this, 'POST', path, body, undefined, getCausationEventId(input), i);
	const message = (result.message as IDataObject | undefined) ?? {};
	return { conversationId, messageId, ...((message.delivery as IDataObject | undefined) ?? { status }), recorded: result.recorded === true };
}

function buildChatBody(this: IExecuteFunctions, i: number): IDataObject {
	const agentId = requiredString.call(this, 'agentId', i, 'Agent');
	const channel = requiredString.call(this, 'channel', i, 'Channel');
	const address = requiredString.call(this, 'address', i, 'Contact Address');
	const text = requiredString.call(this, 'text', i, 'Text');
	const waitSeconds = Number(this.getNodeParameter('waitSeconds', i, 20));
	if (!Number.isFinite(waitSeconds) || waitSeconds < 0 || waitSeconds > MAX_WAIT_SECONDS) {
		throw new NodeOperationError(this.getNode(), `Wait Limit must be between 0 and ${MAX_WAIT_SECONDS} seconds`, { itemIndex: i });
	}
	const given = this.getNodeParameter('contactFields', i, {}) as IDataObject;
	const contact: IDataObject = {};
	for (const field of CONTACT_FIELDS) {
		const value = String(given[field] ?? '').trim();
		if (value !== '') contact[field] = value;
	}
	return {
		agentId,
		text,
		identity: { channel, address },
		waitMs: Math.round(waitSeconds * 1000),
		...(Object.keys(contact).length ? { contact } : {}),
	};
}

/** One item per message: the reply (empty while a human handles the conversation) and what the turn did. */
function output(answer: IDataObject, conversation: IDataObject): IDataObject {
	const reply = answer.reply as IDataObject | null | undefined;
	const actions = Array.isArray(answer.actions) ? (answer.actions as IDataObject[]) : [];
	const status = (answer.conversation as IDataObject | undefined)?.status ?? conversation.status ?? null;
	return {
		reply: typeof reply?.text === 'string' ? reply.text : '',
		replyId: reply?.id ?? null,
		handledByHuman: status === 'human',
		queued: answer.queued === true,
		conversationId: (answer.conversation as IDataObject | undefined)?.id ?? null,
		contactId: (answer.contact as IDataObject | undefined)?.id ?? null,
		conversationStatus: status,
		channel: (answer.conversation as IDataObject | undefined)?.channel ?? conversation.channel ?? null,
		actionsFired: actions.filter((a) => a.fired === true).map((a) => ({ actionId: a.actionId, name: a.name, eventId: a.eventId ?? null })),
		fieldsCollected: (conversation.collected as IDataObject | undefined) ?? {},
		...(answer.waited ? { waited: answer.waited } : {}),
	};
}

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
				type: 'collection',
				placeholder: 'Add Field',
				default: {},
				description: 'What the channel tells about the contact, stored on the contact',
				options: standardContactFields,
			},
			{
				displayName: 'Wait Limit (Seconds)',
				name: 'waitSeconds',
				type: 'number',
				typeOptions: {
					minValue: 0,
					maxValue: MAX_WAIT_SECONDS,
				},
				default: 20,
				description:
					"Longest time to wait for a workflow's result the agent's answer needs; past it the agent's holding reply is output and the result arrives later through the Outgoing Message Trigger",
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
				const causationEventId = getCausationEventId(items[i].json);
				const body = buildChatBody.call(this, i);
				const answer = await agentBridgeApiRequest.call(this, 'POST', '/v1/chat', body, undefined, causationEventId);
				const conversationId = String((answer.conversation as IDataObject | undefined)?.id ?? '');
				// The agent's collected fields live on the conversation, not on one answer.
				const conversation = conversationId
					? await agentBridgeApiRequest.call(this, 'GET', `/v1/conversations/${encodeURIComponent(conversationId)}`)
					: {};
				returnData.push({ json: output(answer, conversation), pairedItem: { item: i } });
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

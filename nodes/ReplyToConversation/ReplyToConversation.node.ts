import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import {
	agentBridgeApiRequest,
	getAgentChoices,
	getCausationEventId,
	getChannels,
	itemError,
	requiredString,
} from '../shared/GenericFunctions';

export class ReplyToConversation implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Reply to Conversation',
		name: 'replyToConversation',
		icon: { light: 'file:../shared/agentBridge.svg', dark: 'file:../shared/agentBridge.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{$parameter["operation"] === "startConversation" ? "Start conversation" : "Reply"}}',
		description:
			'Sends a message as the agent into a live conversation, or starts a new conversation with a contact.',
		documentationUrl:
			'https://github.com/agent-bridge/agent-bridge/blob/main/docs/nodes.md#reply-to-conversation',
		defaults: {
			name: 'Reply to Conversation',
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
						name: 'Reply',
						value: 'reply',
						description: 'Send a message as the agent into a conversation',
						action: 'Reply in a conversation',
					},
					{
						name: 'Start Conversation',
						value: 'startConversation',
						description: 'Have the agent open a new conversation with a contact',
						action: 'Start a conversation',
					},
				],
				default: 'reply',
			},
			{
				displayName: 'Conversation ID',
				name: 'conversationId',
				type: 'string',
				required: true,
				default: '={{ $json.conversationId }}',
				description: 'ID of the conversation to reply in',
				displayOptions: {
					show: {
						operation: ['reply'],
					},
				},
			},
			{
				displayName: 'Contact ID',
				name: 'contactId',
				type: 'string',
				required: true,
				default: '={{ $json.contactId }}',
				description: 'ID of the contact the agent writes to',
				displayOptions: {
					show: {
						operation: ['startConversation'],
					},
				},
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
					'Agent that speaks, in its own persona. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
				displayOptions: {
					show: {
						operation: ['startConversation'],
					},
				},
			},
			{
				displayName: 'Channel Name or ID',
				name: 'channel',
				type: 'options',
				typeOptions: {
					loadOptionsMethod: 'getChannels',
					loadOptionsDependsOn: ['agentId'],
				},
				default: 'api',
				description:
					'Channel of the new conversation. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
				displayOptions: {
					show: {
						operation: ['startConversation'],
					},
				},
			},
			{
				displayName: 'Message',
				name: 'messageType',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Text',
						value: 'text',
						description: 'Send this text as it is (merge fields filled in)',
					},
					{
						name: 'Instructions',
						value: 'instructions',
						description: 'Tell the agent what to say; it writes the message in its own persona',
					},
				],
				default: 'text',
			},
			{
				displayName: 'Text',
				name: 'text',
				type: 'string',
				required: true,
				typeOptions: {
					rows: 4,
				},
				default: '',
				placeholder: 'Thanks {{contact.first_name}}, your quote is {{contact.custom_field.quote}}.',
				description:
					'Message the agent sends. Merge fields such as {{contact.first_name}} and {{contact.custom_field.lead_score}} are filled in by the server.',
				displayOptions: {
					show: {
						messageType: ['text'],
					},
				},
			},
			{
				displayName: 'Instructions',
				name: 'instructions',
				type: 'string',
				required: true,
				typeOptions: {
					rows: 4,
				},
				default: '',
				placeholder:
					'Ask whether they are still interested and offer the booking link {{contact.custom_field.booking_link}}.',
				description:
					'What the message should say; the agent words it in its persona. Merge fields such as {{contact.first_name}} are filled in by the server.',
				displayOptions: {
					show: {
						messageType: ['instructions'],
					},
				},
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				displayOptions: {
					show: {
						operation: ['reply'],
					},
				},
				options: [
					{
						displayName: 'Only If No Reply Since',
						name: 'onlyIfNoReplySince',
						type: 'dateTime',
						default: '',
						description:
							'Skip the reply when the contact wrote after this time, e.g. the time of a Wait node for a follow-up',
					},
					{
						displayName: 'Skip If a Human Handles It',
						name: 'skipIfHuman',
						type: 'boolean',
						default: true,
						description: 'Whether to skip the reply while a human agent has taken over the conversation',
					},
				],
			},
		],
	};

	methods = {
		loadOptions: {
			getAgentChoices,
			getChannels,
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const returnData: INodeExecutionData[] = [];
		const operation = this.getNodeParameter('operation', 0, 'reply') as string;

		for (let i = 0; i < items.length; i++) {
			try {
				const causationEventId = getCausationEventId(items[i].json);
				let json: IDataObject;
				if (operation === 'reply') {
					json = await reply.call(this, i, causationEventId);
				} else if (operation === 'startConversation') {
					json = await startConversation.call(this, i, causationEventId);
				} else {
					throw new NodeOperationError(this.getNode(), `The operation "${operation}" is not supported`, {
						itemIndex: i,
					});
				}
				if (causationEventId) json.causationEventId = causationEventId;
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

/** `{text}` or `{instructions}`: exactly one, as the server requires. */
function messageBody(this: IExecuteFunctions, i: number): IDataObject {
	if (this.getNodeParameter('messageType', i, 'text') === 'instructions') {
		return { instructions: requiredString.call(this, 'instructions', i, 'Instructions') };
	}
	// Text is sent untrimmed: leading or trailing line breaks may be intended.
	const text = String(this.getNodeParameter('text', i, '') ?? '');
	if (text.trim() === '') {
		throw new NodeOperationError(this.getNode(), 'Text is empty', { itemIndex: i });
	}
	return { text };
}

function toIsoTimestamp(this: IExecuteFunctions, value: unknown, i: number): string {
	const date = new Date(String(value));
	if (Number.isNaN(date.getTime())) {
		throw new NodeOperationError(this.getNode(), `"Only If No Reply Since" is not a date: ${String(value)}`, {
			itemIndex: i,
		});
	}
	return date.toISOString();
}

async function reply(
	this: IExecuteFunctions,
	i: number,
	causationEventId: string | undefined,
): Promise<IDataObject> {
	const conversationId = requiredString.call(this, 'conversationId', i, 'Conversation ID');
	const options = this.getNodeParameter('options', i, {}) as IDataObject;
	const body = messageBody.call(this, i);
	if (options.onlyIfNoReplySince !== undefined && options.onlyIfNoReplySince !== '') {
		body.onlyIfNoReplySince = toIsoTimestamp.call(this, options.onlyIfNoReplySince, i);
	}
	if (typeof options.skipIfHuman === 'boolean') body.skipIfHuman = options.skipIfHuman;

	const response = await agentBridgeApiRequest.call(
		this,
		'POST',
		`/v1/conversations/${encodeURIComponent(conversationId)}/replies`,
		body,
		undefined,
		causationEventId,
		i,
	);

	// A skipped reply is a normal outcome (the contact answered, a human took over), not an error.
	if (response.skipped === true) {
		return { conversationId, skipped: true, reason: response.reason ?? null };
	}
	const message = (response.message ?? response) as IDataObject;
	return { ...message, messageId: message.id, conversationId, skipped: false };
}

async function startConversation(
	this: IExecuteFunctions,
	i: number,
	causationEventId: string | undefined,
): Promise<IDataObject> {
	const contactId = requiredString.call(this, 'contactId', i, 'Contact ID');
	const agentId = requiredString.call(this, 'agentId', i, 'Agent');
	const channel = String(this.getNodeParameter('channel', i, 'api') ?? '').trim() || 'api';
	const body: IDataObject = { agentId, contactId, channel, ...messageBody.call(this, i) };

	const response = await agentBridgeApiRequest.call(
		this,
		'POST',
		'/v1/conversations',
		body,
		undefined,
		causationEventId,
		i,
	);

	const conversation = (response.conversation ?? {}) as IDataObject;
	const message = (response.message ?? {}) as IDataObject;
	return {
		...message,
		messageId: message.id,
		conversationId: conversation.id,
		conversationStatus: conversation.status,
		channel: conversation.channel ?? channel,
		contactId,
		agentId,
	};
}

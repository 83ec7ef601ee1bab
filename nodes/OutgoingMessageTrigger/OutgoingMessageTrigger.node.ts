import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { getAgents } from '../shared/GenericFunctions';
import { agentFilter, triggerNotice } from '../shared/TriggerDescription';
import {
	createSubscription,
	deleteSubscription,
	receiveEvent,
	subscriptionExists,
} from '../shared/TriggerFunctions';

const EVENT = 'conversation.message.outgoing';

function filters(context: IHookFunctions): IDataObject {
	return {
		agentId: context.getNodeParameter('agentId', '') as string,
		channel: String(context.getNodeParameter('channel', '') ?? '').trim(),
	};
}

function objectOf(value: unknown): IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as IDataObject) : {};
}

/** What a send node needs at the top level: the text, and where to send it. */
function flatten(envelope: IDataObject): IDataObject {
	const message = objectOf(envelope.message);
	const identity = envelope.identity ? objectOf(envelope.identity) : null;
	return {
		text: message.text ?? '',
		messageId: message.id ?? null,
		role: message.role ?? null,
		source: message.source ?? null,
		channel: envelope.channel ?? objectOf(envelope.conversation).channel ?? null,
		address: identity?.address ?? null,
	};
}

export class OutgoingMessageTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Outgoing Message Trigger',
		name: 'outgoingMessageTrigger',
		icon: { light: 'file:../shared/agentBridge.svg', dark: 'file:../shared/agentBridge.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["channel"] ? "Channel: " + $parameter["channel"] : "Any channel"}}',
		description:
			'Starts the workflow for each message to a contact that a channel node must deliver: workflow replies, late results, follow-ups, human replies.',
		documentationUrl:
			'https://github.com/agent-bridge/agent-bridge/blob/main/docs/nodes.md#outgoing-message-trigger',
		defaults: {
			name: 'Outgoing Message Trigger',
		},
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'agentBridgeApi',
				required: true,
			},
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: 'webhook',
			},
		],
		properties: [
			triggerNotice,
			agentFilter,
			{
				displayName: 'Channel',
				name: 'channel',
				type: 'string',
				default: '',
				placeholder: 'telegram',
				description:
					'Only messages of conversations on this channel (as given to the Agent Bridge Agent node, e.g. telegram, whatsapp, sms, email, slack); empty for every channel',
			},
		],
	};

	methods = {
		loadOptions: {
			getAgents,
		},
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return await subscriptionExists.call(this, EVENT, filters(this));
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return await createSubscription.call(this, EVENT, filters(this));
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return await deleteSubscription.call(this);
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await receiveEvent.call(this, flatten);
	}
}

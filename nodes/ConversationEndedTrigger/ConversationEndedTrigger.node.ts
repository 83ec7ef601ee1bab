import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { getAgents, getChannelFilters, getOutcomes } from '../shared/GenericFunctions';
import { agentFilter, triggerNotice } from '../shared/TriggerDescription';
import {
	createSubscription,
	deleteSubscription,
	receiveEvent,
	subscriptionExists,
} from '../shared/TriggerFunctions';

const EVENT = 'conversation.ended';

function filters(context: IHookFunctions): IDataObject {
	return {
		agentId: context.getNodeParameter('agentId', '') as string,
		channel: context.getNodeParameter('channel', '') as string,
		outcome: context.getNodeParameter('outcome', '') as string,
		endReason: context.getNodeParameter('endReason', '') as string,
	};
}

/** Outcome and end reason at the top level, for an If or Switch on them (the envelope's `ending`). */
function flatten(envelope: IDataObject): IDataObject {
	const ending = (envelope.ending ?? {}) as IDataObject;
	return {
		outcome: ending.outcome ?? null,
		endReason: ending.reason ?? null,
		endedAt: ending.endedAt ?? null,
	};
}

export class ConversationEndedTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Conversation Ended Trigger',
		name: 'conversationEndedTrigger',
		icon: { light: 'file:../shared/agentBridge.svg', dark: 'file:../shared/agentBridge.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["outcome"] ? "Outcome: " + $parameter["outcome"] : "Any outcome"}}',
		description: 'Starts the workflow when a conversation with an agent ends.',
		documentationUrl:
			'https://github.com/agent-bridge/agent-bridge/blob/main/docs/nodes.md#conversation-ended-trigger',
		defaults: {
			name: 'Conversation Ended Trigger',
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
				displayName: 'Channel Name or ID',
				name: 'channel',
				type: 'options',
				typeOptions: {
					loadOptionsMethod: 'getChannelFilters',
					loadOptionsDependsOn: ['agentId'],
				},
				default: '',
				description:
					'Only conversations on this channel. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			{
				displayName: 'Outcome Name or ID',
				name: 'outcome',
				type: 'options',
				typeOptions: {
					loadOptionsMethod: 'getOutcomes',
					loadOptionsDependsOn: ['agentId'],
				},
				default: '',
				description:
					'Only conversations the agent classed with this outcome (e.g. booked, interested, browsing, negative). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			{
				displayName: 'End Reason',
				name: 'endReason',
				type: 'options',
				options: [
					{
						name: 'Any Reason',
						value: '',
					},
					{
						name: 'Closed',
						value: 'closed',
						description: 'Closed through the API',
					},
					{
						name: 'Closing Intent',
						value: 'closing_intent',
						description: 'The contact said goodbye (one of the closing intents)',
					},
					{
						name: 'Handoff',
						value: 'handoff',
						description: 'Ended while a human agent handled the conversation',
					},
					{
						name: 'Inactivity',
						value: 'inactivity',
						description: 'The contact stopped answering for the inactivity timeout',
					},
					{
						name: 'Maximum Turns',
						value: 'max_turns',
						description: 'The conversation reached its maximum number of turns',
					},
				],
				default: '',
				description: 'Only conversations that ended this way',
			},
		],
	};

	methods = {
		loadOptions: {
			getAgents,
			getChannelFilters,
			getOutcomes,
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

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
	type AgentBridgeEventType,
	createSubscription,
	deleteSubscription,
	receiveEvent,
	subscriptionExists,
} from '../shared/TriggerFunctions';

const ENDED: AgentBridgeEventType = 'conversation.ended';
const HANDOFF: AgentBridgeEventType = 'conversation.handoff';

function eventOf(context: IHookFunctions): AgentBridgeEventType {
	return (context.getNodeParameter('event', ENDED) as AgentBridgeEventType) || ENDED;
}

function filters(context: IHookFunctions): IDataObject {
	const common = {
		agentId: context.getNodeParameter('agentId', '') as string,
		channel: context.getNodeParameter('channel', '') as string,
	};
	// A handoff has no outcome or end reason yet: those filters belong to the end only.
	if (eventOf(context) === HANDOFF) return common;
	return {
		...common,
		outcome: context.getNodeParameter('outcome', '') as string,
		endReason: context.getNodeParameter('endReason', '') as string,
	};
}

/**
 * At the top level, for an If or Switch: the end's outcome and reason (the envelope's `ending`), or the handoff's
 * reason and the console link to answer it (the envelope's `handoff`).
 */
function flatten(envelope: IDataObject): IDataObject {
	if (envelope.type === HANDOFF) {
		const handoff = (envelope.handoff ?? {}) as IDataObject;
		return {
			handoffReason: handoff.reason ?? null,
			consoleUrl: handoff.consoleUrl ?? null,
			consolePath: handoff.consolePath ?? null,
		};
	}
	const ending = (envelope.ending ?? {}) as IDataObject;
	return {
		outcome: ending.outcome ?? null,
		endReason: ending.reason ?? null,
		endedAt: ending.endedAt ?? null,
	};
}

const onlyWhenEnded = { show: { event: [ENDED] } };

export class ConversationEndedTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Conversation Ended Trigger',
		name: 'conversationEndedTrigger',
		icon: { light: 'file:../shared/agentBridge.svg', dark: 'file:../shared/agentBridge.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle:
			'={{$parameter["event"] === "conversation.handoff" ? "Handed off to a person" : $parameter["outcome"] ? "Outcome: " + $parameter["outcome"] : "Any outcome"}}',
		description: 'Starts the workflow when a conversation with an agent ends, or is handed off to a person.',
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
			{
				displayName: 'Event',
				name: 'event',
				type: 'options',
				options: [
					{
						name: 'Conversation Ended',
						value: ENDED,
						description: 'The conversation ended, with its outcome',
					},
					{
						name: 'Handed Off to a Person',
						value: HANDOFF,
						description:
							'A person is needed: the contact asked for one, the agent could not answer, or someone took over. Alert the team (Slack, SMS) with the link to the console.',
					},
				],
				default: ENDED,
			},
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
				displayOptions: onlyWhenEnded,
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
				displayOptions: onlyWhenEnded,
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
				return await subscriptionExists.call(this, eventOf(this), filters(this));
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return await createSubscription.call(this, eventOf(this), filters(this));
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

import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { getActions, getAgents } from '../shared/GenericFunctions';
import { agentFilter, triggerNotice } from '../shared/TriggerDescription';
import {
	createSubscription,
	deleteSubscription,
	receiveEvent,
	subscriptionExists,
} from '../shared/TriggerFunctions';

const EVENT = 'agent.action.triggered';

function filters(context: IHookFunctions): IDataObject {
	return {
		agentId: context.getNodeParameter('agentId', '') as string,
		actionId: context.getNodeParameter('actionId', '') as string,
	};
}

/** Which action fired and why, at the top level. */
function flatten(envelope: IDataObject): IDataObject {
	const action = (envelope.action ?? {}) as IDataObject;
	return {
		actionId: action.id,
		actionName: action.name,
		condition: action.condition,
	};
}

export class AiAgentTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'AI Agent Trigger',
		name: 'aiAgentTrigger',
		icon: { light: 'file:../shared/agentBridge.svg', dark: 'file:../shared/agentBridge.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["actionId"] ? "Action: " + $parameter["actionId"] : "Any action"}}',
		description: "Starts the workflow when an agent's Trigger Workflow action fires.",
		documentationUrl: 'https://github.com/agent-bridge/agent-bridge/blob/main/docs/nodes.md#ai-agent-trigger',
		defaults: {
			name: 'AI Agent Trigger',
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
				displayName: 'Action Name or ID',
				name: 'actionId',
				type: 'options',
				typeOptions: {
					loadOptionsMethod: 'getActions',
					loadOptionsDependsOn: ['agentId'],
				},
				default: '',
				description:
					'Only this Trigger Workflow action. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
		],
	};

	methods = {
		loadOptions: {
			getAgents,
			getActions,
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

import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { getAgents, getTags, parseTags } from '../shared/GenericFunctions';
import { agentFilter, triggerNotice } from '../shared/TriggerDescription';
import {
	createSubscription,
	deleteSubscription,
	receiveEvent,
	subscriptionExists,
} from '../shared/TriggerFunctions';

const EVENT = 'contact.tag.added';

function filters(context: IHookFunctions): IDataObject {
	return {
		// An expression may give a comma-separated string instead of a list.
		tags: parseTags(context.getNodeParameter('tags', [])),
		agentId: context.getNodeParameter('agentId', '') as string,
		addedBy: context.getNodeParameter('addedBy', '') as string,
	};
}

/** The tag and who added it, first among the fields. */
function flatten(envelope: IDataObject): IDataObject {
	return {
		tag: envelope.tag ?? null,
		addedBy: envelope.addedBy ?? null,
	};
}

export class TagAddedTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Tag Added Trigger',
		name: 'tagAddedTrigger',
		icon: { light: 'file:../shared/agentBridge.svg', dark: 'file:../shared/agentBridge.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["tags"] && $parameter["tags"].length ? "Tags: " + $parameter["tags"].join(", ") : "Any tag"}}',
		description: 'Starts the workflow when a tag is added to a contact.',
		documentationUrl: 'https://github.com/agent-bridge/agent-bridge/blob/main/docs/nodes.md#tag-added-trigger',
		defaults: {
			name: 'Tag Added Trigger',
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
				displayName: 'Tag Names or IDs',
				name: 'tags',
				type: 'multiOptions',
				typeOptions: {
					loadOptionsMethod: 'getTags',
					loadOptionsDependsOn: ['agentId'],
				},
				default: [],
				description:
					'Only these tags (any of them); none means every tag. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			agentFilter,
			{
				displayName: 'Added By',
				name: 'addedBy',
				type: 'options',
				options: [
					{
						name: 'Anyone',
						value: '',
					},
					{
						name: 'Agent',
						value: 'agent',
						description: "The agent's tag rules, during a conversation",
					},
					{
						name: 'Workflow',
						value: 'workflow',
						description: 'A workflow, through the Contact or Score Lead node',
					},
					{
						name: 'API',
						value: 'api',
						description: 'A direct call to the Agent Bridge API',
					},
				],
				default: '',
				description:
					'Only tags added this way; choose Agent to avoid reacting to tags your own workflows add',
			},
		],
	};

	methods = {
		loadOptions: {
			getAgents,
			getTags,
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

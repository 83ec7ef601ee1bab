import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import {
	agentBridgeApiRequest,
	getActions,
	getAgents,
	isNotFoundError,
	verifyWebhookSignature,
} from './GenericFunctions';

/** Deliveries are at-least-once; remembering this many recent ids is enough to absorb retries. */
const SEEN_WEBHOOK_IDS = 100;

interface TriggerStaticData extends IDataObject {
	subscriptionId?: string;
	secret?: string;
	seenWebhookIds?: string[];
}

/** Empty parameters mean "any": they are left out so the server does not filter on them. */
function subscriptionFilters(context: IHookFunctions): IDataObject {
	const agentId = context.getNodeParameter('agentId', '') as string;
	const actionId = context.getNodeParameter('actionId', '') as string;
	const filters: IDataObject = {};
	if (agentId) filters.agentId = agentId;
	if (actionId) filters.actionId = actionId;
	return filters;
}

function forgetSubscription(staticData: TriggerStaticData): void {
	delete staticData.subscriptionId;
	delete staticData.secret;
	delete staticData.seenWebhookIds;
}

export class AiAgentTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'AI Agent Trigger',
		name: 'aiAgentTrigger',
		icon: 'file:agentBridge.svg',
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["actionId"] ? "Action: " + $parameter["actionId"] : "Any action"}}',
		description: "Starts the workflow when an agent's Trigger Workflow action fires.",
		defaults: {
			name: 'AI Agent Trigger',
		},
		inputs: [],
		outputs: ['main'],
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
			{
				displayName: 'Agent Name or ID',
				name: 'agentId',
				type: 'options',
				typeOptions: {
					loadOptionsMethod: 'getAgents',
				},
				default: '',
				description:
					'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
			},
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
					'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
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
				const staticData = this.getWorkflowStaticData('node') as TriggerStaticData;
				if (!staticData.subscriptionId || !staticData.secret) return false;
				const path = `/v1/subscriptions/${encodeURIComponent(staticData.subscriptionId)}`;
				let subscription: IDataObject;
				try {
					subscription = await agentBridgeApiRequest.call(this, 'GET', path);
				} catch (error) {
					// Deleted on the server: forget it so create() makes a fresh one.
					if (isNotFoundError(error)) {
						forgetSubscription(staticData);
						return false;
					}
					throw error;
				}

				// A subscription for another URL or other filters (node edited since) is replaced.
				const filters = (subscription.filters ?? {}) as IDataObject;
				const wanted = subscriptionFilters(this);
				const matches =
					subscription.url === this.getNodeWebhookUrl('default') &&
					(filters.agentId ?? '') === (wanted.agentId ?? '') &&
					(filters.actionId ?? '') === (wanted.actionId ?? '');
				if (matches) return true;
				try {
					await agentBridgeApiRequest.call(this, 'DELETE', path);
				} catch (error) {
					if (!isNotFoundError(error)) throw error;
				}
				forgetSubscription(staticData);
				return false;
			},

			async create(this: IHookFunctions): Promise<boolean> {
				const subscription = await agentBridgeApiRequest.call(this, 'POST', '/v1/subscriptions', {
					url: this.getNodeWebhookUrl('default'),
					events: ['agent.action.triggered'],
					filters: subscriptionFilters(this),
				});
				if (typeof subscription.id !== 'string' || typeof subscription.secret !== 'string') {
					return false;
				}

				const staticData = this.getWorkflowStaticData('node') as TriggerStaticData;
				staticData.subscriptionId = subscription.id;
				staticData.secret = subscription.secret;
				return true;
			},

			async delete(this: IHookFunctions): Promise<boolean> {
				const staticData = this.getWorkflowStaticData('node') as TriggerStaticData;
				if (staticData.subscriptionId) {
					try {
						await agentBridgeApiRequest.call(
							this,
							'DELETE',
							`/v1/subscriptions/${encodeURIComponent(staticData.subscriptionId)}`,
						);
					} catch (error) {
						// Already gone on the server is the state we want.
						if (!isNotFoundError(error)) throw error;
					}
				}
				forgetSubscription(staticData);
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const staticData = this.getWorkflowStaticData('node') as TriggerStaticData;
		const headers = this.getHeaderData();
		const request = this.getRequestObject() as { rawBody?: Buffer | string };
		const rawBody = request.rawBody ?? '';

		const verification = verifyWebhookSignature(
			staticData.secret ?? '',
			headers,
			rawBody,
			Math.floor(Date.now() / 1000),
		);
		if (!verification.valid) {
			const response = this.getResponseObject();
			response.status(401).json({ message: verification.reason });
			return { noWebhookResponse: true };
		}

		// Retries reuse the webhook-id: answer them (2xx stops the retries) without starting the workflow again.
		const webhookId = String(headers['webhook-id']);
		const seen = Array.isArray(staticData.seenWebhookIds) ? staticData.seenWebhookIds : [];
		if (seen.includes(webhookId)) return {};
		staticData.seenWebhookIds = [...seen, webhookId].slice(-SEEN_WEBHOOK_IDS);

		const text = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
		let envelope: IDataObject;
		try {
			envelope = JSON.parse(text) as IDataObject;
		} catch {
			envelope = this.getBodyData();
		}

		const contact = (envelope.contact ?? {}) as IDataObject;
		const conversation = (envelope.conversation ?? {}) as IDataObject;
		const item: IDataObject = {
			...envelope,
			eventId: envelope.id,
			contactId: contact.id,
			conversationId: conversation.id,
		};
		return {
			workflowData: [this.helpers.returnJsonArray(item)],
		};
	}
}

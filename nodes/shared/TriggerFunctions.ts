import type {
	IDataObject,
	IHookFunctions,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import {
	agentBridgeApiRequest,
	agentBridgeApiRequestUnlessGone,
	verifyWebhookSignature,
} from './GenericFunctions';

/**
 * The subscription lifecycle, signature check and de-duplication shared by every Agent Bridge trigger.
 * Each trigger only says which event it wants, which filters its parameters make, and how to flatten it.
 */

export type AgentBridgeEventType =
	| 'agent.action.triggered'
	| 'conversation.ended'
	| 'contact.tag.added'
	| 'conversation.message.outgoing'
	| 'conversation.handoff';

export interface TriggerStaticData extends IDataObject {
	subscriptionId?: string;
	secret?: string;
}

function staticDataOf(context: IHookFunctions | IWebhookFunctions): TriggerStaticData {
	return context.getWorkflowStaticData('node') as TriggerStaticData;
}

function forgetSubscription(staticData: TriggerStaticData): void {
	delete staticData.subscriptionId;
	delete staticData.secret;
	// Kept by older versions of this package, which remembered seen ids here (n8n never saved them from a webhook call).
	delete staticData.seenWebhookIds;
}

function subscriptionPath(id: string): string {
	return `/v1/subscriptions/${encodeURIComponent(id)}`;
}

/**
 * n8n runs the hooks in mode `manual` for "Listen for test event" (and serves that webhook under
 * `webhook-test/`); the server then sends a sample event at once, so the user need not wait for a real one.
 */
export function isTestListen(context: IHookFunctions): boolean {
	const url = context.getNodeWebhookUrl('default') ?? '';
	return context.getMode() === 'manual' || url.includes('/webhook-test/');
}

/** Empty values mean "any": they are left out so the server does not filter on them. */
export function compactFilters(filters: IDataObject): IDataObject {
	const result: IDataObject = {};
	for (const [key, value] of Object.entries(filters)) {
		if (value === undefined || value === null || value === '') continue;
		if (Array.isArray(value)) {
			const list = value.map((v) => String(v).trim()).filter((v) => v !== '');
			if (list.length > 0) result[key] = [...new Set(list)];
			continue;
		}
		result[key] = value;
	}
	return result;
}

/** Order-independent form, so `{tags: [a, b]}` and `{tags: [b, a]}` count as the same filters. */
function canonical(filters: IDataObject): string {
	const compact = compactFilters(filters);
	const sorted: IDataObject = {};
	for (const key of Object.keys(compact).sort()) {
		const value = compact[key];
		sorted[key] = Array.isArray(value) ? [...(value as string[])].sort() : value;
	}
	return JSON.stringify(sorted);
}

/** Already gone on the server (404) is the state we want; any other failure is reported. */
async function removeSubscription(context: IHookFunctions, id: string): Promise<void> {
	await agentBridgeApiRequestUnlessGone.call(context, 'DELETE', subscriptionPath(id));
}

/** `checkExists`: true only when the stored subscription still exists for this URL, event and filters. */
export async function subscriptionExists(
	this: IHookFunctions,
	event: AgentBridgeEventType,
	filters: IDataObject,
): Promise<boolean> {
	const staticData = staticDataOf(this);
	if (!staticData.subscriptionId || !staticData.secret) return false;

	const subscription = await agentBridgeApiRequestUnlessGone.call(
		this,
		'GET',
		subscriptionPath(staticData.subscriptionId),
	);
	// Deleted on the server: forget it so create() makes a fresh one.
	if (subscription === null) {
		forgetSubscription(staticData);
		return false;
	}

	// A subscription for another URL, event or filters (node edited since) is replaced.
	const events = Array.isArray(subscription.events) ? subscription.events : [event];
	const matches =
		subscription.url === this.getNodeWebhookUrl('default') &&
		events.length === 1 &&
		events[0] === event &&
		canonical((subscription.filters ?? {}) as IDataObject) === canonical(filters);
	if (matches) return true;
	await removeSubscription(this, staticData.subscriptionId);
	forgetSubscription(staticData);
	return false;
}

/** `create`: subscribes this node's webhook URL and keeps the subscription id and signing secret. */
export async function createSubscription(
	this: IHookFunctions,
	event: AgentBridgeEventType,
	filters: IDataObject,
): Promise<boolean> {
	const body: IDataObject = {
		url: this.getNodeWebhookUrl('default'),
		events: [event],
		filters: compactFilters(filters),
	};
	if (isTestListen(this)) body.sendTestEvent = true;

	const subscription = await agentBridgeApiRequest.call(this, 'POST', '/v1/subscriptions', body);
	if (typeof subscription.id !== 'string' || typeof subscription.secret !== 'string') {
		throw new NodeOperationError(
			this.getNode(),
			'The Agent Bridge server did not return a subscription id and signing secret',
			{ description: 'Check that the Server URL of the credential points at an Agent Bridge server.' },
		);
	}
	const staticData = staticDataOf(this);
	staticData.subscriptionId = subscription.id;
	staticData.secret = subscription.secret;
	return true;
}

/** `delete`: removes the subscription (a 404 means it is already gone) and forgets it. */
export async function deleteSubscription(this: IHookFunctions): Promise<boolean> {
	const staticData = staticDataOf(this);
	if (staticData.subscriptionId) await removeSubscription(this, staticData.subscriptionId);
	forgetSubscription(staticData);
	return true;
}

function objectOf(value: unknown): IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as IDataObject) : {};
}

/** Fields every trigger puts at the top level, so they map without digging into the envelope. */
export function commonEventFields(envelope: IDataObject): IDataObject {
	const contact = objectOf(envelope.contact);
	const conversation = objectOf(envelope.conversation);
	const agent = objectOf(envelope.agent);
	return {
		eventId: envelope.id,
		eventType: envelope.type,
		contactId: contact.id,
		conversationId: conversation.id,
		agentId: agent.id,
		channel: conversation.channel,
	};
}

/**
 * Asks the server for this delivery: of every copy of it (a retry after a lost answer, a replay, the same request at
 * several n8n webhook processes) exactly one is claimed. n8n keeps no state between webhook calls that other
 * processes see (static data changed in a webhook call is not saved), so the server's database decides.
 */
async function claimDelivery(this: IWebhookFunctions, webhookId: string, subscriptionId: string): Promise<boolean> {
	const workflow = this.getWorkflow();
	const body: IDataObject = { subscriptionId, workflowId: String(workflow.id ?? 'unsaved') };
	if (workflow.name) body.workflowName = workflow.name.slice(0, 256);
	const answer = await agentBridgeApiRequest.call(this, 'POST', `/v1/deliveries/${encodeURIComponent(webhookId)}/claim`, body);
	return answer.claimed === true;
}

/**
 * `webhook`: verifies the Standard Webhooks signature over the raw body (401 otherwise), claims the delivery at the
 * server (a copy already claimed starts nothing and is answered 200, which ends the server's retries), and starts
 * the workflow with the envelope plus the flattened fields. A claim that cannot be made fails the request, so the
 * server tries again later.
 */
export async function receiveEvent(
	this: IWebhookFunctions,
	flatten: (envelope: IDataObject) => IDataObject,
): Promise<IWebhookResponseData> {
	const staticData = staticDataOf(this);
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
		this.getResponseObject().status(401).json({ message: verification.reason });
		return { noWebhookResponse: true };
	}

	// Retries reuse the webhook-id: answer them (2xx stops the retries) without starting the workflow again.
	const webhookId = String(headers['webhook-id']);
	if (!(await claimDelivery.call(this, webhookId, staticData.subscriptionId ?? ''))) return {};

	const text = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
	let envelope: IDataObject;
	try {
		envelope = objectOf(JSON.parse(text));
	} catch {
		// The signature matched, so the body is the server's; n8n may already have parsed it.
		envelope = this.getBodyData();
	}

	// Flattened fields first (n8n shows keys in order), and they win over envelope keys of the same name.
	const flat = { ...commonEventFields(envelope), ...flatten(envelope), deliveryId: webhookId };
	const item: IDataObject = { ...flat, ...envelope, ...flat };
	return { workflowData: [this.helpers.returnJsonArray(item)] };
}

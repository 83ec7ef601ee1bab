import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import type {
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	IN8nHttpFullResponse,
	INodePropertyOptions,
	IWebhookFunctions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

export const CAUSATION_HEADER = 'X-Agent-Bridge-Causation';
/** Which n8n execution of which workflow makes a call, so the server links the execution to the event it ran for. */
export const EXECUTION_HEADER = 'X-Agent-Bridge-Execution';
export const WORKFLOW_HEADER = 'X-Agent-Bridge-Workflow';
export const WORKFLOW_NAME_HEADER = 'X-Agent-Bridge-Workflow-Name';
export const EXECUTION_MODE_HEADER = 'X-Agent-Bridge-Execution-Mode';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** How far a webhook timestamp may be from now, either way (Standard Webhooks recommends 5 minutes). */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

type AgentBridgeContext =
	| IExecuteFunctions
	| IHookFunctions
	| ILoadOptionsFunctions
	| IWebhookFunctions;

function isObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The server answers errors as `{statusCode, error, message}`; fall back to whatever the error carries. */
function messageFromError(error: unknown): { message: string; httpCode?: string; data?: IDataObject } {
	const err = isObject(error) ? error : {};
	const response = isObject(err.response) ? err.response : undefined;
	const context = isObject(err.context) ? err.context : undefined;
	const data = isObject(response?.data)
		? response.data
		: isObject(response?.body)
			? response.body
			: isObject(context?.data)
				? context.data
				: undefined;
	const status = response?.status ?? response?.statusCode ?? err.httpCode;
	const message =
		(typeof data?.message === 'string' && data.message) ||
		(typeof err.description === 'string' && err.description) ||
		(error instanceof Error && error.message) ||
		'The Agent Bridge server could not be reached';
	return {
		message,
		httpCode: status === undefined || status === null ? undefined : String(status),
		data,
	};
}

interface RawResponse {
	statusCode: number;
	body: unknown;
}

function isExecution(context: AgentBridgeContext): context is IExecuteFunctions {
	const c = context as Partial<IExecuteFunctions>;
	return typeof c.getInputData === 'function' && typeof c.getExecutionId === 'function' && typeof c.getWorkflow === 'function';
}

/** The node's run in this execution: a node inside a loop runs several times, each run its own effect. */
function runIndexOf(context: IExecuteFunctions, itemIndex: number): number {
	try {
		return Number(context.getWorkflowDataProxy(itemIndex).$runIndex ?? 0);
	} catch {
		return 0;
	}
}

/**
 * The Idempotency-Key of one change a node makes for one item: the same on every run of the same step for the same
 * triggering event (n8n's retry of an execution, a stalled queue job run again, a redelivery), so the server applies it
 * once and answers a repeat with the first answer. A run from the editor ("Execute step") is its own test, not a repeat.
 */
export function idempotencyKeyFor(
	context: IExecuteFunctions,
	itemIndex: number,
	causationEventId: string | undefined,
	method: string,
	path: string,
): string {
	const manual = context.getMode() === 'manual';
	const origin = causationEventId && !manual ? causationEventId : `x-${context.getExecutionId()}`;
	const step = [context.getNode().id, runIndexOf(context, itemIndex), itemIndex, method, path].join('|');
	return `n8n:${origin}:${createHash('sha256').update(step).digest('hex').slice(0, 32)}`;
}

/** What a call from a running execution says about itself: the execution, its workflow and mode. */
function executionHeaders(context: IExecuteFunctions): IDataObject {
	const workflow = context.getWorkflow();
	const headers: IDataObject = {
		[EXECUTION_HEADER]: String(context.getExecutionId() ?? ''),
		[WORKFLOW_HEADER]: String(workflow.id ?? ''),
		[EXECUTION_MODE_HEADER]: context.getMode(),
	};
	if (workflow.name) headers[WORKFLOW_NAME_HEADER] = encodeURIComponent(workflow.name);
	return headers;
}

/** Sends one request with the credential; only a failure to get any answer throws here. */
async function sendRequest(
	this: AgentBridgeContext,
	method: IHttpRequestMethods,
	path: string,
	body?: IDataObject,
	qs?: IDataObject,
	causationEventId?: string,
	itemIndex?: number,
): Promise<RawResponse> {
	const credentials = await this.getCredentials('agentBridgeApi');
	const baseUrl = String(credentials.serverUrl ?? '').replace(/\/+$/, '');

	let headers: IDataObject = { Accept: 'application/json' };
	if (causationEventId) headers[CAUSATION_HEADER] = causationEventId;
	if (isExecution(this)) {
		headers = { ...headers, ...executionHeaders(this) };
		if (itemIndex !== undefined && method !== 'GET') headers[IDEMPOTENCY_HEADER] = idempotencyKeyFor(this, itemIndex, causationEventId, method, path);
	}

	const options: IHttpRequestOptions = {
		method,
		url: `${baseUrl}${path}`,
		headers,
		json: true,
		ignoreHttpStatusErrors: true,
		returnFullResponse: true,
	};
	if (body !== undefined) options.body = body;
	if (qs !== undefined && Object.keys(qs).length > 0) options.qs = qs;

	try {
		const response = (await this.helpers.httpRequestWithAuthentication.call(
			this,
			'agentBridgeApi',
			options,
		)) as IN8nHttpFullResponse;
		return { statusCode: Number(response.statusCode ?? 200), body: response.body as unknown };
	} catch (error) {
		const { message, httpCode, data } = messageFromError(error);
		throw new NodeApiError(this.getNode(), (data ?? { message }) as JsonObject, {
			message,
			httpCode,
		});
	}
}

/** HTTP errors are read here (not by the HTTP client) so that the node error shows the server's own message. */
function toResult(context: AgentBridgeContext, response: RawResponse): IDataObject {
	const { statusCode, body } = response;
	if (statusCode >= 400) {
		const data: IDataObject = isObject(body)
			? body
			: { message: typeof body === 'string' ? body : '' };
		const message =
			typeof data.message === 'string' && data.message !== ''
				? data.message
				: `The Agent Bridge server answered ${statusCode}`;
		throw new NodeApiError(context.getNode(), data as JsonObject, {
			message,
			httpCode: String(statusCode),
			description: typeof data.error === 'string' ? data.error : undefined,
		});
	}
	// A 204 (e.g. after DELETE) has no body.
	return isObject(body) ? body : {};
}

/**
 * The one request helper for every Agent Bridge node; carries the causation of the triggering event and, from a running
 * execution, the execution's id and (with `itemIndex`, for a change) the call's Idempotency-Key.
 */
export async function agentBridgeApiRequest(
	this: AgentBridgeContext,
	method: IHttpRequestMethods,
	path: string,
	body?: IDataObject,
	qs?: IDataObject,
	causationEventId?: string,
	itemIndex?: number,
): Promise<IDataObject> {
	return toResult(this, await sendRequest.call(this, method, path, body, qs, causationEventId, itemIndex));
}

/**
 * Same request, for objects that may be gone: a 404 (deleted, or another workspace's id) gives `null` instead of
 * an error. Used by the triggers, whose stored subscription may have been removed on the server.
 */
export async function agentBridgeApiRequestUnlessGone(
	this: AgentBridgeContext,
	method: IHttpRequestMethods,
	path: string,
): Promise<IDataObject | null> {
	const response = await sendRequest.call(this, method, path);
	return response.statusCode === 404 ? null : toResult(this, response);
}

/**
 * Ties an error to the item that caused it. Checked by shape, not instanceof: the package may see another copy
 * of n8n-workflow than the one n8n runs.
 */
export function itemError(this: IExecuteFunctions, error: unknown, itemIndex: number): Error {
	if (isObject(error) && isObject(error.context) && error instanceof Error) {
		error.context.itemIndex = itemIndex;
		return error;
	}
	return new NodeOperationError(this.getNode(), error as Error, { itemIndex });
}

/**
 * The event a workflow run started from, carried on by every action node so the server can follow the chain
 * (loop guard and timeline). Trigger output has `eventId`; action output has `causationEventId`.
 */
export function getCausationEventId(json: IDataObject): string | undefined {
	const value = json.causationEventId ?? json.eventId;
	return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Custom field values arrive from the UI as strings; a plainly numeric one (e.g. a lead score) is sent as a
 * number so the agent can compare it. Leading zeros (zip codes, ids) stay strings.
 */
export function toCustomFieldValue(value: unknown): string | number | boolean | null {
	if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
	if (value === undefined) return null;
	const text = typeof value === 'string' ? value : JSON.stringify(value);
	const trimmed = text.trim();
	if (/^-?(0|[1-9]\d{0,14})(\.\d+)?$/.test(trimmed)) {
		const number = Number(trimmed);
		if (Number.isFinite(number)) return number;
	}
	return text;
}

export type WebhookVerification = { valid: true } | { valid: false; reason: string };

type HeaderBag = Record<string, string | string[] | undefined>;

function headerValue(headers: HeaderBag, name: string): string | undefined {
	for (const [key, value] of Object.entries(headers)) {
		if (key.toLowerCase() !== name) continue;
		return Array.isArray(value) ? value.join(' ') : value;
	}
	return undefined;
}

/**
 * Standard Webhooks verification: `webhook-signature` holds one or more space-separated `v1,<base64>` values,
 * each an HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${body}` keyed with the base64-decoded secret.
 */
export function verifyWebhookSignature(
	secret: string,
	headers: HeaderBag,
	rawBody: Buffer | string,
	nowSeconds: number,
): WebhookVerification {
	const id = headerValue(headers, 'webhook-id');
	const timestamp = headerValue(headers, 'webhook-timestamp');
	const signatureHeader = headerValue(headers, 'webhook-signature');
	if (!id || !timestamp || !signatureHeader) {
		return { valid: false, reason: 'Missing webhook-id, webhook-timestamp or webhook-signature header' };
	}
	if (!/^\d+$/.test(timestamp)) {
		return { valid: false, reason: 'Invalid webhook-timestamp header' };
	}
	// Rejects replays of old deliveries and clocks far in the future alike.
	if (Math.abs(nowSeconds - Number(timestamp)) > WEBHOOK_TOLERANCE_SECONDS) {
		return { valid: false, reason: 'Webhook timestamp is outside the tolerance window' };
	}

	const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
	if (key.length === 0) {
		return { valid: false, reason: 'No webhook secret is stored for this trigger' };
	}
	// HMAC over the exact bytes received: a re-serialised body would not match.
	const expected = createHmac('sha256', key)
		.update(`${id}.${timestamp}.`)
		.update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
		.digest();

	for (const entry of signatureHeader.split(' ')) {
		const comma = entry.indexOf(',');
		if (comma === -1 || entry.slice(0, comma) !== 'v1') continue;
		const candidate = Buffer.from(entry.slice(comma + 1), 'base64');
		if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) {
			return { valid: true };
		}
	}
	return { valid: false, reason: 'No matching webhook signature' };
}

interface AgentSummary {
	id: string;
	name?: string;
	description?: string;
	channels?: string[];
	tags?: string[];
	outcomes?: string[];
	actions?: Array<{ id: string; name?: string; description?: string }>;
}

function byName(a: INodePropertyOptions, b: INodePropertyOptions): number {
	return a.name.localeCompare(b.name);
}

/** Every dropdown reads the one agent list, so they all agree with what the server knows. */
async function listAgents(this: ILoadOptionsFunctions): Promise<AgentSummary[]> {
	const response = await agentBridgeApiRequest.call(this, 'GET', '/v1/agents');
	return (Array.isArray(response.data) ? response.data : []) as unknown as AgentSummary[];
}

/** The agent picked in the node, or undefined for "any agent" (an unresolved expression counts as any). */
function chosenAgentId(context: ILoadOptionsFunctions): string | undefined {
	let value: unknown;
	try {
		value = context.getCurrentNodeParameter('agentId');
	} catch {
		// Nodes without an agent parameter list the values of every agent.
		value = undefined;
	}
	return typeof value === 'string' && value !== '' && !value.startsWith('=') ? value : undefined;
}

/** Values of one list (channels, tags, outcomes) of the chosen agent, or of all agents, without repeats. */
async function agentValues(
	context: ILoadOptionsFunctions,
	pick: (agent: AgentSummary) => string[] | undefined,
	always: string[] = [],
): Promise<INodePropertyOptions[]> {
	const agentId = chosenAgentId(context);
	const agents = (await listAgents.call(context)).filter((a) => !agentId || a.id === agentId);
	const values = new Set<string>(always);
	for (const agent of agents) for (const value of pick(agent) ?? []) values.add(value);
	return [...values].map((value) => ({ name: value, value })).sort(byName);
}

function agentOptions(agents: AgentSummary[]): INodePropertyOptions[] {
	return agents
		.map((agent) => ({ name: agent.name || agent.id, value: agent.id, description: agent.description }))
		.sort(byName);
}

/** Agents of the workspace, for filters. An empty value means any agent. */
export async function getAgents(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	return [{ name: 'Any Agent', value: '' }, ...agentOptions(await listAgents.call(this))];
}

/** Agents of the workspace, where one must be chosen (e.g. who starts a conversation). */
export async function getAgentChoices(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	return agentOptions(await listAgents.call(this));
}

/** Trigger Workflow actions of the chosen agent. An empty value means every action. */
export async function getActions(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const anyAction: INodePropertyOptions = { name: 'Any Action', value: '' };
	const agentId = chosenAgentId(this);
	if (!agentId) return [anyAction];
	const agent = (await listAgents.call(this)).find((a) => a.id === agentId);
	const options = (agent?.actions ?? [])
		.map((action) => ({ name: action.name || action.id, value: action.id, description: action.description }))
		.sort(byName);
	return [anyAction, ...options];
}

/** Channels of the chosen agent (or of all agents), for filters. An empty value means any channel. */
export async function getChannelFilters(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	return [{ name: 'Any Channel', value: '' }, ...(await agentValues(this, (a) => a.channels))];
}

/** Channels a conversation can start on; the HTTP chat API (`api`) is always there. */
export async function getChannels(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	return agentValues(this, (a) => a.channels, ['api']);
}

/** Tags the agents' rules can add. */
export async function getTags(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	return agentValues(this, (a) => a.tags);
}

/** Outcome classes of the chosen agent (or of all agents). An empty value means any outcome. */
export async function getOutcomes(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	return [{ name: 'Any Outcome', value: '' }, ...(await agentValues(this, (a) => a.outcomes))];
}

/** A required text parameter, trimmed; an empty one is the user's mistake, reported on its item. */
export function requiredString(
	this: IExecuteFunctions,
	name: string,
	itemIndex: number,
	label: string,
): string {
	const value = String(this.getNodeParameter(name, itemIndex, '') ?? '').trim();
	if (value === '') {
		throw new NodeOperationError(this.getNode(), `${label} is empty`, { itemIndex });
	}
	return value;
}

/** Comma-separated (or listed) tags, trimmed, without blanks or repeats. */
export function parseTags(value: unknown): string[] {
	const list = Array.isArray(value) ? value : String(value ?? '').split(',');
	return [...new Set(list.map((tag) => String(tag).trim()).filter((tag) => tag !== ''))];
}

/** Path of one contact, for every contact route. */
export function contactPath(contactId: string): string {
	return `/v1/contacts/${encodeURIComponent(contactId)}`;
}

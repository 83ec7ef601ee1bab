import { createHmac, timingSafeEqual } from 'node:crypto';

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

/**
 * The one request helper for every Agent Bridge node. HTTP errors are read here (not by the HTTP client)
 * so that the node error always shows the server's own message.
 */
export async function agentBridgeApiRequest(
	this: AgentBridgeContext,
	method: IHttpRequestMethods,
	path: string,
	body?: IDataObject,
	qs?: IDataObject,
	causationEventId?: string,
): Promise<IDataObject> {
	const credentials = await this.getCredentials('agentBridgeApi');
	const baseUrl = String(credentials.serverUrl ?? '').replace(/\/+$/, '');

	const headers: IDataObject = { Accept: 'application/json' };
	if (causationEventId) headers[CAUSATION_HEADER] = causationEventId;

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

	let response: IN8nHttpFullResponse;
	try {
		response = (await this.helpers.httpRequestWithAuthentication.call(
			this,
			'agentBridgeApi',
			options,
		)) as IN8nHttpFullResponse;
	} catch (error) {
		const { message, httpCode, data } = messageFromError(error);
		throw new NodeApiError(this.getNode(), (data ?? { message }) as JsonObject, {
			message,
			httpCode,
		});
	}

	const statusCode = Number(response.statusCode ?? 200);
	const responseBody = response.body as unknown;
	if (statusCode >= 400) {
		const data: IDataObject = isObject(responseBody)
			? responseBody
			: { message: typeof responseBody === 'string' ? responseBody : '' };
		const message =
			typeof data.message === 'string' && data.message !== ''
				? data.message
				: `The Agent Bridge server answered ${statusCode}`;
		throw new NodeApiError(this.getNode(), data as JsonObject, {
			message,
			httpCode: String(statusCode),
			description: typeof data.error === 'string' ? data.error : undefined,
		});
	}
	// A 204 (e.g. after DELETE) has no body.
	return isObject(responseBody) ? responseBody : {};
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

/** True when the error is the server saying the object does not exist (or belongs to another workspace). */
export function isNotFoundError(error: unknown): boolean {
	return isObject(error) && String(error.httpCode) === '404';
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
	actions?: Array<{ id: string; name?: string; description?: string }>;
}

function byName(a: INodePropertyOptions, b: INodePropertyOptions): number {
	return a.name.localeCompare(b.name);
}

/** Agents of the workspace, for the agent dropdowns. An empty value means any agent. */
export async function getAgents(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const response = await agentBridgeApiRequest.call(this, 'GET', '/v1/agents');
	const agents = (Array.isArray(response.data) ? response.data : []) as unknown as AgentSummary[];
	const options = agents
		.map((agent) => ({
			name: agent.name || agent.id,
			value: agent.id,
			description: agent.description,
		}))
		.sort(byName);
	return [{ name: 'Any Agent', value: '' }, ...options];
}

/** Trigger Workflow actions of the chosen agent. An empty value means every action. */
export async function getActions(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const anyAction: INodePropertyOptions = { name: 'Any Action', value: '' };
	const agentId = this.getCurrentNodeParameter('agentId');
	if (typeof agentId !== 'string' || agentId === '') return [anyAction];

	const agent = (await agentBridgeApiRequest.call(
		this,
		'GET',
		`/v1/agents/${encodeURIComponent(agentId)}`,
	)) as unknown as AgentSummary;
	const options = (agent.actions ?? [])
		.map((action) => ({
			name: action.name || action.id,
			value: action.id,
			description: action.description,
		}))
		.sort(byName);
	return [anyAction, ...options];
}

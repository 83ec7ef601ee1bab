import { createHmac } from 'node:crypto';

import type {
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	INode,
	INodeExecutionData,
	IWebhookFunctions,
} from 'n8n-workflow';

export const SERVER_URL = 'http://agents.test:3000/';

export const node: INode = {
	id: 'node-1',
	name: 'Agent Bridge',
	type: 'n8n-nodes-agent-bridge.test',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

/** What n8n's helper returns with `returnFullResponse`. */
export function reply(body: unknown, statusCode = 200) {
	return { statusCode, statusMessage: '', headers: {}, body };
}

type Params = Record<string, unknown> | ((name: string, itemIndex: number) => unknown);

export function paramGetter(params: Params) {
	return jest.fn((name: string, itemIndex = 0, fallback?: unknown) => {
		const value = typeof params === 'function' ? params(name, itemIndex) : params[name];
		return value === undefined ? fallback : value;
	});
}

export function executeContext(options: {
	params: Params;
	items?: INodeExecutionData[];
	continueOnFail?: boolean;
	/** n8n's execution: its id, mode ('webhook', 'retry', 'manual'...) and the node's run index. */
	executionId?: string;
	mode?: string;
	runIndex?: number;
	request?: (...args: any[]) => unknown;
}) {
	const httpRequestWithAuthentication = jest.fn(options.request ?? (async () => reply({})));
	const context = {
		getInputData: () => options.items ?? [{ json: {} }],
		getNodeParameter: paramGetter(options.params),
		getNode: () => node,
		getExecutionId: () => options.executionId ?? '101',
		getWorkflow: () => ({ id: 'wf_1', name: 'Lead Scoring', active: true }),
		getMode: () => options.mode ?? 'webhook',
		getWorkflowDataProxy: () => ({ $runIndex: options.runIndex ?? 0 }),
		getCredentials: jest.fn(async () => ({ serverUrl: SERVER_URL, apiKey: 'ab_test_key' })),
		continueOnFail: () => options.continueOnFail ?? false,
		helpers: { httpRequestWithAuthentication },
	};
	return { context: context as unknown as IExecuteFunctions, httpRequestWithAuthentication };
}

export function hookContext(options: {
	params?: Record<string, unknown>;
	staticData?: IDataObject;
	webhookUrl?: string;
	/** n8n's mode: 'trigger' when the workflow is activated, 'manual' for "Listen for test event". */
	mode?: string;
	request?: (...args: any[]) => unknown;
}) {
	const staticData: IDataObject = options.staticData ?? {};
	const httpRequestWithAuthentication = jest.fn(options.request ?? (async () => reply({})));
	const context = {
		getNodeParameter: paramGetter(options.params ?? {}),
		getNode: () => node,
		getNodeWebhookUrl: () => options.webhookUrl ?? 'https://n8n.test/webhook/abc/webhook',
		getMode: () => options.mode ?? 'trigger',
		getWorkflowStaticData: () => staticData,
		getCredentials: jest.fn(async () => ({ serverUrl: SERVER_URL, apiKey: 'ab_test_key' })),
		helpers: { httpRequestWithAuthentication },
	};
	return { context: context as unknown as IHookFunctions, staticData, httpRequestWithAuthentication };
}

export function sign(secret: string, id: string, timestamp: number, body: string): string {
	const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
	const digest = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
	return `v1,${digest}`;
}

/**
 * The server's answer to a trigger's claim of a delivery: by default the first claim of each webhook-id wins, as the
 * server's unique row update does.
 */
export function claimServer() {
	const claimed = new Set<string>();
	return jest.fn(async (_type: string, options: { url: string; body: IDataObject }) => {
		const id = decodeURIComponent(/\/v1\/deliveries\/([^/]+)\/claim$/.exec(options.url)?.[1] ?? '');
		const first = !claimed.has(id);
		claimed.add(id);
		return reply({ deliveryId: id, claimed: first, claimedAt: new Date().toISOString() });
	});
}

export function webhookContext(options: {
	staticData: IDataObject;
	headers: Record<string, string>;
	rawBody?: Buffer;
	/** The server's claim endpoint; default: every webhook-id claimable once. */
	request?: (...args: any[]) => unknown;
}) {
	const response = {
		status: jest.fn(),
		json: jest.fn(),
		end: jest.fn(),
		send: jest.fn(),
	};
	response.status.mockReturnValue(response);
	const httpRequestWithAuthentication = options.request ? jest.fn(options.request) : claimServer();
	const context = {
		getWorkflowStaticData: () => options.staticData,
		getWorkflow: () => ({ id: 'wf_1', name: 'Lead Scoring', active: true }),
		getCredentials: jest.fn(async () => ({ serverUrl: SERVER_URL, apiKey: 'ab_test_key' })),
		getHeaderData: () => options.headers,
		getRequestObject: () => ({ rawBody: options.rawBody }),
		getResponseObject: () => response,
		getBodyData: () => ({}),
		getNode: () => node,
		helpers: {
			httpRequestWithAuthentication,
			returnJsonArray: (data: IDataObject | IDataObject[]) =>
				(Array.isArray(data) ? data : [data]).map((json) => ({ json })),
		},
	};
	return { context: context as unknown as IWebhookFunctions, response, httpRequestWithAuthentication };
}

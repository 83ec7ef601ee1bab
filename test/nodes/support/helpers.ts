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
	request?: (...args: any[]) => unknown;
}) {
	const httpRequestWithAuthentication = jest.fn(options.request ?? (async () => reply({})));
	const context = {
		getInputData: () => options.items ?? [{ json: {} }],
		getNodeParameter: paramGetter(options.params),
		getNode: () => node,
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

export function webhookContext(options: {
	staticData: IDataObject;
	headers: Record<string, string>;
	rawBody?: Buffer;
}) {
	const response = {
		status: jest.fn(),
		json: jest.fn(),
		end: jest.fn(),
		send: jest.fn(),
	};
	response.status.mockReturnValue(response);
	const context = {
		getWorkflowStaticData: () => options.staticData,
		getHeaderData: () => options.headers,
		getRequestObject: () => ({ rawBody: options.rawBody }),
		getResponseObject: () => response,
		getBodyData: () => ({}),
		getNode: () => node,
		helpers: {
			returnJsonArray: (data: IDataObject | IDataObject[]) =>
				(Array.isArray(data) ? data : [data]).map((json) => ({ json })),
		},
	};
	return { context: context as unknown as IWebhookFunctions, response };
}

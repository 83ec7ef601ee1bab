// A loopback stand-in for n8n: every request goes through the real AI Agent Trigger's webhook method (signature
// check, the delivery's claim at the server), and a "workflow execution" is counted whenever that method starts one.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IDataObject, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { AiAgentTrigger } from '../../../nodes/AiAgentTrigger/AiAgentTrigger.node';

/** What the receiver does with the n-th request: run the node and answer, answer a bare status, or stall. */
export type Behaviour = { kind: 'node' } | { kind: 'status'; status: number; retryAfter?: string } | { kind: 'slow'; delayMs: number };

export interface RawRequest {
	headers: Record<string, string>;
	body: string;
	/** What the receiver answered it (set once answered). */
	status?: number;
}

/** How the trigger's own calls reach the agent server (its claim of each delivery): a path and a JSON body. */
export type ServerCall = (method: string, path: string, body: unknown) => Promise<{ statusCode: number; body: unknown }>;

export interface NodeReceiver {
	url: string;
	/** The subscription this receiver stands for (the trigger stores its id and secret on activation) and its server. */
	useSubscription(subscription: { id: string; secret: string }, server: ServerCall): void;
	behave(pick: (index: number) => Behaviour): void;
	/** Every request, in arrival order. */
	requests: RawRequest[];
	/** Status the receiver answered, per request. */
	answers: number[];
	/** Status answered to each probe (OPTIONS), which never reaches the trigger node. */
	probes: number[];
	/** webhook-ids answered with a 2xx. */
	acknowledged: Set<string>;
	/** Workflow executions per webhook-id: above 1 would be a side effect applied twice. */
	executions: Map<string, number>;
	/** Sends a raw request as if from the network (duplicates, replays, forgeries). */
	inject(req: RawRequest): Promise<number>;
	/** Closes the port (n8n down) and opens it again on the same port. */
	down(): Promise<void>;
	up(): Promise<void>;
	maxConcurrent(): number;
	close(): Promise<void>;
}

function headerBag(req: IncomingMessage): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') out[k] = v;
	return out;
}

export async function startNodeReceiver(): Promise<NodeReceiver> {
	const trigger = new AiAgentTrigger();
	const staticData: IDataObject = { subscriptionId: 'sub_fault', secret: '' };
	let callServer: ServerCall = async () => ({ statusCode: 503, body: { message: 'no server given' } });
	let pick: (index: number) => Behaviour = () => ({ kind: 'node' });
	const requests: RawRequest[] = [];
	const answers: number[] = [];
	const probes: number[] = [];
	const acknowledged = new Set<string>();
	const executions = new Map<string, number>();
	let concurrent = 0;
	let peak = 0;

	/** Runs the trigger's webhook method on one request; returns the status it answers. */
	async function runNode(req: RawRequest): Promise<number> {
		let status = 200;
		const response = {
			status(code: number) {
				status = code;
				return response;
			},
			json: () => response,
			end: () => response,
			send: () => response,
		};
		const context = {
			getWorkflowStaticData: () => staticData,
			getHeaderData: () => req.headers,
			getRequestObject: () => ({ rawBody: Buffer.from(req.body) }),
			getResponseObject: () => response,
			getBodyData: () => ({}),
			getNode: () => ({ name: 'AI Agent Trigger', type: 'agentBridgeAiAgentTrigger', typeVersion: 1, parameters: {} }),
			getNodeParameter: () => undefined,
			getWorkflow: () => ({ id: 'wfFault', name: 'Fault workflow', active: true }),
			getCredentials: async () => ({ serverUrl: 'http://agent-bridge.test', apiKey: 'unused' }),
			helpers: {
				httpRequestWithAuthentication: async (_type: string, options: { method: string; url: string; body?: unknown }) => {
					const answer = await callServer(options.method, new URL(options.url).pathname, options.body);
					return { statusCode: answer.statusCode, headers: {}, body: answer.body };
				},
				returnJsonArray: (data: IDataObject | IDataObject[]) => (Array.isArray(data) ? data : [data]).map((json) => ({ json })),
			},
		} as unknown as IWebhookFunctions;
		let result: IWebhookResponseData;
		try {
			result = await (trigger.webhook as (this: IWebhookFunctions) => Promise<IWebhookResponseData>).call(context);
		} catch {
			// n8n answers 500 when a trigger's webhook method throws (here: the claim could not be made).
			return 500;
		}
		if (result.workflowData) {
			const id = req.headers['webhook-id'];
			executions.set(id, (executions.get(id) ?? 0) + 1);
		}
		return status;
	}

	async function handle(req: RawRequest, index: number, res?: ServerResponse): Promise<number> {
		const b = pick(index);
		let status: number;
		if (b.kind === 'status') status = b.status;
		else {
			status = await runNode(req);
			if (b.kind === 'slow') await new Promise((r) => setTimeout(r, b.delayMs));
		}
		if (status >= 200 && status < 300) acknowledged.add(req.headers['webhook-id']);
		req.status = status;
		answers.push(status);
		if (res && !res.destroyed) res.writeHead(status, b.kind === 'status' && b.retryAfter ? { 'retry-after': b.retryAfter } : {}).end();
		return status;
	}

	const onRequest = (incoming: IncomingMessage, res: ServerResponse) => {
		// n8n answers OPTIONS on a registered webhook with 204 and runs nothing; a bare status stands for n8n
		// restarting (404) or a proxy in front of it (502/503), for probes as for deliveries.
		if (incoming.method === 'OPTIONS') {
			const b = pick(requests.length);
			probes.push(b.kind === 'status' ? b.status : 204);
			res.writeHead(probes[probes.length - 1]).end();
			incoming.resume();
			return;
		}
		const chunks: Buffer[] = [];
		incoming.on('data', (c: Buffer) => chunks.push(c));
		incoming.on('end', () => {
			const req = { headers: headerBag(incoming), body: Buffer.concat(chunks).toString('utf8') };
			const index = requests.push(req) - 1;
			concurrent += 1;
			peak = Math.max(peak, concurrent);
			void handle(req, index, res).finally(() => (concurrent -= 1));
		});
	};

	let server: Server = createServer(onRequest);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;

	return {
		url: `http://127.0.0.1:${port}/webhook/agent`,
		useSubscription(subscription, server) {
			staticData.subscriptionId = subscription.id;
			staticData.secret = subscription.secret;
			callServer = server;
		},
		behave: (p) => void (pick = p),
		requests,
		answers,
		probes,
		acknowledged,
		executions,
		inject: (req) => handle(req, requests.push(req) - 1),
		async down() {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
		async up() {
			server = createServer(onRequest);
			await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
		},
		maxConcurrent: () => peak,
		async close() {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

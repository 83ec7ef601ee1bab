// One end-to-end scenario on the shared n8n: a fresh agent server, an Agent Bridge credential pointing at it, the
// documented workflows imported with that credential and (by default) active, all torn down after the file.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startAgentServer, type RunningAgentServer } from './agent-server';
import { type Execution, N8nApi, nodeOutput, readSharedN8n, repoRoot, type RunningN8n, waitFor } from './n8n';

export interface WorkflowNode {
	name: string;
	parameters: Record<string, unknown>;
	[key: string]: unknown;
}

export interface Workflow {
	name: string;
	nodes: WorkflowNode[];
	connections: unknown;
	settings?: unknown;
}

/** A docs/workflows file with its placeholders (e.g. CREDENTIAL_ID) replaced by real ids. */
export function readWorkflow(file: string, ids: Record<string, string>): Workflow {
	let text = readFileSync(path.join(repoRoot, 'docs', 'workflows', file), 'utf8');
	// Whole JSON strings only, so CREDENTIAL_ID does not touch OPENAI_CREDENTIAL_ID.
	for (const [placeholder, id] of Object.entries(ids)) text = text.replaceAll(JSON.stringify(placeholder), JSON.stringify(id));
	return JSON.parse(text) as Workflow;
}

/** Cuts a documented Wait node (e.g. 30 minutes) to one second, after checking it waits what the docs say. */
export function shortenWait(workflow: Workflow, nodeName: string, documented: { amount: number; unit: string }): void {
	const wait = workflow.nodes.find((n) => n.name === nodeName);
	expect(wait?.parameters).toMatchObject({ resume: 'timeInterval', ...documented });
	wait!.parameters = { ...wait!.parameters, amount: 1, unit: 'seconds' };
}

/** The credential the Agent Bridge nodes use to reach `server`. */
export function bridgeCredential(n8n: N8nApi, server: RunningAgentServer, name = 'Agent Bridge API') {
	return n8n.createCredential(name, 'agentBridgeApi', { serverUrl: server.url, apiKey: server.apiKey });
}

/** n8n 2.x finishes activation in the background: a trigger is live only once it has subscribed. */
export function waitForSubscriptions(server: RunningAgentServer, count: number, what = 'the triggers to subscribe', timeoutMs = 30_000) {
	return waitFor(async () => (await server.api('GET', '/v1/subscriptions')).body.data.length === count, timeoutMs, what);
}

export interface ChatReply {
	conversation: { id: string; status: string };
	contact: { id: string };
	/** null while a human handles the conversation. */
	reply: { text: string } | null;
	actions: any[];
	waited?: any;
}

export interface ScenarioOptions {
	/** Files under docs/workflows to import, in this order. */
	workflows: string[];
	/** Changes a workflow before import, e.g. shortens a Wait node. */
	edit?: (workflow: Workflow, file: string) => void;
	/** Activate the workflows and wait for their triggers (default true). */
	activate?: boolean;
	/** Subscriptions the active workflows make (default one trigger each). */
	subscriptions?: number;
	credentialName?: string;
	/** Runs once the agent server is up, before the import; may return more placeholder ids for the workflow files. */
	prepare?: (scenario: Scenario) => Promise<Record<string, string> | void>;
}

export interface Scenario {
	readonly server: RunningAgentServer;
	readonly n8n: N8nApi;
	/** The shared n8n's address, API key and owner session. */
	readonly instance: RunningN8n;
	/** The imported workflows' ids, in the order of `workflows`. */
	readonly workflowIds: string[];
	/** A chat turn that must succeed; returns the response body. */
	chat<T = ChatReply>(agentId: string, text: string, conversationId?: string): Promise<T>;
	/** Ends a conversation (the outcome is the closer's, else the agent classes it); returns the ending. */
	end(conversationId: string, outcome?: string): Promise<any>;
	/** The finished execution of `workflowId` whose `node` output its first item matching `match`. */
	executionFor(workflowId: string, node: string, match: Record<string, unknown>): Promise<Execution>;
	/** The agent server's contact and conversation (with messages and timeline). */
	contact(id: string): Promise<any>;
	conversation(id: string): Promise<any>;
	/** The agent server's subscriptions. */
	subscriptions(): Promise<any[]>;
	waitForSubscriptions(count: number, what?: string, timeoutMs?: number): Promise<void>;
}

/** Registers the scenario's beforeAll and afterAll in the calling test file. */
export function useScenario(options: ScenarioOptions): Scenario {
	const instance = readSharedN8n();
	const n8n = new N8nApi(instance);
	const workflowIds: string[] = [];
	const activated: string[] = [];
	let server: RunningAgentServer | undefined;

	const scenario: Scenario = {
		get server() {
			if (!server) throw new Error('the scenario has not started');
			return server;
		},
		n8n,
		instance,
		workflowIds,
		async chat<T>(agentId: string, text: string, conversationId?: string) {
			const res = await scenario.server.api('POST', '/v1/chat', { agentId, text, ...(conversationId ? { conversationId } : {}) });
			expect(res.status).toBe(200);
			return res.body as T;
		},
		async end(conversationId, outcome) {
			const res = await scenario.server.api('POST', `/v1/conversations/${conversationId}/end`, outcome ? { outcome } : {});
			expect(res.status).toBe(200);
			return res.body.ending;
		},
		async executionFor(workflowId, node, match) {
			const matches = (e: Execution) => {
				const item = nodeOutput(e, node)[0]?.[0];
				return item !== undefined && Object.entries(match).every(([key, value]) => item[key] === value);
			};
			let found: Execution | undefined;
			await waitFor(
				async () => {
					found = (await n8n.executions(workflowId)).find((e) => e.finished && matches(e));
					return found !== undefined;
				},
				30_000,
				`the n8n execution record of ${node}`,
			);
			return found!;
		},
		async contact(id) {
			return (await scenario.server.api('GET', `/v1/contacts/${id}`)).body;
		},
		async conversation(id) {
			return (await scenario.server.api('GET', `/v1/conversations/${id}`)).body;
		},
		async subscriptions() {
			return (await scenario.server.api('GET', '/v1/subscriptions')).body.data;
		},
		waitForSubscriptions: (count, what, timeoutMs) => waitForSubscriptions(scenario.server, count, what, timeoutMs),
	};

	beforeAll(async () => {
		server = await startAgentServer();
		const ids = (await options.prepare?.(scenario)) ?? {};
		if (options.workflows.length === 0) return;
		const credential = await bridgeCredential(n8n, server, options.credentialName);
		for (const file of options.workflows) {
			const workflow = readWorkflow(file, { ...ids, CREDENTIAL_ID: credential.id });
			options.edit?.(workflow, file);
			workflowIds.push((await n8n.importWorkflow(workflow)).id);
		}
		if (options.activate === false) return;
		for (const id of workflowIds) {
			await n8n.activate(id);
			activated.push(id);
		}
		await waitForSubscriptions(server, options.subscriptions ?? workflowIds.length);
	}, 120_000);

	afterAll(async () => {
		// A test may have deactivated some already; n8n's refusal then does not matter.
		for (const id of activated) await n8n.deactivate(id).catch(() => undefined);
		await server?.stop();
	});

	return scenario;
}

// Simulated workflows: a local webhook receiver subscribed to the in-process server, which answers each event the
// way the test file says (after N ms write fields, add or remove tags, reply; or never), calling the API back with
// the event's id as causation, exactly as an n8n workflow's action nodes do.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { SimulatedWorkflow } from './format';

export type { SimulatedWorkflow };
import type { ApiCall } from './api-client';

interface Envelope {
	id: string;
	type: string;
	action?: { id: string };
	tag?: string;
	ending?: { outcome?: string };
	conversation?: { id: string } | null;
	contact: { id: string };
}

/** What a simulated workflow did, for the report. */
export interface WorkflowRun {
	workflow: string;
	eventId: string;
	eventType: string;
	/** A call back the server refused, said as the workflow's failure. */
	error?: string;
}

export function triggerMatches(w: SimulatedWorkflow, e: Envelope): boolean {
	const on = w.on;
	if (on.action !== undefined) return e.type === 'agent.action.triggered' && e.action?.id === on.action;
	if (on.tagAdded !== undefined) return e.type === 'contact.tag.added' && e.tag === on.tagAdded;
	return e.type === 'conversation.ended' && (on.outcome === undefined || e.ending?.outcome === on.outcome);
}

export function workflowName(w: SimulatedWorkflow): string {
	if (w.name) return w.name;
	const on = w.on;
	return on.action !== undefined ? `on action ${on.action}` : on.tagAdded !== undefined ? `on tag ${on.tagAdded}` : `on conversation ended${on.outcome ? ` (${on.outcome})` : ''}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface SimulatedWorkflows {
	url: string;
	/** The workflows answering events now (the running conversation's, then the file's). */
	use(workflows: SimulatedWorkflow[]): void;
	/** Resolves when no workflow is running; true when none was. */
	idle(): Promise<boolean>;
	/** Runs since the last call, emptied. */
	takeRuns(): WorkflowRun[];
	/** The subscription's signing secret, to check each delivery as a trigger node does. */
	setSecret(secret: string): void;
	close(): Promise<void>;
}

export async function startSimulatedWorkflows(call: ApiCall): Promise<SimulatedWorkflows> {
	let active: SimulatedWorkflow[] = [];
	let verifier: Webhook | undefined;
	const running = new Set<Promise<void>>();
	let runs: WorkflowRun[] = [];

	async function perform(w: SimulatedWorkflow, e: Envelope, run: WorkflowRun): Promise<void> {
		if (w.never) return;
		await sleep(w.afterMs);
		const causation = { 'x-agent-bridge-causation': e.id };
		const steps: [string, () => ReturnType<ApiCall>][] = [];
		if (w.write) steps.push(['write', () => call('PATCH', `/v1/contacts/${e.contact.id}`, w.write, causation)]);
		for (const tag of w.removeTags ?? []) steps.push([`remove tag ${tag}`, () => call('DELETE', `/v1/contacts/${e.contact.id}/tags/${encodeURIComponent(tag)}`, undefined, causation)]);
		if (w.tags?.length) steps.push(['add tags', () => call('POST', `/v1/contacts/${e.contact.id}/tags`, { tags: w.tags }, causation)]);
		if (w.reply && e.conversation) {
			const conversationId = e.conversation.id;
			steps.push(['reply', () => call('POST', `/v1/conversations/${conversationId}/replies`, { text: w.reply }, causation)]);
		}
		for (const [what, step] of steps) {
			const res = await step();
			if (res.status >= 300) {
				run.error = `${what} answered ${res.status}: ${String((res.body as { message?: string })?.message ?? '')}`;
				return;
			}
		}
	}

	function receive(raw: string, headers: Record<string, string>): void {
		if (verifier) verifier.verify(raw, headers);
		const event = JSON.parse(raw) as Envelope;
		const w = active.find((x) => triggerMatches(x, event));
		if (!w) return;
		const run: WorkflowRun = { workflow: workflowName(w), eventId: event.id, eventType: event.type };
		runs.push(run);
		const job = perform(w, event, run).catch((err: Error) => {
			run.error = err.message;
		});
		running.add(job);
		void job.finally(() => running.delete(job));
	}

	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			try {
				receive(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string>);
				res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
			} catch (err) {
				// As the trigger node: a delivery it cannot verify is refused (and the relay retries it).
				res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ message: (err as Error).message }));
			}
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/webhook/agent-tests`,
		use(workflows) {
			active = workflows;
		},
		async idle() {
			if (running.size === 0) return true;
			await Promise.allSettled([...running]);
			return false;
		},
		takeRuns() {
			const taken = runs;
			runs = [];
			return taken;
		},
		setSecret(secret) {
			verifier = new Webhook(secret);
		},
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

// `--n8n`: real workflows answer instead of simulated ones. The test server listens where the workflows' Agent Bridge
// credential points; the runner (re)activates the workflows through n8n's public API so their triggers subscribe to
// it, waits for their executions before it checks a turn, and deactivates them before the server stops.
import type { ApiCall } from './api-client';

export interface N8nOptions {
	/** n8n's base URL, e.g. http://localhost:5678. */
	url: string;
	/** n8n's public API key (Settings → n8n API). */
	apiKey: string;
	/** Only these workflow ids; default every workflow with an Agent Bridge trigger. */
	workflows?: string[];
	/** Where the test server listens: the address the workflows' Agent Bridge credential points at. */
	host: string;
	port: number;
	/** The API key of that credential; the test server accepts it. */
	agentBridgeApiKey: string;
}

interface N8nWorkflow {
	id: string;
	name: string;
	active: boolean;
	nodes: { type: string; disabled?: boolean }[];
}

const TRIGGER = /^(@[^/]+\/)?n8n-nodes-agent-bridge\.\w+Trigger$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface N8nLink {
	/** The linked workflows, for the report. */
	names: string[];
	/** True while one of the linked workflows has an execution running. */
	running(): Promise<boolean>;
	/** Deactivates the workflows (their triggers unsubscribe while the server still runs). */
	close(): Promise<void>;
}

export async function linkN8n(options: N8nOptions, call: ApiCall, timeoutMs = 60_000): Promise<N8nLink> {
	const base = options.url.replace(/\/+$/, '');
	async function n8n<T>(method: string, route: string): Promise<T> {
		let res: Response;
		try {
			res = await fetch(`${base}/api/v1${route}`, { method, headers: { 'X-N8N-API-KEY': options.apiKey, accept: 'application/json' } });
		} catch (err) {
			throw new Error(`n8n at ${base} cannot be reached: ${(err as Error).message}`);
		}
		const text = await res.text();
		if (res.status === 401) throw new Error(`n8n at ${base} refused the API key (401): give n8n's public API key with --n8n-api-key or N8N_API_KEY`);
		if (!res.ok) throw new Error(`n8n ${method} ${route} answered ${res.status}: ${text.slice(0, 300)}`);
		return (text ? JSON.parse(text) : undefined) as T;
	}

	async function allWorkflows(): Promise<N8nWorkflow[]> {
		const out: N8nWorkflow[] = [];
		let cursor: string | undefined;
		do {
			const page = await n8n<{ data: N8nWorkflow[]; nextCursor?: string | null }>('GET', `/workflows?limit=250${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
			out.push(...page.data);
			cursor = page.nextCursor ?? undefined;
		} while (cursor);
		return out;
	}

	const triggersOf = (w: N8nWorkflow) => w.nodes.filter((n) => TRIGGER.test(n.type) && !n.disabled).length;
	const found = await allWorkflows();
	const chosen = options.workflows
		? options.workflows.map((id) => {
				const w = found.find((x) => x.id === id);
				if (!w) throw new Error(`n8n has no workflow ${id}`);
				return w;
			})
		: found.filter((w) => triggersOf(w) > 0);
	if (chosen.length === 0) throw new Error(`no workflow in n8n at ${base} has an Agent Bridge trigger`);

	// Activation makes each trigger subscribe to the server its credential names: this one, fresh for the file.
	const activated: string[] = [];
	for (const w of chosen) {
		if (w.active) await n8n('POST', `/workflows/${w.id}/deactivate`);
		await n8n('POST', `/workflows/${w.id}/activate`);
		activated.push(w.id);
	}
	const expected = chosen.reduce((n, w) => n + triggersOf(w), 0);
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const subs = await call('GET', '/v1/subscriptions');
		if ((subs.body?.data?.length ?? 0) >= expected) break;
		if (Date.now() > deadline) {
			throw new Error(
				`${expected} Agent Bridge triggers of ${chosen.map((w) => `"${w.name}"`).join(', ')} did not subscribe within ${timeoutMs} ms: ` +
					`their Agent Bridge credential must point at http://${options.host}:${options.port} with the API key given to the test`,
			);
		}
		await sleep(200);
	}

	return {
		names: chosen.map((w) => w.name),
		async running() {
			for (const id of activated) {
				// An n8n that cannot filter by status leaves the runner's quiet period to judge.
				const page = await n8n<{ data: unknown[] }>('GET', `/executions?workflowId=${id}&status=running&limit=1`).catch(() => ({ data: [] }));
				if (page.data.length) return true;
			}
			return false;
		},
		async close() {
			for (const id of activated) await n8n('POST', `/workflows/${id}/deactivate`).catch(() => undefined);
		},
	};
}

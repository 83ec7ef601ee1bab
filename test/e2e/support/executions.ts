// Counts a workflow's executions through n8n's public API (`GET /api/v1/executions`, every page through `cursor`),
// by status, and waits until the count stops changing. In n8n 2.40.7 a listing without `status` includes every
// status (new, running, success, error, crashed, canceled, waiting); only executions running inside the answering
// main process itself are left out, and in queue mode the main runs none.
import { waitFor } from './n8n';

export interface ExecutionSummary {
	id: string;
	status: string;
	finished: boolean;
	mode: string;
	startedAt: string | null;
	stoppedAt: string | null;
	workflowId: string;
	retryOf?: string | null;
}

interface N8nAccess {
	url: string;
	apiKey: string;
}

/** Every execution of the workflow, newest first; `status` filters as n8n's API does. */
export async function listExecutions(n8n: N8nAccess, workflowId: string, status?: string): Promise<ExecutionSummary[]> {
	const all: ExecutionSummary[] = [];
	let cursor: string | undefined;
	do {
		const query = new URLSearchParams({ workflowId, limit: '100' });
		if (status) query.set('status', status);
		if (cursor) query.set('cursor', cursor);
		const res = await fetch(`${n8n.url}/api/v1/executions?${query}`, { headers: { 'X-N8N-API-KEY': n8n.apiKey } });
		if (!res.ok) throw new Error(`n8n GET /executions: ${res.status} ${await res.text()}`);
		const page = (await res.json()) as { data: ExecutionSummary[]; nextCursor?: string | null };
		all.push(...page.data);
		cursor = page.nextCursor ?? undefined;
	} while (cursor);
	return all;
}

export async function countExecutions(n8n: N8nAccess, workflowId: string, status?: string): Promise<number> {
	return (await listExecutions(n8n, workflowId, status)).length;
}

/** How many executions of the workflow are in each status, e.g. { success: 19, crashed: 1 }. */
export async function executionsByStatus(n8n: N8nAccess, workflowId: string): Promise<Record<string, number>> {
	const byStatus: Record<string, number> = {};
	for (const e of await listExecutions(n8n, workflowId)) byStatus[e.status] = (byStatus[e.status] ?? 0) + 1;
	return byStatus;
}

export interface StableCountOptions {
	/** Do not call it stable below this many executions. */
	atLeast?: number;
	/** The count (and each status' count) must stay unchanged this long. Default 5 s. */
	stableForMs?: number;
	/** Also wait until none is `new` or `running`. Default true. */
	finished?: boolean;
	/** Default 120 s. */
	timeoutMs?: number;
}

/**
 * Waits until the workflow's executions stop changing and resolves with them by status. A count that only holds
 * still for a while proves nothing about later arrivals; pick `stableForMs` longer than the slowest path you
 * expect a duplicate on.
 */
export async function waitForStableExecutions(
	n8n: N8nAccess,
	workflowId: string,
	{ atLeast = 0, stableForMs = 5_000, finished = true, timeoutMs = 120_000 }: StableCountOptions = {},
): Promise<{ total: number; byStatus: Record<string, number> }> {
	let last = '';
	let since = Date.now();
	let result = { total: 0, byStatus: {} as Record<string, number> };
	await waitFor(
		async () => {
			const byStatus = await executionsByStatus(n8n, workflowId);
			const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
			const key = JSON.stringify(Object.entries(byStatus).sort());
			if (key !== last) {
				last = key;
				since = Date.now();
			}
			result = { total, byStatus };
			const settled = !finished || !(byStatus.new || byStatus.running);
			return total >= atLeast && settled && Date.now() - since >= stableForMs;
		},
		timeoutMs,
		`the executions of workflow ${workflowId} to settle (last seen ${last || 'none'}, at least ${atLeast})`,
	);
	return result;
}

// Reads a workspace's recent executions of one workflow from n8n's public API (`GET /api/v1/executions`), through the
// destination policy like every webhook, and finds the one that ran for a delivery.
import type { DestinationPolicy } from './destinations';
import { getJson } from './send';

export interface N8nExecution {
	id: string;
	workflowId: string;
	/** new, running, success, error, crashed, canceled, waiting, unknown */
	status: string;
	mode: string | null;
	startedAt: string | null;
	stoppedAt: string | null;
	error: string | null;
	/** The execution's data as text, to find which delivery it ran for. */
	dataText: string;
}

export interface N8nConnection {
	url: string;
	apiKey: string;
}

function objectOf(value: unknown): Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

const textOrNull = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);

/** n8n 1.x answers `finished` without `status` on some versions; crashed and error both carry resultData.error. */
function statusOf(e: Record<string, unknown>): string {
	if (typeof e.status === 'string') return e.status;
	if (e.finished === true) return 'success';
	return e.stoppedAt ? 'error' : 'running';
}

function errorOf(data: Record<string, unknown>): string | null {
	const error = objectOf(objectOf(data.resultData).error);
	const message = textOrNull(error.message);
	const description = textOrNull(error.description);
	return message ? (description ? `${message}: ${description}` : message).slice(0, 1000) : null;
}

export class N8nApiError extends Error {}

/**
 * The workflow's executions, newest first, down to `since` (at most `maxPages` pages of 100). Data is included: it is
 * the only place n8n keeps which delivery (the trigger's item) an execution ran for.
 */
export async function recentExecutions(
	policy: DestinationPolicy,
	connection: N8nConnection,
	workflowId: string,
	opts: { since: string; timeoutMs: number; maxPages?: number },
): Promise<N8nExecution[]> {
	const found: N8nExecution[] = [];
	let cursor: string | undefined;
	for (let page = 0; page < (opts.maxPages ?? 5); page++) {
		const url = new URL('api/v1/executions', connection.url.endsWith('/') ? connection.url : `${connection.url}/`);
		url.searchParams.set('workflowId', workflowId);
		url.searchParams.set('includeData', 'true');
		url.searchParams.set('limit', '100');
		if (cursor) url.searchParams.set('cursor', cursor);
		const res = await getJson(policy, url.toString(), { 'x-n8n-api-key': connection.apiKey }, AbortSignal.timeout(opts.timeoutMs));
		if (res.statusCode !== 200) {
			const message = textOrNull(objectOf(res.body).message) ?? (typeof res.body === 'string' ? res.body.slice(0, 200) : '');
			throw new N8nApiError(`n8n answered ${res.statusCode}${message ? `: ${message}` : ''}`);
		}
		const body = objectOf(res.body);
		const rows = Array.isArray(body.data) ? body.data.map(objectOf) : [];
		let older = false;
		for (const e of rows) {
			const data = objectOf(e.data);
			const startedAt = textOrNull(e.startedAt) ?? textOrNull(e.createdAt);
			found.push({
				id: String(e.id),
				workflowId: String(e.workflowId ?? workflowId),
				status: statusOf(e),
				mode: textOrNull(e.mode),
				startedAt,
				stoppedAt: textOrNull(e.stoppedAt),
				error: errorOf(data),
				dataText: JSON.stringify(data),
			});
			if (startedAt && startedAt < opts.since) older = true;
		}
		cursor = textOrNull(body.nextCursor) ?? undefined;
		if (!cursor || older) break;
	}
	return found;
}

/**
 * The executions whose data carries this delivery's id (the trigger puts it on its item as `deliveryId`), oldest
 * first: the first is the one the delivery started, later ones are re-runs over the same item.
 */
export function executionsForDelivery(executions: N8nExecution[], deliveryId: string): N8nExecution[] {
	const needle = `"deliveryId":"${deliveryId}"`;
	return executions.filter((e) => e.dataText.includes(needle)).reverse();
}

/** Where the execution opens in n8n's editor. */
export function editorUrl(base: string, workflowId: string, executionId: string): string {
	const origin = base.replace(/\/+$/, '');
	return `${origin}/workflow/${encodeURIComponent(workflowId)}/executions/${encodeURIComponent(executionId)}`;
}

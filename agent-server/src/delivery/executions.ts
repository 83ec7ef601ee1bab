// The n8n execution behind each delivery: the trigger's claim (one execution per webhook-id), the action nodes'
// reports of their execution, and the watch that reads n8n's public API to find executions that failed, crashed or
// never started. Every change of a delivery's execution state is a timeline entry; failed and lost ones a warn line.
import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../context';
import { addTimeline } from '../store/conversations';
import {
	claimDelivery,
	claimedDeliveryFor,
	deliveriesToWatch,
	linkedExecutionIds,
	markExecutionChecked,
	n8nConnectionsFor,
	recordExecution,
	recordN8nCheck,
	setExecutionState,
	type ClaimedDeliveryRef,
	type ClaimOutcome,
} from '../store/executions';
import type { ExecutionState, N8nConnectionRow } from '../store/schema';
import { createPeriodic, type Periodic } from '../util/periodic';
import type { DestinationPolicy } from './destinations';
import { editorUrl, executionsForDelivery, recentExecutions, type N8nExecution } from './n8n-api';

export interface ExecutionWatchOptions {
	/** How often the watch looks at claimed deliveries (default 5 s; 0 disables). */
	intervalMs?: number;
	/** A claimed delivery with no execution in n8n's record this long after its claim is lost (default 60 s). */
	lostAfterMs?: number;
	/** Deliveries claimed longer ago than this are no longer watched (default 24 h). */
	watchForMs?: number;
	/** Timeout of one request to n8n's API (default 10 s). */
	requestTimeoutMs?: number;
}

const DEFAULTS = { intervalMs: 5_000, lostAfterMs: 60_000, watchForMs: 24 * 3_600_000, requestTimeoutMs: 10_000 };

const nowIso = () => new Date().toISOString();

/** n8n's status words to a delivery's execution state. */
function stateOf(status: string): ExecutionState {
	if (status === 'success') return 'succeeded';
	if (status === 'error' || status === 'crashed' || status === 'canceled') return 'failed';
	return 'running';
}

/** The editor's address: the n8n connection's, else the webhook's own origin (one n8n process serves both). */
function editorBase(connection: N8nConnectionRow | undefined, webhookUrl: string): string {
	return connection?.url ?? new URL(webhookUrl).origin;
}

export interface ExecutionReport {
	executionId: string;
	workflowId: string;
	workflowName: string | null;
	mode: string | null;
	status: string;
	startedAt: string | null;
	stoppedAt: string | null;
	error: string | null;
	url: string;
}

/** Records one execution of a claimed delivery and moves the delivery's state; the timeline says when it changed. */
async function noteExecution(ctx: AppContext, log: FastifyBaseLogger, d: ClaimedDeliveryRef, e: ExecutionReport, first: boolean): Promise<void> {
	const db = ctx.store.db;
	const at = nowIso();
	const { before } = await recordExecution(
		db,
		{
			workspace_id: d.workspaceId,
			workflow_id: e.workflowId,
			execution_id: e.executionId,
			workflow_name: e.workflowName ?? d.workflowName,
			event_id: d.eventId,
			delivery_id: first ? d.deliveryId : null,
			conversation_id: d.conversationId,
			status: e.status,
			mode: e.mode,
			started_at: e.startedAt,
			stopped_at: e.stoppedAt,
			error: e.error,
			editor_url: e.url,
		},
		at,
	);
	const state = stateOf(e.status);
	const moved = first && (await setExecutionState(db, d.deliveryId, state, at));
	const statusChanged = before === undefined || (before !== e.status && stateOf(before) !== state);
	if (!moved && !statusChanged) return;
	if (state === 'failed') {
		log.warn({ deliveryId: d.deliveryId, eventId: d.eventId, executionId: e.executionId, workflowId: e.workflowId, error: e.error }, 'n8n execution failed');
	}
	if (d.conversationId) {
		await addTimeline(db, d.workspaceId, d.conversationId, 'execution', {
			eventId: d.eventId,
			deliveryId: d.deliveryId,
			state,
			executionId: e.executionId,
			workflowId: e.workflowId,
			workflowName: e.workflowName ?? d.workflowName,
			status: e.status,
			...(e.mode ? { mode: e.mode } : {}),
			...(e.startedAt ? { startedAt: e.startedAt } : {}),
			...(e.stoppedAt ? { stoppedAt: e.stoppedAt } : {}),
			...(e.error ? { error: e.error } : {}),
			url: e.url,
		});
	}
}

async function noteLost(ctx: AppContext, log: FastifyBaseLogger, d: ClaimedDeliveryRef, connection: N8nConnectionRow): Promise<void> {
	const at = nowIso();
	if (!(await setExecutionState(ctx.store.db, d.deliveryId, 'lost', at))) return;
	log.warn(
		{ deliveryId: d.deliveryId, eventId: d.eventId, workflowId: d.workflowId, claimedAt: d.claimedAt },
		'n8n took a delivery but has no execution for it: lost (redeliver it to run it again)',
	);
	if (d.conversationId) {
		await addTimeline(ctx.store.db, d.workspaceId, d.conversationId, 'execution', {
			eventId: d.eventId,
			deliveryId: d.deliveryId,
			state: 'lost',
			workflowId: d.workflowId,
			workflowName: d.workflowName,
			claimedAt: d.claimedAt,
			error: `n8n (${connection.url}) took the delivery at ${d.claimedAt} but has no execution for it`,
			url: `${connection.url.replace(/\/+$/, '')}/workflow/${encodeURIComponent(d.workflowId)}/executions`,
		});
	}
}

export interface DeliveryClaim {
	deliveryId: string;
	subscriptionId: string;
	workflowId: string;
	workflowName: string | null;
}

/** The trigger's claim: the first asks starts the workflow, every other copy of the delivery starts nothing. */
export async function claimForTrigger(ctx: AppContext, workspaceId: string, claim: DeliveryClaim): Promise<ClaimOutcome> {
	const at = nowIso();
	const outcome = await claimDelivery(ctx.store.db, workspaceId, { ...claim, at });
	if (outcome.outcome === 'claimed' && outcome.conversationId) {
		await addTimeline(ctx.store.db, workspaceId, outcome.conversationId, 'execution', {
			eventId: outcome.eventId,
			deliveryId: claim.deliveryId,
			state: 'claimed',
			workflowId: claim.workflowId,
			workflowName: claim.workflowName,
			claimedAt: at,
		});
	}
	return outcome;
}

export interface CallReport {
	eventId: string;
	executionId: string;
	workflowId: string;
	workflowName: string | null;
	mode: string | null;
}

/** An action node's call names its execution: the execution ran (it is calling), for the delivery its workflow claimed. */
export async function reportFromCall(ctx: AppContext, log: FastifyBaseLogger, workspaceId: string, call: CallReport): Promise<void> {
	const d = await claimedDeliveryFor(ctx.store.db, workspaceId, call.eventId, call.workflowId);
	if (!d) return;
	const connections = await n8nConnectionsFor(ctx.store.db, [workspaceId]);
	// The first execution of a delivery is the one it started; a re-run (n8n's "retry", the editor) is a later one.
	const first = call.mode !== 'retry' && call.mode !== 'manual';
	await noteExecution(
		ctx,
		log,
		d,
		{
			executionId: call.executionId,
			workflowId: call.workflowId,
			workflowName: call.workflowName,
			mode: call.mode,
			status: 'running',
			startedAt: null,
			stoppedAt: null,
			error: null,
			url: editorUrl(editorBase(connections.get(workspaceId), d.url), call.workflowId, call.executionId),
		},
		first,
	);
}

export interface ExecutionWatch extends Periodic {
	/** One look at every watched delivery (tests). */
	runOnce(): Promise<void>;
}

/**
 * Reads each claimed delivery's execution from n8n's public API, for workspaces with an n8n connection: its status
 * and end as n8n records them, and "lost" when n8n has no execution for it past the window. Without a connection a
 * delivery's execution is known only from the action nodes' calls.
 */
export function createExecutionWatch(
	ctx: AppContext,
	log: FastifyBaseLogger,
	destinations: DestinationPolicy,
	options: ExecutionWatchOptions = {},
): ExecutionWatch {
	const o = { ...DEFAULTS, ...options };

	async function watchWorkflow(connection: N8nConnectionRow, workflowId: string, deliveries: ClaimedDeliveryRef[], now: number): Promise<void> {
		const since = deliveries.reduce((m, d) => (d.claimedAt < m ? d.claimedAt : m), deliveries[0].claimedAt);
		// An execution starts just after its claim; a minute of clock skew between the two machines is allowed for.
		const executions: N8nExecution[] = await recentExecutions(destinations, { url: connection.url, apiKey: connection.api_key }, workflowId, {
			since: new Date(Date.parse(since) - 60_000).toISOString(),
			timeoutMs: o.requestTimeoutMs,
		});
		// n8n replaces the data of an execution whose queue job failed (a worker died) with the error alone: an execution
		// already linked to its delivery is then found again by its id.
		const linked = await linkedExecutionIds(ctx.store.db, connection.workspace_id, deliveries.map((d) => d.deliveryId));
		const byId = new Map(executions.map((e) => [e.id, e]));
		for (const d of deliveries) {
			const matched = executionsForDelivery(executions, d.deliveryId);
			const known = (linked.get(d.deliveryId) ?? []).map((id) => byId.get(id)).filter((e): e is N8nExecution => e !== undefined);
			const ran = matched.length > 0 ? matched : known;
			if (ran.length === 0) {
				if (now - Date.parse(d.claimedAt) >= o.lostAfterMs) await noteLost(ctx, log, d, connection);
				continue;
			}
			for (const [i, e] of ran.entries()) {
				await noteExecution(
					ctx,
					log,
					d,
					{
						executionId: e.id,
						workflowId,
						workflowName: d.workflowName,
						mode: e.mode,
						status: e.status,
						startedAt: e.startedAt,
						stoppedAt: e.stoppedAt,
						error: e.error,
						url: editorUrl(connection.url, workflowId, e.id),
					},
					i === 0,
				);
			}
		}
	}

	async function pass(): Promise<void> {
		const now = Date.now();
		const due = await deliveriesToWatch(ctx.store.db, {
			since: new Date(now - o.watchForMs).toISOString(),
			checkedBefore: new Date(now - Math.max(o.intervalMs, 1_000) + 100).toISOString(),
			limit: 500,
		});
		if (due.length === 0) return;
		const connections = await n8nConnectionsFor(ctx.store.db, [...new Set(due.map((d) => d.workspaceId))]);
		const groups = new Map<string, ClaimedDeliveryRef[]>();
		for (const d of due) {
			if (!connections.has(d.workspaceId)) continue; // removed since the read
			const key = `${d.workspaceId}\n${d.workflowId}`;
			groups.set(key, [...(groups.get(key) ?? []), d]);
		}
		for (const [key, deliveries] of groups) {
			const [workspaceId, workflowId] = key.split('\n');
			const connection = connections.get(workspaceId)!;
			try {
				await watchWorkflow(connection, workflowId, deliveries, now);
				await recordN8nCheck(ctx.store.db, workspaceId, nowIso(), null);
			} catch (err) {
				// n8n's API not answering says nothing about the executions: nothing is marked lost.
				const message = (err as Error).message;
				log.warn({ workspaceId, workflowId, err: message }, 'could not read executions from n8n');
				await recordN8nCheck(ctx.store.db, workspaceId, nowIso(), message.slice(0, 500));
			}
		}
		await markExecutionChecked(ctx.store.db, due.map((d) => d.deliveryId), nowIso());
	}

	const periodic = createPeriodic(pass, o.intervalMs, (err) => log.error({ err }, 'execution watch failed'));
	return { ...periodic, runOnce: pass };
}

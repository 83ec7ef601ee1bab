// Exactly once through n8n: delivery claims (one per webhook-id, whichever n8n process asks first), the n8n executions
// that ran for each event, and each workspace's optional connection to n8n's public API.
import { sql } from 'kysely';
import type { ExecutionRow, ExecutionState, N8nConnectionRow, Queryable } from './schema';

export type ClaimOutcome =
	| { outcome: 'claimed'; claimedAt: string; eventId: string; conversationId: string | null }
	| { outcome: 'already-claimed'; claimedAt: string; workflowId: string | null }
	| { outcome: 'unknown' };

/**
 * One conditional UPDATE: of any number of copies of a delivery arriving at any number of n8n processes, exactly one
 * finds `claimed_at` still empty. The claim is never given back: a claim whose execution never started is found by the
 * execution watch (lost) and redelivered under a new webhook-id.
 */
export async function claimDelivery(
	db: Queryable,
	workspaceId: string,
	claim: { deliveryId: string; subscriptionId: string; workflowId: string; workflowName: string | null; at: string },
): Promise<ClaimOutcome> {
	const updated = await db
		.updateTable('deliveries')
		.set({
			claimed_at: claim.at,
			claim_workflow_id: claim.workflowId,
			claim_workflow_name: claim.workflowName,
			execution_state: 'claimed',
			execution_checked_at: null,
		})
		.where('id', '=', claim.deliveryId)
		.where('workspace_id', '=', workspaceId)
		.where('subscription_id', '=', claim.subscriptionId)
		.where('claimed_at', 'is', null)
		.executeTakeFirst();
	const row = await db
		.selectFrom('deliveries')
		.innerJoin('events', 'events.id', 'deliveries.event_id')
		.select(['deliveries.claimed_at as claimedAt', 'deliveries.claim_workflow_id as workflowId', 'deliveries.event_id as eventId', 'events.conversation_id as conversationId'])
		.where('deliveries.id', '=', claim.deliveryId)
		.where('deliveries.workspace_id', '=', workspaceId)
		.where('deliveries.subscription_id', '=', claim.subscriptionId)
		.executeTakeFirst();
	if (!row || !row.claimedAt) return { outcome: 'unknown' };
	if (Number(updated.numUpdatedRows) === 1) return { outcome: 'claimed', claimedAt: row.claimedAt, eventId: row.eventId, conversationId: row.conversationId };
	return { outcome: 'already-claimed', claimedAt: row.claimedAt, workflowId: row.workflowId ?? null };
}

export interface ClaimedDeliveryRef {
	deliveryId: string;
	workspaceId: string;
	eventId: string;
	subscriptionId: string;
	conversationId: string | null;
	url: string;
	workflowId: string;
	workflowName: string | null;
	claimedAt: string;
	state: ExecutionState;
}

const claimedColumns = [
	'deliveries.id as deliveryId',
	'deliveries.workspace_id as workspaceId',
	'deliveries.event_id as eventId',
	'deliveries.subscription_id as subscriptionId',
	'events.conversation_id as conversationId',
	'subscriptions.url as url',
	'deliveries.claim_workflow_id as workflowId',
	'deliveries.claim_workflow_name as workflowName',
	'deliveries.claimed_at as claimedAt',
	'deliveries.execution_state as state',
] as const;

function claimedRef(r: Record<string, unknown>): ClaimedDeliveryRef {
	return r as unknown as ClaimedDeliveryRef;
}

/** The delivery of an event that a workflow claimed, for an action node's call reporting its execution. */
export async function claimedDeliveryFor(db: Queryable, workspaceId: string, eventId: string, workflowId: string): Promise<ClaimedDeliveryRef | undefined> {
	const row = await db
		.selectFrom('deliveries')
		.innerJoin('events', 'events.id', 'deliveries.event_id')
		.innerJoin('subscriptions', 'subscriptions.id', 'deliveries.subscription_id')
		.select(claimedColumns)
		.where('deliveries.workspace_id', '=', workspaceId)
		.where('deliveries.event_id', '=', eventId)
		.where('deliveries.claim_workflow_id', '=', workflowId)
		.orderBy('deliveries.claimed_at', 'desc')
		.executeTakeFirst();
	return row ? claimedRef(row) : undefined;
}

/** Claimed deliveries of workspaces with an n8n connection whose execution has not ended, claimed since `since`. */
export async function deliveriesToWatch(db: Queryable, opts: { since: string; checkedBefore: string; limit: number }): Promise<ClaimedDeliveryRef[]> {
	const rows = await db
		.selectFrom('deliveries')
		.innerJoin('n8n_connections', 'n8n_connections.workspace_id', 'deliveries.workspace_id')
		.innerJoin('events', 'events.id', 'deliveries.event_id')
		.innerJoin('subscriptions', 'subscriptions.id', 'deliveries.subscription_id')
		.select(claimedColumns)
		.where('deliveries.execution_state', 'in', ['claimed', 'running'])
		.where('deliveries.claimed_at', '>=', opts.since)
		.where((eb) => eb.or([eb('deliveries.execution_checked_at', 'is', null), eb('deliveries.execution_checked_at', '<', opts.checkedBefore)]))
		.orderBy('deliveries.claimed_at')
		.limit(opts.limit)
		.execute();
	return rows.map(claimedRef);
}

/**
 * Moves a delivery's execution state forward; returns whether it changed. A final state (succeeded, failed, lost)
 * is kept unless a later report proves the execution ran after all (lost → running or an end).
 */
export async function setExecutionState(db: Queryable, deliveryId: string, state: ExecutionState, at: string): Promise<boolean> {
	const from: ExecutionState[] =
		state === 'running' ? ['claimed', 'lost'] : state === 'lost' ? ['claimed'] : state === 'claimed' ? [] : ['claimed', 'running', 'lost'];
	if (from.length === 0) return false;
	const updated = await db
		.updateTable('deliveries')
		.set({ execution_state: state, execution_checked_at: at })
		.where('id', '=', deliveryId)
		.where('execution_state', 'in', from)
		.executeTakeFirst();
	return Number(updated.numUpdatedRows) === 1;
}

export async function markExecutionChecked(db: Queryable, deliveryIds: string[], at: string): Promise<void> {
	if (deliveryIds.length === 0) return;
	await db.updateTable('deliveries').set({ execution_checked_at: at }).where('id', 'in', deliveryIds).execute();
}

export type ExecutionReport = Omit<ExecutionRow, 'updated_at'>;

const FINAL_STATUSES = ['success', 'error', 'crashed', 'canceled'];

/**
 * Records what is known of one execution; returns the status stored before (undefined for a new one). A final
 * status read from n8n is never overwritten by a later "running" from an action node's call.
 */
export async function recordExecution(db: Queryable, report: ExecutionReport, at: string): Promise<{ before?: string }> {
	const before = await db
		.selectFrom('executions')
		.select(['status'])
		.where('workspace_id', '=', report.workspace_id)
		.where('workflow_id', '=', report.workflow_id)
		.where('execution_id', '=', report.execution_id)
		.executeTakeFirst();
	const keepStatus = before && FINAL_STATUSES.includes(before.status) && !FINAL_STATUSES.includes(report.status);
	await db
		.insertInto('executions')
		.values({ ...report, updated_at: at })
		.onConflict((oc) =>
			oc.columns(['workspace_id', 'workflow_id', 'execution_id']).doUpdateSet({
				status: keepStatus ? before.status : report.status,
				workflow_name: sql`coalesce(excluded.workflow_name, executions.workflow_name)`,
				event_id: sql`coalesce(executions.event_id, excluded.event_id)`,
				delivery_id: sql`coalesce(executions.delivery_id, excluded.delivery_id)`,
				conversation_id: sql`coalesce(executions.conversation_id, excluded.conversation_id)`,
				mode: sql`coalesce(excluded.mode, executions.mode)`,
				started_at: sql`coalesce(executions.started_at, excluded.started_at)`,
				stopped_at: sql`coalesce(excluded.stopped_at, executions.stopped_at)`,
				error: sql`coalesce(excluded.error, executions.error)`,
				editor_url: sql`coalesce(excluded.editor_url, executions.editor_url)`,
				updated_at: at,
			}),
		)
		.execute();
	return before ? { before: before.status } : {};
}

export interface ExecutionInfo {
	executionId: string;
	workflowId: string;
	workflowName: string | null;
	eventId: string | null;
	deliveryId: string | null;
	status: string;
	mode: string | null;
	startedAt: string | null;
	stoppedAt: string | null;
	error: string | null;
	url: string | null;
}

function executionInfo(r: ExecutionRow): ExecutionInfo {
	return {
		executionId: r.execution_id,
		workflowId: r.workflow_id,
		workflowName: r.workflow_name,
		eventId: r.event_id,
		deliveryId: r.delivery_id,
		status: r.status,
		mode: r.mode,
		startedAt: r.started_at,
		stoppedAt: r.stopped_at,
		error: r.error,
		url: r.editor_url,
	};
}

/** The executions that ran for these events (at most 500), oldest first. */
export async function executionsForEvents(db: Queryable, workspaceId: string, eventIds: string[]): Promise<ExecutionInfo[]> {
	if (eventIds.length === 0) return [];
	const rows = await db
		.selectFrom('executions')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('event_id', 'in', eventIds.slice(0, 500))
		.orderBy('started_at')
		.limit(500)
		.execute();
	return rows.map(executionInfo);
}

/** The executions of a conversation's events, newest first. */
export async function executionsForConversation(db: Queryable, workspaceId: string, conversationId: string, limit = 200): Promise<ExecutionInfo[]> {
	const rows = await db
		.selectFrom('executions')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('conversation_id', '=', conversationId)
		.orderBy('updated_at', 'desc')
		.limit(limit)
		.execute();
	return rows.map(executionInfo);
}

/** The n8n execution ids already linked to these deliveries (the first execution of each). */
export async function linkedExecutionIds(db: Queryable, workspaceId: string, deliveryIds: string[]): Promise<Map<string, string[]>> {
	const found = new Map<string, string[]>();
	if (deliveryIds.length === 0) return found;
	const rows = await db
		.selectFrom('executions')
		.select(['delivery_id as deliveryId', 'execution_id as executionId'])
		.where('workspace_id', '=', workspaceId)
		.where('delivery_id', 'in', deliveryIds)
		.execute();
	for (const r of rows) if (r.deliveryId) found.set(r.deliveryId, [...(found.get(r.deliveryId) ?? []), r.executionId]);
	return found;
}

export async function getN8nConnection(db: Queryable, workspaceId: string): Promise<N8nConnectionRow | undefined> {
	return db.selectFrom('n8n_connections').selectAll().where('workspace_id', '=', workspaceId).executeTakeFirst();
}

export async function n8nConnectionsFor(db: Queryable, workspaceIds: string[]): Promise<Map<string, N8nConnectionRow>> {
	if (workspaceIds.length === 0) return new Map();
	const rows = await db.selectFrom('n8n_connections').selectAll().where('workspace_id', 'in', workspaceIds).execute();
	return new Map(rows.map((r) => [r.workspace_id, r]));
}

export async function putN8nConnection(db: Queryable, workspaceId: string, url: string, apiKey: string, at: string): Promise<void> {
	await db
		.insertInto('n8n_connections')
		.values({ workspace_id: workspaceId, url, api_key: apiKey, last_checked_at: null, last_error: null, updated_at: at })
		.onConflict((oc) => oc.column('workspace_id').doUpdateSet({ url, api_key: apiKey, last_checked_at: null, last_error: null, updated_at: at }))
		.execute();
}

export async function deleteN8nConnection(db: Queryable, workspaceId: string): Promise<boolean> {
	const r = await db.deleteFrom('n8n_connections').where('workspace_id', '=', workspaceId).executeTakeFirst();
	return Number(r.numDeletedRows) > 0;
}

export async function recordN8nCheck(db: Queryable, workspaceId: string, at: string, error: string | null): Promise<void> {
	await db.updateTable('n8n_connections').set({ last_checked_at: at, last_error: error }).where('workspace_id', '=', workspaceId).execute();
}

/** Claimed deliveries by execution state, for /metrics. */
export async function deliveriesByExecutionState(db: Queryable): Promise<{ key: string | null; n: number | string | bigint }[]> {
	const rows = await db
		.selectFrom('deliveries')
		.select(['execution_state as key', (eb) => eb.fn.countAll<number>().as('n')])
		.where('execution_state', 'is not', null)
		.groupBy('execution_state')
		.execute();
	return rows.map((r) => ({ key: r.key ?? null, n: r.n }));
}

/** Deliveries whose execution failed or was lost, newest first: listed with the failed deliveries in the console. */
export async function deliveriesWithBadExecutions(db: Queryable, workspaceId: string, limit = 200): Promise<{ deliveryId: string; state: ExecutionState }[]> {
	const rows = await db
		.selectFrom('deliveries')
		.select(['id as deliveryId', 'execution_state as state'])
		.where('workspace_id', '=', workspaceId)
		.where('execution_state', 'in', ['failed', 'lost'])
		.orderBy('claimed_at', 'desc')
		.limit(limit)
		.execute();
	return rows as { deliveryId: string; state: ExecutionState }[];
}

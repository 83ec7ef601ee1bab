// Transactional outbox: events and their deliveries are written in the caller's transaction; the relay
// picks deliveries up after the commit.
import { randomUUID } from 'node:crypto';
import { newId, nowIso } from '../util/ids';
import { parseJson, toJson } from '../util/json';
import type { DeliveryRow, EventRow, ExecutionState, NextAttemptReason, Queryable } from './schema';
import { listSubscriptions, subscriptionMatches } from './subscriptions';
import { forUpdate } from './row-lock';

export interface EventEnvelope {
	id: string;
	type: string;
	version: 1;
	createdAt: string;
	workspaceId: string;
	causation: { depth: number; parentEventId: string | null };
	agent: { id: string; name: string } | null;
	conversation: { id: string; channel: string; status: string } | null;
	contact: unknown;
	[key: string]: unknown;
}

export interface StoredEvent {
	id: string;
	type: string;
	depth: number;
	conversationId: string | null;
	envelope: EventEnvelope;
}

/** Inserts the event and one delivery per matching live subscription; returns the number of deliveries. */
export async function insertEvent(db: Queryable, workspaceId: string, envelope: EventEnvelope, dueAt?: Date): Promise<number> {
	await insertEventRow(db, workspaceId, envelope);
	const subs = (await listSubscriptions(db, workspaceId)).filter((s) => subscriptionMatches(s, envelope));
	for (const sub of subs) await insertDelivery(db, workspaceId, envelope.id, sub.id, dueAt);
	return subs.length;
}

export async function insertEventRow(db: Queryable, workspaceId: string, envelope: EventEnvelope): Promise<void> {
	await db
		.insertInto('events')
		.values({
			id: envelope.id,
			workspace_id: workspaceId,
			type: envelope.type,
			conversation_id: envelope.conversation?.id ?? null,
			contact_id: (envelope.contact as { id?: string } | null)?.id ?? null,
			envelope: toJson(envelope),
			created_at: envelope.createdAt,
		})
		.execute();
}

/**
 * One delivery of one event to one subscription, due now or at `dueAt` (a channel's retry time, which nothing brings
 * forward); returns its id (the webhook-id).
 */
export async function insertDelivery(db: Queryable, workspaceId: string, eventId: string, subscriptionId: string, dueAt?: Date): Promise<string> {
	const at = nowIso();
	const id = newId('dlv');
	await db
		.insertInto('deliveries')
		.values({
			id,
			workspace_id: workspaceId,
			event_id: eventId,
			subscription_id: subscriptionId,
			status: 'pending',
			attempts: 0,
			next_attempt_at: dueAt ? dueAt.toISOString() : at,
			last_error: null,
			last_status_code: null,
			locked_until: null,
			lease_token: null,
			created_at: at,
			updated_at: at,
			schedule_step: 0,
			next_attempt_reason: dueAt ? 'retry-after' : 'new',
		})
		.execute();
	return id;
}

function eventFromRow(row: EventRow): StoredEvent {
	const envelope = parseJson<EventEnvelope>(row.envelope, {} as EventEnvelope);
	return { id: row.id, type: row.type, depth: envelope.causation?.depth ?? 0, conversationId: row.conversation_id, envelope };
}

/** The newest events of the given types (newest first), for "send a test event". */
export async function recentEvents(db: Queryable, workspaceId: string, types: string[], limit = 200): Promise<StoredEvent[]> {
	const rows = await db
		.selectFrom('events')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('type', 'in', types)
		.orderBy('id', 'desc')
		.limit(limit)
		.execute();
	return rows.map(eventFromRow);
}

export async function getEvent(db: Queryable, workspaceId: string, id: string): Promise<StoredEvent | undefined> {
	const row = await db.selectFrom('events').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
	return row ? eventFromRow(row) : undefined;
}

export interface ClaimedDelivery {
	id: string;
	workspaceId: string;
	eventId: string;
	subscriptionId: string;
	attempts: number;
	scheduleStep: number;
	nextAttemptReason: NextAttemptReason;
	leaseToken: string;
	url: string;
	secret: string;
	envelope: string;
	conversationId: string | null;
	eventType: string;
}

/**
 * Claims due deliveries with a lease. The UPDATE re-checks "still due and unleased" so that when several
 * server instances race for the same row only one gets it back from RETURNING.
 * `capacity(url)` says how many more this instance may start for a destination.
 */
export async function claimDueDeliveries(
	db: Queryable,
	opts: { now: Date; leaseMs: number; limit: number; capacity: (url: string) => number },
): Promise<ClaimedDelivery[]> {
	const nowText = opts.now.toISOString();
	const candidates = await db
		.selectFrom('deliveries')
		.innerJoin('subscriptions', 'subscriptions.id', 'deliveries.subscription_id')
		.select(['deliveries.id as id', 'subscriptions.url as url'])
		.where('deliveries.status', '=', 'pending')
		.where('subscriptions.deleted_at', 'is', null)
		.where('deliveries.next_attempt_at', '<=', nowText)
		.where((eb) => eb.or([eb('deliveries.locked_until', 'is', null), eb('deliveries.locked_until', '<', nowText)]))
		.orderBy('deliveries.next_attempt_at')
		.orderBy('deliveries.id')
		.limit(opts.limit * 4)
		.execute();

	const picked: string[] = [];
	const taken = new Map<string, number>();
	for (const c of candidates) {
		const used = taken.get(c.url) ?? 0;
		if (used >= opts.capacity(c.url)) continue;
		taken.set(c.url, used + 1);
		picked.push(c.id);
		if (picked.length >= opts.limit) break;
	}
	if (picked.length === 0) return [];

	const leaseToken = randomUUID();
	const claimed = await db
		.updateTable('deliveries')
		.set({ locked_until: new Date(opts.now.getTime() + opts.leaseMs).toISOString(), lease_token: leaseToken })
		.where('id', 'in', picked)
		.where('status', '=', 'pending')
		.where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowText)]))
		.returning(['id'])
		.execute();
	if (claimed.length === 0) return [];

	const rows = await db
		.selectFrom('deliveries')
		.innerJoin('subscriptions', 'subscriptions.id', 'deliveries.subscription_id')
		.innerJoin('events', 'events.id', 'deliveries.event_id')
		.select([
			'deliveries.id as id',
			'deliveries.workspace_id as workspaceId',
			'deliveries.event_id as eventId',
			'deliveries.subscription_id as subscriptionId',
			'deliveries.attempts as attempts',
			'deliveries.schedule_step as scheduleStep',
			'deliveries.next_attempt_reason as nextAttemptReason',
			'subscriptions.url as url',
			'subscriptions.secret as secret',
			'events.envelope as envelope',
			'events.conversation_id as conversationId',
			'events.type as eventType',
		])
		.where(
			'deliveries.id',
			'in',
			claimed.map((c) => c.id),
		)
		.where('deliveries.lease_token', '=', leaseToken)
		.orderBy('deliveries.next_attempt_at')
		.orderBy('deliveries.id')
		.execute();
	return rows.map((r) => ({ ...r, attempts: Number(r.attempts), scheduleStep: Number(r.scheduleStep), leaseToken }));
}

/** Records an attempt; the lease token makes a late writer (lease expired, row re-claimed) a no-op. */
export async function finishAttempt(
	db: Queryable,
	delivery: Pick<ClaimedDelivery, 'id' | 'leaseToken'>,
	result: {
		status: DeliveryRow['status'];
		attempts: number;
		/** Default: the attempts made (every attempt was a scheduled one). */
		scheduleStep?: number;
		nextAttemptAt: string;
		/** Default: the retry schedule. */
		nextAttemptReason?: NextAttemptReason;
		error: string | null;
		statusCode: number | null;
	},
): Promise<boolean> {
	const updated = await db
		.updateTable('deliveries')
		.set({
			status: result.status,
			attempts: result.attempts,
			schedule_step: result.scheduleStep ?? result.attempts,
			next_attempt_reason: result.nextAttemptReason ?? 'schedule',
			next_attempt_at: result.nextAttemptAt,
			last_error: result.error,
			last_status_code: result.statusCode,
			locked_until: null,
			lease_token: null,
			updated_at: nowIso(),
		})
		.where('id', '=', delivery.id)
		.where('lease_token', '=', delivery.leaseToken)
		.where('status', '=', 'pending')
		.executeTakeFirst();
	return Number(updated.numUpdatedRows) === 1;
}

/** Gives a claimed delivery back untouched (shutdown mid-attempt). */
export async function releaseLease(db: Queryable, delivery: Pick<ClaimedDelivery, 'id' | 'leaseToken'>): Promise<void> {
	await db
		.updateTable('deliveries')
		.set({ locked_until: null, lease_token: null })
		.where('id', '=', delivery.id)
		.where('lease_token', '=', delivery.leaseToken)
		.execute();
}

/**
 * Brings pending deliveries forward to `now` (a sign that their destination is back, or retry-now). Leaves alone
 * deliveries in flight, already due, or (unless `ignoreRetryAfter`) waiting because the receiver asked for time;
 * with `minIdleMs`, also those attempted less than that long ago, so repeated signals cannot hammer a destination.
 * Returns the ids released.
 */
export async function releaseDeliveries(
	db: Queryable,
	workspaceId: string,
	opts: { subscriptionIds?: string[]; deliveryId?: string; reason: NextAttemptReason; now: Date; minIdleMs?: number; ignoreRetryAfter?: boolean },
): Promise<string[]> {
	if (opts.subscriptionIds?.length === 0) return [];
	const nowText = opts.now.toISOString();
	let q = db
		.updateTable('deliveries')
		.set({ next_attempt_at: nowText, next_attempt_reason: opts.reason })
		.where('workspace_id', '=', workspaceId)
		.where('status', '=', 'pending')
		.where('next_attempt_at', '>', nowText)
		.where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowText)]));
	if (opts.subscriptionIds) q = q.where('subscription_id', 'in', opts.subscriptionIds);
	if (opts.deliveryId) q = q.where('id', '=', opts.deliveryId);
	if (!opts.ignoreRetryAfter) q = q.where('next_attempt_reason', '!=', 'retry-after');
	if (opts.minIdleMs) q = q.where('updated_at', '<=', new Date(opts.now.getTime() - opts.minIdleMs).toISOString());
	const rows = await q.returning(['id']).execute();
	return rows.map((r) => r.id);
}

export type RetryNowOutcome = 'brought-forward' | 'already-due' | 'in-flight' | 'reopened' | 'delivered' | 'subscription-deleted';

/**
 * Retry now, for one delivery: a pending one is brought forward (even past a Retry-After), a failed one is reopened
 * with the same webhook-id and a fresh retry schedule. A delivered one, or one to a deleted subscription, is left
 * as it is. Undefined when the workspace has no such delivery.
 */
export async function retryDeliveryNow(db: Queryable, workspaceId: string, id: string, now: Date): Promise<RetryNowOutcome | undefined> {
	const row = await db
		.selectFrom('deliveries')
		.innerJoin('subscriptions', 'subscriptions.id', 'deliveries.subscription_id')
		.select(['deliveries.status as status', 'deliveries.next_attempt_at as nextAttemptAt', 'deliveries.locked_until as lockedUntil', 'subscriptions.deleted_at as deletedAt'])
		.where('deliveries.workspace_id', '=', workspaceId)
		.where('deliveries.id', '=', id)
		.executeTakeFirst();
	if (!row) return undefined;
	if (row.status === 'delivered') return 'delivered';
	if (row.deletedAt !== null) return 'subscription-deleted';
	const nowText = now.toISOString();
	if (row.status === 'failed') {
		const reopened = await db
			.updateTable('deliveries')
			.set({ status: 'pending', schedule_step: 0, next_attempt_at: nowText, next_attempt_reason: 'retry-now', locked_until: null, lease_token: null, updated_at: nowText })
			.where('id', '=', id)
			.where('status', '=', 'failed')
			.executeTakeFirst();
		// Another writer changed it meanwhile: report what it is now.
		return Number(reopened.numUpdatedRows) === 1 ? 'reopened' : retryDeliveryNow(db, workspaceId, id, now);
	}
	if (row.lockedUntil !== null && row.lockedUntil > nowText) return 'in-flight';
	if (row.nextAttemptAt <= nowText) return 'already-due';
	const released = await releaseDeliveries(db, workspaceId, { deliveryId: id, reason: 'retry-now', now, ignoreRetryAfter: true });
	return released.length === 1 ? 'brought-forward' : 'already-due';
}

export interface DeliveryInfo {
	id: string;
	eventId: string;
	eventType: string;
	subscriptionId: string;
	status: DeliveryRow['status'];
	attempts: number;
	nextAttemptAt: string;
	/** Why it is due then (pending deliveries); see docs/delivery.md. */
	nextAttemptReason: NextAttemptReason;
	/** An attempt is being made right now (another instance or this one holds its lease). */
	inFlight: boolean;
	lastError: string | null;
	lastStatusCode: number | null;
	createdAt: string;
	updatedAt: string;
	/** What is known of the n8n execution it started (null: no trigger claimed it yet). */
	execution: { state: ExecutionState; workflowId: string | null; workflowName: string | null; claimedAt: string | null } | null;
}

export interface DeliveryFilter {
	id?: string;
	eventId?: string;
	subscriptionId?: string;
	status?: DeliveryRow['status'];
	/** Deliveries of events created at or after this ISO time. */
	since?: string;
	/** Only deliveries whose execution is in this state (e.g. `lost`, `failed`). */
	execution?: ExecutionState;
	limit?: number;
}

/** Oldest first, so a list of pending deliveries reads in the order they will go out. */
export async function listDeliveries(db: Queryable, workspaceId: string, filter: DeliveryFilter = {}): Promise<DeliveryInfo[]> {
	let q = db
		.selectFrom('deliveries')
		.innerJoin('events', 'events.id', 'deliveries.event_id')
		.selectAll('deliveries')
		.select(['events.type as event_type'])
		.where('deliveries.workspace_id', '=', workspaceId);
	if (filter.id) q = q.where('deliveries.id', '=', filter.id);
	if (filter.eventId) q = q.where('deliveries.event_id', '=', filter.eventId);
	if (filter.subscriptionId) q = q.where('deliveries.subscription_id', '=', filter.subscriptionId);
	if (filter.status) q = q.where('deliveries.status', '=', filter.status);
	if (filter.since) q = q.where('events.created_at', '>=', filter.since);
	if (filter.execution) q = q.where('deliveries.execution_state', '=', filter.execution);
	const rows = await q.orderBy('deliveries.id').limit(filter.limit ?? 1000).execute();
	const now = nowIso();
	return rows.map((r) => ({
		id: r.id,
		eventId: r.event_id,
		eventType: r.event_type,
		subscriptionId: r.subscription_id,
		status: r.status,
		attempts: Number(r.attempts),
		nextAttemptAt: r.next_attempt_at,
		nextAttemptReason: r.next_attempt_reason,
		inFlight: r.status === 'pending' && r.locked_until !== null && r.locked_until > now,
		lastError: r.last_error,
		lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
		createdAt: r.created_at,
		updatedAt: r.updated_at,
		execution: r.execution_state
			? { state: r.execution_state, workflowId: r.claim_workflow_id ?? null, workflowName: r.claim_workflow_name ?? null, claimedAt: r.claimed_at ?? null }
			: null,
	}));
}

export interface DeliveryCounts {
	events: number;
	deliveries: number;
	pending: number;
	delivered: number;
	failed: number;
}

/** The numbers behind "nothing is lost": every delivery is pending, delivered or failed. */
export async function deliveryCounts(db: Queryable, workspaceId: string): Promise<DeliveryCounts> {
	const rows = await db
		.selectFrom('deliveries')
		.select(['status', (eb) => eb.fn.countAll<string | number>().as('n')])
		.where('workspace_id', '=', workspaceId)
		.groupBy('status')
		.execute();
	const events = await db
		.selectFrom('events')
		.select((eb) => eb.fn.countAll<string | number>().as('n'))
		.where('workspace_id', '=', workspaceId)
		.executeTakeFirstOrThrow();
	const by = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) as Partial<Record<DeliveryRow['status'], number>>;
	const pending = by.pending ?? 0;
	const delivered = by.delivered ?? 0;
	const failed = by.failed ?? 0;
	return { events: Number(events.n), deliveries: pending + delivered + failed, pending, delivered, failed };
}

export interface ReplaySelector {
	deliveryId?: string;
	subscriptionId?: string;
	since?: string;
	/** Also resend deliveries that already succeeded (as new deliveries, with a new webhook-id). */
	includeDelivered?: boolean;
}

export interface ReplayResult {
	/** Failed deliveries put back in the queue with their own webhook-id and a fresh retry schedule. */
	reopened: string[];
	/** New deliveries for events that had already been delivered. */
	resent: string[];
}

/**
 * Replays deliveries to live subscriptions. A failed delivery is reopened: same webhook-id, so a receiver
 * that did get it after all still drops it. A delivered one is sent again only when asked, under a new
 * webhook-id, because the receiver is meant to run it again. Pending ones are already queued. One whose n8n
 * execution failed or was lost is sent again under a new webhook-id whatever its status: its old id is claimed.
 */
export async function replayDeliveries(db: Queryable, workspaceId: string, selector: ReplaySelector): Promise<ReplayResult> {
	let q = db
		.selectFrom('deliveries')
		.innerJoin('subscriptions', 'subscriptions.id', 'deliveries.subscription_id')
		.innerJoin('events', 'events.id', 'deliveries.event_id')
		.select([
			'deliveries.id as id',
			'deliveries.status as status',
			'deliveries.event_id as eventId',
			'deliveries.subscription_id as subscriptionId',
			'deliveries.execution_state as executionState',
		])
		.where('deliveries.workspace_id', '=', workspaceId)
		.where('subscriptions.deleted_at', 'is', null);
	if (selector.deliveryId) q = q.where('deliveries.id', '=', selector.deliveryId);
	if (selector.subscriptionId) q = q.where('deliveries.subscription_id', '=', selector.subscriptionId);
	if (selector.since) q = q.where('events.created_at', '>=', selector.since);
	const wantDelivered = selector.includeDelivered || !!selector.deliveryId;
	// One named delivery whose execution failed or was lost is sent again whatever its status: n8n took it (the claim
	// holds its webhook-id), so only a new webhook-id runs it again.
	const badExecution = (r: { executionState?: string | null }) => r.executionState === 'lost' || r.executionState === 'failed';
	q = q.where((eb) =>
		eb.or([
			eb('deliveries.status', 'in', wantDelivered ? ['failed', 'delivered'] : ['failed']),
			...(selector.deliveryId ? [eb('deliveries.execution_state', 'in', ['lost', 'failed'])] : []),
		]),
	);
	const rows = await q.orderBy('deliveries.id').execute();

	const at = nowIso();
	const failed = rows.filter((r) => r.status === 'failed' && !badExecution(r)).map((r) => r.id);
	for (let i = 0; i < failed.length; i += 500) {
		await db
			.updateTable('deliveries')
			.set({
				status: 'pending',
				attempts: 0,
				schedule_step: 0,
				next_attempt_at: at,
				next_attempt_reason: 'replay',
				last_error: null,
				last_status_code: null,
				locked_until: null,
				lease_token: null,
				updated_at: at,
			})
			.where('id', 'in', failed.slice(i, i + 500))
			.where('status', '=', 'failed')
			.execute();
	}
	const resent: string[] = [];
	for (const r of rows.filter((x) => x.status === 'delivered' || badExecution(x))) {
		resent.push(await insertDelivery(db, workspaceId, r.eventId, r.subscriptionId));
	}
	return { reopened: failed, resent };
}

/**
 * Keeps a subscription's delivery health. Returns true when this failure is the one that marks the
 * destination failing (it has not accepted anything for markFailingAfterMs), so the caller reports it once.
 */
export async function recordSubscriptionHealth(
	db: Queryable,
	subscriptionId: string,
	result: { ok: boolean; error: string | null; at: Date; markFailingAfterMs: number },
): Promise<boolean> {
	const at = result.at.toISOString();
	if (result.ok) {
		await db
			.updateTable('subscriptions')
			.set({ consecutive_failures: 0, failing_since: null, marked_failing_at: null, last_success_at: at, probe_at: null, probe_failures: 0 })
			.where('id', '=', subscriptionId)
			.execute();
		return false;
	}
	const row = await forUpdate(db, db.selectFrom('subscriptions').select(['failing_since', 'marked_failing_at']).where('id', '=', subscriptionId)).executeTakeFirst();
	if (!row) return false;
	const since = row.failing_since ?? at;
	const mark = !row.marked_failing_at && result.at.getTime() - Date.parse(since) >= result.markFailingAfterMs;
	await db
		.updateTable('subscriptions')
		.set((eb) => ({
			consecutive_failures: eb('consecutive_failures', '+', 1),
			failing_since: since,
			last_failure_at: at,
			last_failure: result.error,
			...(mark ? { marked_failing_at: at } : {}),
		}))
		.where('id', '=', subscriptionId)
		.execute();
	return mark;
}

export type SubscriptionHealthStatus = 'healthy' | 'retrying' | 'failing';

export interface SubscriptionHealth {
	status: SubscriptionHealthStatus;
	consecutiveFailures: number;
	failingSince: string | null;
	markedFailingAt: string | null;
	lastSuccessAt: string | null;
	lastFailureAt: string | null;
	lastFailure: string | null;
	/** While the destination is down: when the relay next checks whether it answers again. */
	nextProbeAt: string | null;
	pending: number;
	failed: number;
}

/** Health of the workspace's live subscriptions, by id. */
export async function subscriptionHealth(db: Queryable, workspaceId: string): Promise<Map<string, SubscriptionHealth>> {
	const subs = await db
		.selectFrom('subscriptions')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('deleted_at', 'is', null)
		.execute();
	const counts = await db
		.selectFrom('deliveries')
		.select(['subscription_id', 'status', (eb) => eb.fn.countAll<string | number>().as('n')])
		.where('workspace_id', '=', workspaceId)
		.where('status', 'in', ['pending', 'failed'])
		.groupBy(['subscription_id', 'status'])
		.execute();
	const count = (id: string, status: string) => Number(counts.find((c) => c.subscription_id === id && c.status === status)?.n ?? 0);
	return new Map(
		subs.map((s) => [
			s.id,
			{
				status: s.marked_failing_at ? 'failing' : s.failing_since ? 'retrying' : 'healthy',
				consecutiveFailures: Number(s.consecutive_failures),
				failingSince: s.failing_since,
				markedFailingAt: s.marked_failing_at,
				lastSuccessAt: s.last_success_at,
				lastFailureAt: s.last_failure_at,
				lastFailure: s.last_failure,
				nextProbeAt: s.probe_at,
				pending: count(s.id, 'pending'),
				failed: count(s.id, 'failed'),
			},
		]),
	);
}

export interface ProbeState {
	failingSince: string | null;
	probeAt: string | null;
	probeFailures: number;
}

export async function getProbeState(db: Queryable, subscriptionId: string): Promise<ProbeState | undefined> {
	const row = await db
		.selectFrom('subscriptions')
		.select(['failing_since', 'probe_at', 'probe_failures'])
		.where('id', '=', subscriptionId)
		.where('deleted_at', 'is', null)
		.executeTakeFirst();
	return row ? { failingSince: row.failing_since, probeAt: row.probe_at, probeFailures: Number(row.probe_failures) } : undefined;
}

/**
 * Sets when the destination is next probed; only ever brings a probe forward, never pushes one back. With
 * `minGapMs`, not sooner than that long after the last probe.
 */
export async function scheduleProbe(db: Queryable, subscriptionIds: string[], at: Date, minGapMs = 0): Promise<void> {
	if (subscriptionIds.length === 0) return;
	const atText = at.toISOString();
	const rows = await db
		.selectFrom('subscriptions')
		.select(['id', 'probe_at', 'probed_at'])
		.where('id', 'in', subscriptionIds)
		.where('deleted_at', 'is', null)
		.execute();
	for (const row of rows) {
		const earliest = row.probed_at ? new Date(Date.parse(row.probed_at) + minGapMs).toISOString() : atText;
		const target = earliest > atText ? earliest : atText;
		if (row.probe_at !== null && row.probe_at <= target) continue;
		// Compare-and-set: a probe claimed or rescheduled meanwhile is left as its writer set it.
		let q = db.updateTable('subscriptions').set({ probe_at: target }).where('id', '=', row.id);
		q = row.probe_at === null ? q.where('probe_at', 'is', null) : q.where('probe_at', '=', row.probe_at);
		await q.execute();
	}
}

/** A sign of life: the probe backoff starts again from its shortest step. */
export async function resetProbes(db: Queryable, subscriptionIds: string[]): Promise<void> {
	if (subscriptionIds.length === 0) return;
	await db.updateTable('subscriptions').set({ probe_failures: 0, probe_at: null }).where('id', 'in', subscriptionIds).execute();
}

/** The workspace's live subscriptions whose destination is failing. */
export async function failingSubscriptions(db: Queryable, workspaceId: string): Promise<{ id: string; url: string }[]> {
	return db
		.selectFrom('subscriptions')
		.select(['id', 'url'])
		.where('workspace_id', '=', workspaceId)
		.where('deleted_at', 'is', null)
		.where('failing_since', 'is not', null)
		.execute();
}

export interface ClaimedProbe {
	subscriptionId: string;
	workspaceId: string;
	url: string;
	failingSince: string | null;
	probeFailures: number;
	/** The lease: probe_at as set by the claim; finishProbe writes only while it is unchanged. */
	leasedUntil: string;
}

/**
 * Claims due probes of destinations that still have pending deliveries. The claim moves probe_at to the end of
 * a lease with a compare-and-set, so with several instances only one probes a destination at a time.
 */
export async function claimDueProbes(db: Queryable, opts: { now: Date; leaseMs: number; limit: number }): Promise<ClaimedProbe[]> {
	const nowText = opts.now.toISOString();
	const due = await db
		.selectFrom('subscriptions')
		.select(['id', 'workspace_id', 'url', 'failing_since', 'probe_at', 'probe_failures'])
		.where('deleted_at', 'is', null)
		.where('probe_at', '<=', nowText)
		.where((eb) =>
			eb.exists(
				eb
					.selectFrom('deliveries')
					.select('deliveries.id')
					.whereRef('deliveries.subscription_id', '=', 'subscriptions.id')
					.where('deliveries.status', '=', 'pending'),
			),
		)
		.orderBy('probe_at')
		.limit(opts.limit)
		.execute();
	const leasedUntil = new Date(opts.now.getTime() + opts.leaseMs).toISOString();
	const claimed: ClaimedProbe[] = [];
	for (const row of due) {
		const won = await db
			.updateTable('subscriptions')
			.set({ probe_at: leasedUntil, probed_at: nowText })
			.where('id', '=', row.id)
			.where('probe_at', '=', row.probe_at)
			.executeTakeFirst();
		if (Number(won.numUpdatedRows) !== 1) continue;
		claimed.push({
			subscriptionId: row.id,
			workspaceId: row.workspace_id,
			url: row.url,
			failingSince: row.failing_since,
			probeFailures: Number(row.probe_failures),
			leasedUntil,
		});
	}
	return claimed;
}

/** Records a probe: the next one (null: none) and the probe count; a no-op if the lease was lost. */
export async function finishProbe(db: Queryable, probe: ClaimedProbe, result: { nextProbeAt: Date | null; probeFailures: number }): Promise<boolean> {
	const updated = await db
		.updateTable('subscriptions')
		.set({ probe_at: result.nextProbeAt?.toISOString() ?? null, probe_failures: result.probeFailures })
		.where('id', '=', probe.subscriptionId)
		.where('probe_at', '=', probe.leasedUntil)
		.executeTakeFirst();
	return Number(updated.numUpdatedRows) === 1;
}

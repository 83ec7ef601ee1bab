// Transactional outbox: events and their deliveries are written in the caller's transaction; the relay
// picks deliveries up after the commit.
import { randomUUID } from 'node:crypto';
import { newId, nowIso } from '../util/ids';
import { parseJson, toJson } from '../util/json';
import type { DeliveryRow, EventRow, Queryable } from './schema';
import { listSubscriptions, subscriptionMatches } from './subscriptions';

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
export async function insertEvent(db: Queryable, workspaceId: string, envelope: EventEnvelope): Promise<number> {
	await insertEventRow(db, workspaceId, envelope);
	const subs = (await listSubscriptions(db, workspaceId)).filter((s) => subscriptionMatches(s, envelope));
	for (const sub of subs) await insertDelivery(db, workspaceId, envelope.id, sub.id);
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

/** One delivery of one event to one subscription, due now; returns its id (the webhook-id). */
export async function insertDelivery(db: Queryable, workspaceId: string, eventId: string, subscriptionId: string): Promise<string> {
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
			next_attempt_at: at,
			last_error: null,
			last_status_code: null,
			locked_until: null,
			lease_token: null,
			created_at: at,
			updated_at: at,
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
	return rows.map((r) => ({ ...r, attempts: Number(r.attempts), leaseToken }));
}

/** Records an attempt; the lease token makes a late writer (lease expired, row re-claimed) a no-op. */
export async function finishAttempt(
	db: Queryable,
	delivery: Pick<ClaimedDelivery, 'id' | 'leaseToken'>,
	result: { status: DeliveryRow['status']; attempts: number; nextAttemptAt: string; error: string | null; statusCode: number | null },
): Promise<boolean> {
	const updated = await db
		.updateTable('deliveries')
		.set({
			status: result.status,
			attempts: result.attempts,
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

export interface DeliveryInfo {
	id: string;
	eventId: string;
	eventType: string;
	subscriptionId: string;
	status: DeliveryRow['status'];
	attempts: number;
	nextAttemptAt: string;
	lastError: string | null;
	lastStatusCode: number | null;
	createdAt: string;
	updatedAt: string;
}

export interface DeliveryFilter {
	id?: string;
	eventId?: string;
	subscriptionId?: string;
	status?: DeliveryRow['status'];
	/** Deliveries of events created at or after this ISO time. */
	since?: string;
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
	const rows = await q.orderBy('deliveries.id').limit(filter.limit ?? 1000).execute();
	return rows.map((r) => ({
		id: r.id,
		eventId: r.event_id,
		eventType: r.event_type,
		subscriptionId: r.subscription_id,
		status: r.status,
		attempts: Number(r.attempts),
		nextAttemptAt: r.next_attempt_at,
		lastError: r.last_error,
		lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
		createdAt: r.created_at,
		updatedAt: r.updated_at,
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
 * webhook-id, because the receiver is meant to run it again. Pending ones are already queued.
 */
export async function replayDeliveries(db: Queryable, workspaceId: string, selector: ReplaySelector): Promise<ReplayResult> {
	let q = db
		.selectFrom('deliveries')
		.innerJoin('subscriptions', 'subscriptions.id', 'deliveries.subscription_id')
		.innerJoin('events', 'events.id', 'deliveries.event_id')
		.select(['deliveries.id as id', 'deliveries.status as status', 'deliveries.event_id as eventId', 'deliveries.subscription_id as subscriptionId'])
		.where('deliveries.workspace_id', '=', workspaceId)
		.where('subscriptions.deleted_at', 'is', null);
	if (selector.deliveryId) q = q.where('deliveries.id', '=', selector.deliveryId);
	if (selector.subscriptionId) q = q.where('deliveries.subscription_id', '=', selector.subscriptionId);
	if (selector.since) q = q.where('events.created_at', '>=', selector.since);
	const wantDelivered = selector.includeDelivered || !!selector.deliveryId;
	q = q.where('deliveries.status', 'in', wantDelivered ? ['failed', 'delivered'] : ['failed']);
	const rows = await q.orderBy('deliveries.id').execute();

	const at = nowIso();
	const failed = rows.filter((r) => r.status === 'failed').map((r) => r.id);
	for (let i = 0; i < failed.length; i += 500) {
		await db
			.updateTable('deliveries')
			.set({ status: 'pending', attempts: 0, next_attempt_at: at, last_error: null, last_status_code: null, locked_until: null, lease_token: null, updated_at: at })
			.where('id', 'in', failed.slice(i, i + 500))
			.where('status', '=', 'failed')
			.execute();
	}
	const resent: string[] = [];
	for (const r of rows.filter((x) => x.status === 'delivered')) {
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
			.set({ consecutive_failures: 0, failing_since: null, marked_failing_at: null, last_success_at: at })
			.where('id', '=', subscriptionId)
			.execute();
		return false;
	}
	const row = await db.selectFrom('subscriptions').select(['failing_since', 'marked_failing_at']).where('id', '=', subscriptionId).executeTakeFirst();
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
				pending: count(s.id, 'pending'),
				failed: count(s.id, 'failed'),
			},
		]),
	);
}

// Transactional outbox: events and their deliveries are written in the caller's transaction; the relay
// picks deliveries up after the commit.
import { randomUUID } from 'node:crypto';
import { newId, nowIso } from '../util/ids';
import { parseJson, toJson } from '../util/json';
import type { DeliveryRow, Queryable } from './schema';
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

/** One delivery of one event to one subscription, due now. */
export async function insertDelivery(db: Queryable, workspaceId: string, eventId: string, subscriptionId: string): Promise<void> {
	const at = nowIso();
	await db
		.insertInto('deliveries')
		.values({
			id: newId('dlv'),
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
	return rows.map((row) => {
		const envelope = parseJson<EventEnvelope>(row.envelope, {} as EventEnvelope);
		return { id: row.id, type: row.type, depth: envelope.causation?.depth ?? 0, conversationId: row.conversation_id, envelope };
	});
}

export async function getEvent(db: Queryable, workspaceId: string, id: string): Promise<StoredEvent | undefined> {
	const row = await db.selectFrom('events').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
	if (!row) return undefined;
	const envelope = parseJson<EventEnvelope>(row.envelope, {} as EventEnvelope);
	return { id: row.id, type: row.type, depth: envelope.causation?.depth ?? 0, conversationId: row.conversation_id, envelope };
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
	subscriptionId: string;
	status: DeliveryRow['status'];
	attempts: number;
	nextAttemptAt: string;
	lastError: string | null;
	lastStatusCode: number | null;
}

export async function listDeliveries(db: Queryable, workspaceId: string, filter: { eventId?: string } = {}): Promise<DeliveryInfo[]> {
	let q = db.selectFrom('deliveries').selectAll().where('workspace_id', '=', workspaceId);
	if (filter.eventId) q = q.where('event_id', '=', filter.eventId);
	const rows = await q.orderBy('id').execute();
	return rows.map((r) => ({
		id: r.id,
		eventId: r.event_id,
		subscriptionId: r.subscription_id,
		status: r.status,
		attempts: Number(r.attempts),
		nextAttemptAt: r.next_attempt_at,
		lastError: r.last_error,
		lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
	}));
}

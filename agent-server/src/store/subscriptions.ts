import { randomBytes } from 'node:crypto';
import { newId, nowIso } from '../util/ids';
import { parseJson, toJson } from '../util/json';
import type { Queryable, SubscriptionRow } from './schema';

export const EVENT_TYPES = ['agent.action.triggered', 'conversation.ended', 'contact.tag.added', 'conversation.message.outgoing', 'conversation.handoff'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface SubscriptionFilters {
	agentId?: string;
	actionId?: string;
	channel?: string;
	outcome?: string;
	endReason?: string;
	/** Tag events: any of these tags. */
	tags?: string[];
	addedBy?: 'agent' | 'workflow' | 'api';
}

export interface Subscription {
	id: string;
	url: string;
	events: EventType[];
	filters: SubscriptionFilters;
	createdAt: string;
}

export interface SubscriptionWithSecret extends Subscription {
	secret: string;
}

export function generateSecret(): string {
	return `whsec_${randomBytes(32).toString('base64')}`;
}

function fromRow(row: SubscriptionRow): SubscriptionWithSecret {
	return {
		id: row.id,
		url: row.url,
		events: parseJson<EventType[]>(row.events, []),
		filters: parseJson<SubscriptionFilters>(row.filters, {}),
		createdAt: row.created_at,
		secret: row.secret,
	};
}

export function withoutSecret(sub: SubscriptionWithSecret): Subscription {
	const { secret: _secret, ...rest } = sub;
	return rest;
}

export async function createSubscription(
	db: Queryable,
	workspaceId: string,
	input: { url: string; events: EventType[]; filters?: SubscriptionFilters },
): Promise<SubscriptionWithSecret> {
	const row: SubscriptionRow = {
		id: newId('sub'),
		workspace_id: workspaceId,
		url: input.url,
		events: toJson(input.events),
		filters: toJson(input.filters ?? {}),
		secret: generateSecret(),
		created_at: nowIso(),
		deleted_at: null,
		consecutive_failures: 0,
		failing_since: null,
		marked_failing_at: null,
		last_success_at: null,
		last_failure_at: null,
		last_failure: null,
		probe_at: null,
		probe_failures: 0,
		probed_at: null,
	};
	await db.insertInto('subscriptions').values(row).execute();
	return fromRow(row);
}

export async function listSubscriptions(db: Queryable, workspaceId: string): Promise<SubscriptionWithSecret[]> {
	const rows = await db
		.selectFrom('subscriptions')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('deleted_at', 'is', null)
		.orderBy('id')
		.execute();
	return rows.map(fromRow);
}

export async function getSubscription(db: Queryable, workspaceId: string, id: string): Promise<SubscriptionWithSecret | undefined> {
	const row = await db
		.selectFrom('subscriptions')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', id)
		.where('deleted_at', 'is', null)
		.executeTakeFirst();
	return row ? fromRow(row) : undefined;
}

/**
 * Soft delete: the row stays so past deliveries keep their context; pending deliveries to it are closed
 * as failed so the relay sends nothing more.
 */
export async function deleteSubscription(db: Queryable, workspaceId: string, id: string): Promise<boolean> {
	const at = nowIso();
	const result = await db
		.updateTable('subscriptions')
		.set({ deleted_at: at })
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', id)
		.where('deleted_at', 'is', null)
		.executeTakeFirst();
	if (Number(result.numUpdatedRows) !== 1) return false;
	await db
		.updateTable('deliveries')
		.set({ status: 'failed', last_error: 'subscription deleted', locked_until: null, lease_token: null, updated_at: at })
		.where('workspace_id', '=', workspaceId)
		.where('subscription_id', '=', id)
		.where('status', '=', 'pending')
		.execute();
	return true;
}

/** Does this subscription want this event? A filter applies only to the event types that carry its field. */
export function subscriptionMatches(sub: Subscription, envelope: Record<string, any>): boolean {
	const type = envelope.type as string;
	const f = sub.filters;
	if (!sub.events.includes(type as EventType)) return false;
	if (f.agentId && envelope.agent?.id !== f.agentId) return false;
	if (f.channel && envelope.conversation?.channel !== f.channel) return false;
	if (type === 'agent.action.triggered' && f.actionId && envelope.action?.id !== f.actionId) return false;
	if (type === 'conversation.ended') {
		if (f.outcome && envelope.ending?.outcome !== f.outcome) return false;
		if (f.endReason && envelope.ending?.reason !== f.endReason) return false;
	}
	if (type === 'contact.tag.added') {
		if (f.tags?.length && !f.tags.includes(envelope.tag)) return false;
		if (f.addedBy && envelope.addedBy !== f.addedBy) return false;
	}
	return true;
}

/** Subscriptions the workspace holds now (deleted ones keep their row for past deliveries but no place in the limit). */
export async function countSubscriptions(db: Queryable, workspaceId: string): Promise<number> {
	const row = await db
		.selectFrom('subscriptions')
		.select((eb) => eb.fn.countAll<number>().as('n'))
		.where('workspace_id', '=', workspaceId)
		.where('deleted_at', 'is', null)
		.executeTakeFirst();
	return Number(row?.n ?? 0);
}

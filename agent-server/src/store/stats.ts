// What the numbers view reads: conversations started, the timeline entries that count, failed deliveries; by UTC day
// and agent, within a period (ISO times, `to` excluded).
import { sql } from 'kysely';
import type { Queryable } from './schema';

export interface Period {
	workspaceId: string;
	from: string;
	to: string;
	agentId?: string;
}

export interface DayCount {
	day: string;
	agentId: string | null;
	n: number;
}

export interface StatsEntry {
	id: string;
	at: string;
	kind: string;
	detail: string;
	agentId: string;
	conversationId: string;
}

/** The timeline kinds the numbers count; results of fired actions are read with `roundTripResults`. */
export const COUNTED_KINDS = ['action.fired', 'fields.updated', 'engine.fallback', 'handoff', 'conversation.ended'] as const;

const day = (column: string) => sql<string>`substr(${sql.ref(column)}, 1, 10)`;

export async function conversationsStarted(db: Queryable, p: Period): Promise<DayCount[]> {
	let q = db
		.selectFrom('conversations')
		.select([day('created_at').as('day'), 'agent_id', (eb) => eb.fn.countAll<number>().as('n')])
		.where('workspace_id', '=', p.workspaceId)
		.where('created_at', '>=', p.from)
		.where('created_at', '<', p.to);
	if (p.agentId) q = q.where('agent_id', '=', p.agentId);
	const rows = await q.groupBy([day('created_at'), 'agent_id']).execute();
	return rows.map((r) => ({ day: r.day, agentId: r.agent_id, n: Number(r.n) }));
}

/** Rows read per query: the numbers are summed page by page, so memory does not grow with the period's activity. */
export const STATS_PAGE_ROWS = 5000;

/** The counted timeline entries of the period, oldest first, a page at a time. */
export async function* countedEntries(db: Queryable, p: Period, pageRows = STATS_PAGE_ROWS): AsyncGenerator<StatsEntry[]> {
	let after: { at: string; id: string } | undefined;
	for (;;) {
		let q = db
			.selectFrom('timeline')
			.innerJoin('conversations', 'conversations.id', 'timeline.conversation_id')
			.select(['timeline.id as id', 'timeline.at as at', 'timeline.kind as kind', 'timeline.detail as detail', 'conversations.agent_id as agentId', 'timeline.conversation_id as conversationId'])
			.where('timeline.workspace_id', '=', p.workspaceId)
			.where('timeline.at', '>=', p.from)
			.where('timeline.at', '<', p.to)
			.where('timeline.kind', 'in', [...COUNTED_KINDS]);
		if (p.agentId) q = q.where('conversations.agent_id', '=', p.agentId);
		if (after) {
			const { at, id } = after;
			q = q.where((eb) => eb.or([eb('timeline.at', '>', at), eb.and([eb('timeline.at', '=', at), eb('timeline.id', '>', id)])]));
		}
		const page = await q.orderBy('timeline.at').orderBy('timeline.id').limit(pageRows).execute();
		if (page.length) yield page;
		if (page.length < pageRows) return;
		const last = page[page.length - 1];
		after = { at: last.at, id: last.id };
	}
}

/**
 * What workflows wrote back with an event as causation (fields, replies) in the conversations where an action fired
 * during the period, up to now (a result may come after the period's end), oldest first, a page at a time.
 */
export async function* roundTripResults(db: Queryable, p: Period, pageRows = STATS_PAGE_ROWS): AsyncGenerator<{ id: string; at: string; detail: string }[]> {
	const fired = db
		.selectFrom('timeline')
		.select('conversation_id')
		.where('workspace_id', '=', p.workspaceId)
		.where('kind', '=', 'action.fired')
		.where('at', '>=', p.from)
		.where('at', '<', p.to);
	let after: { at: string; id: string } | undefined;
	for (;;) {
		let q = db
			.selectFrom('timeline')
			.select(['id', 'at', 'detail'])
			.where('workspace_id', '=', p.workspaceId)
			.where('conversation_id', 'in', fired)
			.where('kind', 'in', ['fields.updated', 'workflow.reply'])
			.where('at', '>=', p.from)
			.where('detail', 'like', '%"causationEventId"%');
		if (after) {
			const { at, id } = after;
			q = q.where((eb) => eb.or([eb('at', '>', at), eb.and([eb('at', '=', at), eb('id', '>', id)])]));
		}
		const page = await q.orderBy('at').orderBy('id').limit(pageRows).execute();
		if (page.length) yield page;
		if (page.length < pageRows) return;
		const last = page[page.length - 1];
		after = { at: last.at, id: last.id };
	}
}

/** Deliveries that are failed now (their retries exhausted), by the day they failed and the agent of their conversation. */
export async function deliveryFailures(db: Queryable, p: Period): Promise<DayCount[]> {
	let q = db
		.selectFrom('deliveries')
		.innerJoin('events', 'events.id', 'deliveries.event_id')
		.leftJoin('conversations', 'conversations.id', 'events.conversation_id')
		.select([day('deliveries.updated_at').as('day'), 'conversations.agent_id as agentId', (eb) => eb.fn.countAll<number>().as('n')])
		.where('deliveries.workspace_id', '=', p.workspaceId)
		.where('deliveries.status', '=', 'failed')
		.where('deliveries.updated_at', '>=', p.from)
		.where('deliveries.updated_at', '<', p.to);
	if (p.agentId) q = q.where('conversations.agent_id', '=', p.agentId);
	const rows = await q.groupBy([day('deliveries.updated_at'), 'conversations.agent_id']).execute();
	return rows.map((r) => ({ day: r.day, agentId: r.agentId ?? null, n: Number(r.n) }));
}

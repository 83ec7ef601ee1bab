// What /metrics reads from the database at scrape time: counts by status or type, overall and per workspace.
import type { Queryable } from './schema';

export type Count = { key: string | null; n: number | string | bigint };

export function conversationsByStatus(db: Queryable): Promise<Count[]> {
	return db.selectFrom('conversations').select(['status as key', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
}

export function eventsByType(db: Queryable): Promise<Count[]> {
	return db.selectFrom('events').select(['type as key', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('type').execute();
}

export function deliveriesByStatus(db: Queryable): Promise<Count[]> {
	return db.selectFrom('deliveries').select(['status as key', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
}

/** Pending deliveries by why their next attempt is due when it is. */
export function pendingDeliveriesByReason(db: Queryable): Promise<Count[]> {
	return db
		.selectFrom('deliveries')
		.select(['next_attempt_reason as key', (eb) => eb.fn.countAll<number>().as('n')])
		.where('status', '=', 'pending')
		.groupBy('next_attempt_reason')
		.execute();
}

export async function probedDestinations(db: Queryable): Promise<number> {
	const row = await db
		.selectFrom('subscriptions')
		.select((eb) => eb.fn.countAll<number>().as('n'))
		.where('probe_at', 'is not', null)
		.where('deleted_at', 'is', null)
		.executeTakeFirst();
	return Number(row?.n ?? 0);
}

export async function totalModelCalls(db: Queryable): Promise<number> {
	const row = await db.selectFrom('conversations').select((eb) => eb.fn.sum<number>('model_calls').as('n')).executeTakeFirst();
	return Number(row?.n ?? 0);
}

/** Rows of a table counted by workspace and one column (status or type). */
export function countByWorkspace(
	db: Queryable,
	table: 'conversations' | 'events' | 'deliveries',
	column: 'status' | 'type',
): Promise<{ workspace: string; key: string | null; n: number | string | bigint }[]> {
	return db
		.selectFrom(table)
		.select(['workspace_id as workspace', `${column} as key`, (eb) => eb.fn.countAll<number>().as('n')])
		.groupBy(['workspace_id', column])
		.execute() as Promise<{ workspace: string; key: string | null; n: number | string | bigint }[]>;
}

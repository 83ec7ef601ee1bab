// Read-for-update: PostgreSQL locks the row until the transaction ends; SQLite has one writer at a time already.
import { PostgresAdapter, type SelectQueryBuilder } from 'kysely';
import type { Database, Queryable } from './schema';

export function isPostgres(db: Queryable): boolean {
	return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Adds `FOR UPDATE` on PostgreSQL, so a read-modify-write inside a transaction sees every committed change. */
export function forUpdate<T extends keyof Database, O>(db: Queryable, query: SelectQueryBuilder<Database, T, O>): SelectQueryBuilder<Database, T, O> {
	return isPostgres(db) ? query.forUpdate() : query;
}

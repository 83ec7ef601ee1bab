// Idempotency-Key claims and the replies stored for them, per (workspace, key).
import type { IdempotencyKeyRow, Queryable } from './schema';

/** Drops the workspace's stored replies older than `before`. */
export async function forgetIdempotencyKeys(db: Queryable, workspaceId: string, before: string): Promise<void> {
	await db.deleteFrom('idempotency_keys').where('workspace_id', '=', workspaceId).where('created_at', '<', before).execute();
}

/** Claims a key no request used yet; false when it exists. */
export async function claimIdempotencyKey(
	db: Queryable,
	claim: { workspaceId: string; key: string; route: string; requestHash: string; lockedUntil: string; at: string },
): Promise<boolean> {
	const inserted = await db
		.insertInto('idempotency_keys')
		.values({
			workspace_id: claim.workspaceId,
			key: claim.key,
			route: claim.route,
			request_hash: claim.requestHash,
			status_code: null,
			response_body: null,
			locked_until: claim.lockedUntil,
			created_at: claim.at,
		})
		.onConflict((oc) => oc.columns(['workspace_id', 'key']).doNothing())
		.executeTakeFirst();
	return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function getIdempotencyKey(db: Queryable, workspaceId: string, key: string): Promise<IdempotencyKeyRow | undefined> {
	return db.selectFrom('idempotency_keys').selectAll().where('workspace_id', '=', workspaceId).where('key', '=', key).executeTakeFirst();
}

/** Takes over the claim of a request that died before answering, unless another retry just did. */
export async function takeOverIdempotencyKey(db: Queryable, workspaceId: string, key: string, previousLock: string, lockedUntil: string): Promise<boolean> {
	const taken = await db
		.updateTable('idempotency_keys')
		.set({ locked_until: lockedUntil })
		.where('workspace_id', '=', workspaceId)
		.where('key', '=', key)
		.where('locked_until', '=', previousLock)
		.where('status_code', 'is', null)
		.executeTakeFirst();
	return Number(taken.numUpdatedRows) === 1;
}

type Claim = { workspaceId: string; key: string; lockedUntil: string };
const mine = (c: Claim) => ({ workspace_id: c.workspaceId, key: c.key, locked_until: c.lockedUntil });

/** Stores the reply of the claim's request (only while the claim is still this request's). */
export async function storeIdempotentReply(db: Queryable, claim: Claim, statusCode: number, body: string): Promise<void> {
	await db
		.updateTable('idempotency_keys')
		.set({ status_code: statusCode, response_body: body })
		.where((eb) => eb.and(mine(claim)))
		.execute();
}

export async function releaseIdempotencyKey(db: Queryable, claim: Claim): Promise<void> {
	await db.deleteFrom('idempotency_keys').where((eb) => eb.and(mine(claim))).execute();
}

// A workspace's API keys as its admins see them: never the key, only its prefix, name, scopes and state.
import { nowIso } from '../util/ids';
import type { Queryable } from './schema';
import { hashApiKey, type ApiKeyScope } from './workspaces';

export interface ApiKeyInfo {
	id: string;
	name: string;
	prefix: string;
	scopes: ApiKeyScope[];
	createdAt: string;
	revokedAt: string | null;
}

const columns = ['id', 'name', 'prefix', 'scopes', 'created_at', 'revoked_at'] as const;

function toInfo(row: { id: string; name: string; prefix: string; scopes: string; created_at: string; revoked_at: string | null }): ApiKeyInfo {
	return { id: row.id, name: row.name, prefix: row.prefix, scopes: row.scopes.split(',').filter(Boolean) as ApiKeyScope[], createdAt: row.created_at, revokedAt: row.revoked_at };
}

export async function listApiKeys(db: Queryable, workspaceId: string): Promise<ApiKeyInfo[]> {
	return (await db.selectFrom('api_keys').select(columns).where('workspace_id', '=', workspaceId).orderBy('id').execute()).map(toInfo);
}

export async function getApiKey(db: Queryable, workspaceId: string, id: string): Promise<ApiKeyInfo | undefined> {
	const row = await db.selectFrom('api_keys').select(columns).where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
	return row ? toInfo(row) : undefined;
}

/** Active (not revoked) keys of the workspace, for the per-workspace limit and the last-admin check. */
export async function activeApiKeys(db: Queryable, workspaceId: string): Promise<ApiKeyInfo[]> {
	return (await db.selectFrom('api_keys').select(columns).where('workspace_id', '=', workspaceId).where('revoked_at', 'is', null).execute()).map(toInfo);
}

/** Replaces an active key's secret; the old secret stops working at once. False when no such active key. */
export async function replaceApiKeySecret(db: Queryable, workspaceId: string, id: string, key: string): Promise<boolean> {
	const res = await db
		.updateTable('api_keys')
		.set({ key_hash: hashApiKey(key), prefix: key.slice(0, 7) })
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', id)
		.where('revoked_at', 'is', null)
		.executeTakeFirst();
	return Number(res.numUpdatedRows) === 1;
}

export async function revokeApiKey(db: Queryable, workspaceId: string, id: string): Promise<boolean> {
	const res = await db
		.updateTable('api_keys')
		.set({ revoked_at: nowIso() })
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', id)
		.where('revoked_at', 'is', null)
		.executeTakeFirst();
	return Number(res.numUpdatedRows) === 1;
}

// API keys of a workspace: created with scopes and shown once, rotated, revoked; only hashes are stored.
import type { AppContext } from '../context';
import { API_KEYS_PER_WORKSPACE } from '../limits';
import { activeApiKeys, getApiKey, listApiKeys, replaceApiKeySecret, revokeApiKey, type ApiKeyInfo } from '../store/api-keys';
import { addApiKey, generateApiKey, lockWorkspace, type ApiKeyScope } from '../store/workspaces';
import { HttpError, notFound } from '../util/http-error';

/** What a create or rotate answers: the key itself appears here and nowhere else, ever. */
export type ApiKeyWithSecret = ApiKeyInfo & { key: string };

export const listKeys = (ctx: AppContext, workspaceId: string) => listApiKeys(ctx.store.db, workspaceId);

export async function createKey(ctx: AppContext, workspaceId: string, input: { name: string; scopes: ApiKeyScope[] }): Promise<ApiKeyWithSecret> {
	const key = generateApiKey();
	const id = await ctx.store.db.transaction().execute(async (trx) => {
		await lockWorkspace(trx, workspaceId);
		if ((await activeApiKeys(trx, workspaceId)).length >= API_KEYS_PER_WORKSPACE) {
			throw new HttpError(409, `a workspace has at most ${API_KEYS_PER_WORKSPACE} active API keys; revoke one first`);
		}
		return addApiKey(trx, workspaceId, key, input.name, [...new Set(input.scopes)]);
	});
	return { ...(await getApiKey(ctx.store.db, workspaceId, id))!, key };
}

export async function rotateKey(ctx: AppContext, workspaceId: string, id: string): Promise<ApiKeyWithSecret> {
	const key = generateApiKey();
	if (!(await replaceApiKeySecret(ctx.store.db, workspaceId, id, key))) throw notFound('active API key', id);
	return { ...(await getApiKey(ctx.store.db, workspaceId, id))!, key };
}

/** Revokes a key; the last active admin key cannot go, or nobody could manage the workspace's keys again. */
export async function revokeKey(ctx: AppContext, workspaceId: string, id: string): Promise<void> {
	await ctx.store.db.transaction().execute(async (trx) => {
		await lockWorkspace(trx, workspaceId);
		const active = await activeApiKeys(trx, workspaceId);
		const target = active.find((k) => k.id === id);
		if (!target) throw notFound('active API key', id);
		const admins = active.filter((k) => k.scopes.includes('admin'));
		if (target.scopes.includes('admin') && admins.length === 1) {
			throw new HttpError(409, 'this is the last active admin key of the workspace; create another admin key before revoking it');
		}
		await revokeApiKey(trx, workspaceId, id);
	});
}

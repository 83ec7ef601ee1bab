// Console logins: a random token in the browser's cookie, only its SHA-256 hash here. A session lasts until it
// expires, its person logs out, or its API key is revoked.
import { createHash, randomBytes } from 'node:crypto';
import { newId, nowIso } from '../util/ids';
import type { Queryable } from './schema';
import type { ApiKeyScope } from './workspaces';

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export interface ConsoleSession {
	id: string;
	workspaceId: string;
	workspaceName: string;
	userName: string;
	scopes: ApiKeyScope[];
	expiresAt: string;
}

/** Creates a session and returns the token for the cookie; expired sessions of the workspace go, and past `max` the oldest. */
export async function createConsoleSession(
	db: Queryable,
	input: { workspaceId: string; apiKeyId: string; userName: string; expiresAt: string },
	max: number,
): Promise<{ id: string; token: string }> {
	const token = `cs_${randomBytes(32).toString('base64url')}`;
	const id = newId('cs');
	await db.deleteFrom('console_sessions').where('workspace_id', '=', input.workspaceId).where('expires_at', '<=', nowIso()).execute();
	const kept = await db
		.selectFrom('console_sessions')
		.select('id')
		.where('workspace_id', '=', input.workspaceId)
		.orderBy('created_at', 'desc')
		.orderBy('id', 'desc')
		.limit(Math.max(0, max - 1))
		.execute();
	await db
		.deleteFrom('console_sessions')
		.where('workspace_id', '=', input.workspaceId)
		.$if(kept.length > 0, (q) => q.where('id', 'not in', kept.map((k) => k.id)))
		.execute();
	await db
		.insertInto('console_sessions')
		.values({
			id,
			workspace_id: input.workspaceId,
			api_key_id: input.apiKeyId,
			token_hash: hashToken(token),
			user_name: input.userName,
			created_at: nowIso(),
			expires_at: input.expiresAt,
		})
		.execute();
	return { id, token };
}

/** The live session of a token (not expired, its key not revoked), with the key's scopes. */
export async function findConsoleSession(db: Queryable, token: string): Promise<ConsoleSession | undefined> {
	const row = await db
		.selectFrom('console_sessions')
		.innerJoin('api_keys', 'api_keys.id', 'console_sessions.api_key_id')
		.innerJoin('workspaces', 'workspaces.id', 'console_sessions.workspace_id')
		.select([
			'console_sessions.id as id',
			'console_sessions.workspace_id as workspaceId',
			'workspaces.name as workspaceName',
			'console_sessions.user_name as userName',
			'console_sessions.expires_at as expiresAt',
			'api_keys.scopes as scopes',
		])
		.where('console_sessions.token_hash', '=', hashToken(token))
		.where('console_sessions.expires_at', '>', nowIso())
		.where('api_keys.revoked_at', 'is', null)
		.executeTakeFirst();
	return row ? { ...row, scopes: row.scopes.split(',').filter(Boolean) as ApiKeyScope[] } : undefined;
}

export async function deleteConsoleSession(db: Queryable, token: string): Promise<void> {
	await db.deleteFrom('console_sessions').where('token_hash', '=', hashToken(token)).execute();
}

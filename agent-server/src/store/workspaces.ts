// Workspaces (tenants) and their API keys. Keys are stored as SHA-256 hashes; only a short prefix is kept readable.
import { createHash, randomBytes } from 'node:crypto';
import { newId, nowIso } from '../util/ids';
import type { Queryable } from './schema';

export interface Workspace {
	id: string;
	name: string;
}

export function hashApiKey(key: string): string {
	return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateApiKey(): string {
	return `ab_${randomBytes(32).toString('base64url')}`;
}

export async function createWorkspace(db: Queryable, name: string): Promise<Workspace> {
	const id = newId('ws');
	await db.insertInto('workspaces').values({ id, workspace_id: id, name, created_at: nowIso() }).execute();
	return { id, name };
}

export const API_KEY_SCOPES = ['nodes', 'inspector', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export async function addApiKey(db: Queryable, workspaceId: string, key: string, name = 'default', scopes: readonly ApiKeyScope[] = ['admin']): Promise<string> {
	const id = newId('key');
	await db
		.insertInto('api_keys')
		.values({
			id,
			workspace_id: workspaceId,
			key_hash: hashApiKey(key),
			prefix: key.slice(0, 7),
			name,
			scopes: scopes.join(','),
			revoked_at: null,
			created_at: nowIso(),
		})
		.execute();
	return id;
}

export interface AuthenticatedKey extends Workspace {
	keyId: string;
	scopes: ApiKeyScope[];
}

/** The workspace and scopes of a key that is not revoked. */
export async function findWorkspaceByApiKey(db: Queryable, key: string): Promise<AuthenticatedKey | undefined> {
	const row = await db
		.selectFrom('api_keys')
		.innerJoin('workspaces', 'workspaces.id', 'api_keys.workspace_id')
		.select(['workspaces.id as id', 'workspaces.name as name', 'api_keys.id as keyId', 'api_keys.scopes as scopes'])
		.where('api_keys.key_hash', '=', hashApiKey(key))
		.where('api_keys.revoked_at', 'is', null)
		.executeTakeFirst();
	return row ? { ...row, scopes: row.scopes.split(',').filter(Boolean) as ApiKeyScope[] } : undefined;
}

/**
 * Serialises writers of one workspace until the transaction ends (a row lock on PostgreSQL, the write lock on
 * SQLite), so a count-then-insert under a per-workspace limit cannot be overrun by concurrent requests.
 */
export async function lockWorkspace(trx: Queryable, workspaceId: string): Promise<void> {
	await trx.updateTable('workspaces').set((eb) => ({ name: eb.ref('name') })).where('id', '=', workspaceId).execute();
}

export async function getWorkspace(db: Queryable, id: string): Promise<Workspace | undefined> {
	return db.selectFrom('workspaces').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
}

export async function listWorkspaces(db: Queryable): Promise<Workspace[]> {
	return db.selectFrom('workspaces').select(['id', 'name']).orderBy('id').execute();
}

/** Workspaces with exactly this name (names must be unique for agent folders to name one; see docs/agents.md). */
export async function workspacesNamed(db: Queryable, name: string): Promise<Workspace[]> {
	return db.selectFrom('workspaces').select(['id', 'name']).where('name', '=', name).orderBy('id').execute();
}

export interface BootstrapResult {
	workspace: Workspace;
	/** Set only when a key was generated here: the caller shows it once. */
	generatedKey?: string;
	/** True when the given key was unknown and has been added to the first workspace. */
	addedGivenKey?: boolean;
}

/**
 * First start: an empty database gets a workspace and a key (the given one, or a generated one).
 * A given key that the database does not know yet is added to the oldest workspace, so scripts can
 * rely on a known key against an existing database.
 */
export async function bootstrap(db: Queryable, givenKey?: string): Promise<BootstrapResult> {
	return db.transaction().execute(async (trx) => {
		const first = await trx.selectFrom('workspaces').select(['id', 'name']).orderBy('id').limit(1).executeTakeFirst();
		if (!first) {
			const workspace = await createWorkspace(trx, 'Default workspace');
			const key = givenKey ?? generateApiKey();
			await addApiKey(trx, workspace.id, key, givenKey ? 'configured' : 'bootstrap');
			return { workspace, ...(givenKey ? {} : { generatedKey: key }) };
		}
		// A revoked configured key stays revoked: only a key the database has never seen is added.
		const known = givenKey ? await trx.selectFrom('api_keys').select('id').where('key_hash', '=', hashApiKey(givenKey)).executeTakeFirst() : undefined;
		if (givenKey && !known) {
			await addApiKey(trx, first.id, givenKey, 'configured');
			return { workspace: first, addedGivenKey: true };
		}
		return { workspace: first };
	});
}

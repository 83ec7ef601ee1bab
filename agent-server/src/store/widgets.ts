// Widget keys and widget sessions. A widget key is publishable (it sits in the page source), so it is stored as
// written and shown again in the list; what limits it is its allowed origins and the routes it opens. A session
// token is a bearer secret for one conversation, so only its hash is kept.
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from './schema';
import { newId, nowIso } from '../util/ids';
import { parseJson, toJson } from '../util/json';

export interface WidgetKey {
	id: string;
	key: string;
	name: string;
	allowedOrigins: string[];
	createdAt: string;
}

export interface WidgetKeyWithWorkspace extends WidgetKey {
	workspaceId: string;
}

export interface WidgetSession {
	id: string;
	workspaceId: string;
	widgetKeyId: string;
	agentId: string;
	contactId: string;
	conversationId: string;
}

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export async function createWidgetKey(db: Queryable, workspaceId: string, input: { name?: string; allowedOrigins: string[] }): Promise<WidgetKey> {
	const row = {
		id: newId('wk'),
		workspace_id: workspaceId,
		public_key: `pk_${randomBytes(18).toString('base64url')}`,
		name: input.name ?? 'web widget',
		allowed_origins: toJson(input.allowedOrigins),
		created_at: nowIso(),
		deleted_at: null,
	};
	await db.insertInto('widget_keys').values(row).execute();
	return { id: row.id, key: row.public_key, name: row.name, allowedOrigins: input.allowedOrigins, createdAt: row.created_at };
}

type KeyRow = { id: string; workspace_id: string; public_key: string; name: string; allowed_origins: string; created_at: string };
const keyFromRow = (r: KeyRow): WidgetKeyWithWorkspace => ({
	id: r.id,
	workspaceId: r.workspace_id,
	key: r.public_key,
	name: r.name,
	allowedOrigins: parseJson<string[]>(r.allowed_origins, []),
	createdAt: r.created_at,
});

export async function listWidgetKeys(db: Queryable, workspaceId: string): Promise<WidgetKey[]> {
	const rows = await db
		.selectFrom('widget_keys')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('deleted_at', 'is', null)
		.orderBy('id')
		.execute();
	return rows.map((r) => {
		const { workspaceId: _ws, ...key } = keyFromRow(r);
		return key;
	});
}

/** Deleting a key ends its sessions too: they are looked up through a live key. */
export async function deleteWidgetKey(db: Queryable, workspaceId: string, id: string): Promise<boolean> {
	const result = await db
		.updateTable('widget_keys')
		.set({ deleted_at: nowIso() })
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', id)
		.where('deleted_at', 'is', null)
		.executeTakeFirst();
	return Number(result.numUpdatedRows) === 1;
}

/** Sets a live key's name and/or origins (as given, not merged with the stored list); undefined for no such key. */
export async function updateWidgetKey(db: Queryable, workspaceId: string, id: string, changes: { name?: string; allowedOrigins?: string[] }): Promise<WidgetKey | undefined> {
	const set = { ...(changes.name !== undefined ? { name: changes.name } : {}), ...(changes.allowedOrigins ? { allowed_origins: toJson(changes.allowedOrigins) } : {}) };
	if (Object.keys(set).length) {
		await db.updateTable('widget_keys').set(set).where('workspace_id', '=', workspaceId).where('id', '=', id).where('deleted_at', 'is', null).execute();
	}
	const row = await db.selectFrom('widget_keys').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
	if (!row) return undefined;
	const { workspaceId: _ws, ...key } = keyFromRow(row);
	return key;
}

export async function findWidgetKey(db: Queryable, publicKey: string): Promise<WidgetKeyWithWorkspace | undefined> {
	const row = await db.selectFrom('widget_keys').selectAll().where('public_key', '=', publicKey).where('deleted_at', 'is', null).executeTakeFirst();
	return row ? keyFromRow(row) : undefined;
}

/** Returns the new session and the token the browser keeps (shown only here). */
export async function createWidgetSession(
	db: Queryable,
	init: Omit<WidgetSession, 'id'>,
): Promise<{ session: WidgetSession; token: string }> {
	const token = `ws_${randomBytes(24).toString('base64url')}`;
	const at = nowIso();
	const id = newId('wsn');
	await db
		.insertInto('widget_sessions')
		.values({
			id,
			workspace_id: init.workspaceId,
			widget_key_id: init.widgetKeyId,
			agent_id: init.agentId,
			contact_id: init.contactId,
			conversation_id: init.conversationId,
			token_hash: hashToken(token),
			created_at: at,
			last_seen_at: at,
		})
		.execute();
	return { session: { id, ...init }, token };
}

/** Sessions this widget key opened since `since` (ISO time). */
export async function countWidgetSessionsSince(db: Queryable, widgetKeyId: string, since: string): Promise<number> {
	const row = await db
		.selectFrom('widget_sessions')
		.select((eb) => eb.fn.countAll<number>().as('n'))
		.where('widget_key_id', '=', widgetKeyId)
		.where('created_at', '>=', since)
		.executeTakeFirst();
	return Number(row?.n ?? 0);
}

/**
 * The session of this token under this key, or undefined (unknown token, a token of another key, or a session whose
 * visitor last wrote before `lastSeenSince`: it has expired).
 */
export async function findWidgetSession(db: Queryable, widgetKeyId: string, token: string, lastSeenSince = ''): Promise<WidgetSession | undefined> {
	const row = await db
		.selectFrom('widget_sessions')
		.selectAll()
		.where('token_hash', '=', hashToken(token))
		.where('widget_key_id', '=', widgetKeyId)
		.where('last_seen_at', '>=', lastSeenSince)
		.executeTakeFirst();
	if (!row) return undefined;
	return {
		id: row.id,
		workspaceId: row.workspace_id,
		widgetKeyId: row.widget_key_id,
		agentId: row.agent_id,
		contactId: row.contact_id,
		conversationId: row.conversation_id,
	};
}

/** Points the session at a conversation (a new one once the previous one ended). */
export async function touchWidgetSession(db: Queryable, id: string, conversationId: string): Promise<void> {
	await db.updateTable('widget_sessions').set({ conversation_id: conversationId, last_seen_at: nowIso() }).where('id', '=', id).execute();
}

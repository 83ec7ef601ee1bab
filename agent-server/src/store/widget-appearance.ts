// A widget key's appearance: one row per key, written as changes applied to the row read in the same transaction.
import { nowIso } from '../util/ids';
import { parseJson, toJson } from '../util/json';
import { forUpdate } from './row-lock';
import type { Queryable } from './schema';

/** What is stored; a null or missing setting means the widget's default. */
export interface StoredAppearance {
	settings: Record<string, unknown>;
	avatar: { type: string; data: string; hash: string } | null;
	updatedAt: string | null;
}

const EMPTY: StoredAppearance = { settings: {}, avatar: null, updatedAt: null };

type Row = { settings: string; avatar_type: string | null; avatar_data: string | null; avatar_hash: string | null; updated_at: string };

function fromRow(row: Row | undefined): StoredAppearance {
	if (!row) return EMPTY;
	const avatar = row.avatar_type && row.avatar_data && row.avatar_hash ? { type: row.avatar_type, data: row.avatar_data, hash: row.avatar_hash } : null;
	return { settings: parseJson<Record<string, unknown>>(row.settings, {}), avatar, updatedAt: row.updated_at };
}

/** The appearance of a live key of this workspace; undefined when there is no such key. */
export async function getWidgetAppearance(db: Queryable, workspaceId: string, widgetKeyId: string): Promise<StoredAppearance | undefined> {
	const key = await db.selectFrom('widget_keys').select('id').where('workspace_id', '=', workspaceId).where('id', '=', widgetKeyId).where('deleted_at', 'is', null).executeTakeFirst();
	if (!key) return undefined;
	return appearanceOfKey(db, widgetKeyId);
}

/** The appearance of a key already resolved (the public widget routes). */
export async function appearanceOfKey(db: Queryable, widgetKeyId: string): Promise<StoredAppearance> {
	const row = await db.selectFrom('widget_appearances').selectAll().where('widget_key_id', '=', widgetKeyId).executeTakeFirst();
	return fromRow(row);
}

export interface AppearanceChange {
	/** Settings to set (null clears one back to the default); settings not named stay as stored. */
	set: Record<string, unknown>;
	/** undefined: keep the stored avatar; null: remove it. */
	avatar?: { type: string; data: string; hash: string } | null;
}

/**
 * Applies `change` to the appearance as stored now, inside the caller's transaction; `check` sees the result before
 * it is written (and may throw to refuse it). The key's row is locked first, so concurrent writers of a key that has
 * no appearance row yet queue instead of racing to insert it. Undefined when the key does not exist.
 */
export async function changeWidgetAppearance(
	trx: Queryable,
	workspaceId: string,
	widgetKeyId: string,
	change: AppearanceChange,
	check: (next: StoredAppearance) => void,
): Promise<StoredAppearance | undefined> {
	const key = await forUpdate(
		trx,
		trx.selectFrom('widget_keys').select('id').where('workspace_id', '=', workspaceId).where('id', '=', widgetKeyId).where('deleted_at', 'is', null),
	).executeTakeFirst();
	if (!key) return undefined;
	const current = await appearanceOfKey(trx, widgetKeyId);
	const settings = { ...current.settings };
	for (const [name, value] of Object.entries(change.set)) {
		if (value === null) delete settings[name];
		else settings[name] = value;
	}
	const next: StoredAppearance = { settings, avatar: change.avatar === undefined ? current.avatar : change.avatar, updatedAt: nowIso() };
	check(next);
	const values = {
		settings: toJson(next.settings),
		avatar_type: next.avatar?.type ?? null,
		avatar_data: next.avatar?.data ?? null,
		avatar_hash: next.avatar?.hash ?? null,
		updated_at: next.updatedAt as string,
	};
	if (current.updatedAt === null) {
		await trx.insertInto('widget_appearances').values({ widget_key_id: widgetKeyId, workspace_id: workspaceId, ...values }).execute();
	} else {
		await trx.updateTable('widget_appearances').set(values).where('widget_key_id', '=', widgetKeyId).execute();
	}
	return next;
}

import type { ContactSnapshot, CustomFieldValue } from '../engine/types';
import { newId, nowIso } from '../util/ids';
import { parseJson, toJson } from '../util/json';
import { forUpdate } from './row-lock';
import type { ContactRow, Queryable } from './schema';

export interface Contact extends ContactSnapshot {
	createdAt: string;
	updatedAt: string;
	/** Field ref (`custom_field.x`, `contact.email`) -> when it was last written. */
	writtenAt: Record<string, string>;
}

const STANDARD_REFS: Record<StandardField, string> = {
	firstName: 'contact.first_name',
	lastName: 'contact.last_name',
	email: 'contact.email',
	phone: 'contact.phone',
};

export type StandardField = 'firstName' | 'lastName' | 'email' | 'phone';

export interface ContactChanges {
	standard?: Partial<Record<StandardField, string | null>>;
	/** Merged into the stored custom fields; null removes a field. */
	custom?: Record<string, CustomFieldValue>;
}

export function contactFromRow(row: ContactRow): Contact {
	return {
		id: row.id,
		firstName: row.first_name,
		lastName: row.last_name,
		email: row.email,
		phone: row.phone,
		customFields: parseJson<Record<string, CustomFieldValue>>(row.custom_fields, {}),
		tags: parseJson<string[]>(row.tags, []),
		createdAt: row.created_at,
		updatedAt: row.updated_at,
		writtenAt: parseJson<Record<string, string>>(row.field_writes ?? '{}', {}),
	};
}

export function snapshot(contact: Contact): ContactSnapshot {
	const { createdAt: _c, updatedAt: _u, writtenAt: _w, ...rest } = contact;
	return rest;
}

export async function getContact(db: Queryable, workspaceId: string, id: string): Promise<Contact | undefined> {
	const row = await db
		.selectFrom('contacts')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', id)
		.executeTakeFirst();
	return row ? contactFromRow(row) : undefined;
}

export async function insertContact(
	db: Queryable,
	workspaceId: string,
	init: { id?: string; standard?: Partial<Record<StandardField, string | null>> } = {},
): Promise<Contact> {
	const at = nowIso();
	const row: ContactRow = {
		id: init.id ?? newId('ct'),
		workspace_id: workspaceId,
		first_name: init.standard?.firstName ?? null,
		last_name: init.standard?.lastName ?? null,
		email: init.standard?.email ?? null,
		phone: init.standard?.phone ?? null,
		custom_fields: '{}',
		tags: '[]',
		field_writes: toJson(
			Object.fromEntries(
				Object.entries(init.standard ?? {})
					.filter(([, value]) => value !== undefined && value !== null)
					.map(([key]) => [STANDARD_REFS[key as StandardField], at]),
			),
		),
		created_at: at,
		updated_at: at,
	};
	await db.insertInto('contacts').values(row).execute();
	return contactFromRow(row);
}

/** The contact as stored now, locked for the rest of the caller's transaction (see row-lock.ts). */
export async function lockContact(db: Queryable, workspaceId: string, id: string): Promise<Contact | undefined> {
	const row = await forUpdate(
		db,
		db.selectFrom('contacts').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id),
	).executeTakeFirst();
	return row ? contactFromRow(row) : undefined;
}

/**
 * Applies changes to the contact as stored now (read inside the caller's transaction and locked there), so a
 * concurrent writer's fields are kept; returns the new state, or undefined when the contact does not exist.
 */
export async function updateContact(
	db: Queryable,
	workspaceId: string,
	id: string,
	changes: ContactChanges,
	/** Runs on the locked row before the write (a limit); throwing leaves the contact unchanged. */
	check?: (stored: Contact) => void,
): Promise<Contact | undefined> {
	const stored = await lockContact(db, workspaceId, id);
	if (!stored) return undefined;
	check?.(stored);
	const next: Contact = { ...stored, writtenAt: { ...stored.writtenAt } };
	const at = nowIso();
	for (const [key, value] of Object.entries(changes.standard ?? {})) {
		if (value === undefined) continue;
		next[key as StandardField] = value;
		next.writtenAt[STANDARD_REFS[key as StandardField]] = at;
	}
	for (const [key, value] of Object.entries(changes.custom ?? {})) {
		if (value === null) delete next.customFields[key];
		else next.customFields[key] = value;
		next.writtenAt[`custom_field.${key}`] = at;
	}
	return writeContact(db, workspaceId, next);
}

export function hasContactChanges(changes: ContactChanges | undefined): boolean {
	return Object.keys(changes?.standard ?? {}).length > 0 || Object.keys(changes?.custom ?? {}).length > 0;
}

/** Adds the tags the stored contact lacks; returns the new state and the tags that were added. */
export async function addContactTags(
	db: Queryable,
	workspaceId: string,
	id: string,
	tags: string[],
	check?: (stored: Contact, added: string[]) => void,
): Promise<{ contact: Contact; added: string[] } | undefined> {
	const stored = await lockContact(db, workspaceId, id);
	if (!stored) return undefined;
	const added = [...new Set(tags)].filter((t) => !stored.tags.includes(t));
	if (!added.length) return { contact: stored, added };
	check?.(stored, added);
	return { contact: await writeContact(db, workspaceId, { ...stored, tags: [...stored.tags, ...added] }), added };
}

/** Removes a tag from the stored contact; `removed` is false when it did not have it. */
export async function removeContactTag(db: Queryable, workspaceId: string, id: string, tag: string): Promise<{ contact: Contact; removed: boolean } | undefined> {
	const stored = await lockContact(db, workspaceId, id);
	if (!stored) return undefined;
	if (!stored.tags.includes(tag)) return { contact: stored, removed: false };
	return { contact: await writeContact(db, workspaceId, { ...stored, tags: stored.tags.filter((t) => t !== tag) }), removed: true };
}

async function writeContact(db: Queryable, workspaceId: string, next: Contact): Promise<Contact> {
	next.updatedAt = nowIso();
	await db
		.updateTable('contacts')
		.set({
			first_name: next.firstName,
			last_name: next.lastName,
			email: next.email,
			phone: next.phone,
			custom_fields: toJson(next.customFields),
			tags: toJson(next.tags),
			field_writes: toJson(next.writtenAt),
			updated_at: next.updatedAt,
		})
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', next.id)
		.execute();
	return next;
}

/** Contacts of the workspace with this email and/or phone, newest first (at most 20). */
export async function findContactsBy(db: Queryable, workspaceId: string, query: { email?: string; phone?: string }): Promise<Contact[]> {
	let q = db.selectFrom('contacts').selectAll().where('workspace_id', '=', workspaceId);
	if (query.email !== undefined) q = q.where('email', '=', query.email);
	if (query.phone !== undefined) q = q.where('phone', '=', query.phone);
	const rows = await q.orderBy('id', 'desc').limit(20).execute();
	return rows.map(contactFromRow);
}

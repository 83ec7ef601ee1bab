// Contact identities (a contact's address on a channel: a Telegram chat id, a phone number, an email address) and
// merging two contacts into one.
import { newId, nowIso } from '../util/ids';
import type { Queryable } from './schema';

export interface Identity {
	channel: string;
	address: string;
	createdAt: string;
}

export interface IdentityKey {
	channel: string;
	address: string;
}

export async function listIdentities(db: Queryable, workspaceId: string, contactId: string): Promise<Identity[]> {
	const rows = await db
		.selectFrom('contact_identities')
		.select(['channel', 'address', 'created_at'])
		.where('workspace_id', '=', workspaceId)
		.where('contact_id', '=', contactId)
		.orderBy('created_at')
		.orderBy('id')
		.execute();
	return rows.map((r) => ({ channel: r.channel, address: r.address, createdAt: r.created_at }));
}

/** The contact's first identity on this channel, where a message to it on that channel goes; null when it has none. */
export async function identityOn(db: Queryable, workspaceId: string, contactId: string, channel: string): Promise<IdentityKey | null> {
	const row = await db
		.selectFrom('contact_identities')
		.select(['channel', 'address'])
		.where('workspace_id', '=', workspaceId)
		.where('contact_id', '=', contactId)
		.where('channel', '=', channel)
		.orderBy('created_at')
		.orderBy('id')
		.executeTakeFirst();
	return row ? { channel: row.channel, address: row.address } : null;
}

/** The contact this identity belongs to in the workspace, if any. */
export async function contactIdOfIdentity(db: Queryable, workspaceId: string, identity: IdentityKey): Promise<string | undefined> {
	const row = await db
		.selectFrom('contact_identities')
		.select('contact_id')
		.where('workspace_id', '=', workspaceId)
		.where('channel', '=', identity.channel)
		.where('address', '=', identity.address)
		.executeTakeFirst();
	return row?.contact_id;
}

/**
 * Gives the identity to the contact unless the workspace already has it: the unique index decides between concurrent
 * callers (the loser's insert does nothing). Returns the contact that owns the identity afterwards.
 */
export async function claimIdentity(db: Queryable, workspaceId: string, contactId: string, identity: IdentityKey): Promise<string> {
	await db
		.insertInto('contact_identities')
		.values({ id: newId('idn'), workspace_id: workspaceId, contact_id: contactId, channel: identity.channel, address: identity.address, created_at: nowIso() })
		.onConflict((oc) => oc.columns(['workspace_id', 'channel', 'address']).doNothing())
		.execute();
	return (await contactIdOfIdentity(db, workspaceId, identity))!;
}

export async function countIdentities(db: Queryable, workspaceId: string, contactId: string): Promise<number> {
	const row = await db
		.selectFrom('contact_identities')
		.select((eb) => eb.fn.countAll<string | number>().as('n'))
		.where('workspace_id', '=', workspaceId)
		.where('contact_id', '=', contactId)
		.executeTakeFirst();
	return Number(row?.n ?? 0);
}

/**
 * Moves what belongs to the source contact onto the target (identities, conversations, widget sessions and the
 * contact id of events) and deletes the source row. Run it in a transaction, after merging the fields and tags.
 */
export async function moveContactData(db: Queryable, workspaceId: string, fromContactId: string, toContactId: string): Promise<{ identities: number; conversations: number }> {
	const moved = (r: { numUpdatedRows: bigint } | undefined) => Number(r?.numUpdatedRows ?? 0);
	const identities = moved(
		await db
			.updateTable('contact_identities')
			.set({ contact_id: toContactId })
			.where('workspace_id', '=', workspaceId)
			.where('contact_id', '=', fromContactId)
			.executeTakeFirst(),
	);
	const conversations = moved(
		await db
			.updateTable('conversations')
			.set({ contact_id: toContactId })
			.where('workspace_id', '=', workspaceId)
			.where('contact_id', '=', fromContactId)
			.executeTakeFirst(),
	);
	await db.updateTable('widget_sessions').set({ contact_id: toContactId }).where('workspace_id', '=', workspaceId).where('contact_id', '=', fromContactId).execute();
	await db.updateTable('events').set({ contact_id: toContactId }).where('workspace_id', '=', workspaceId).where('contact_id', '=', fromContactId).execute();
	await db.deleteFrom('contacts').where('workspace_id', '=', workspaceId).where('id', '=', fromContactId).execute();
	return { identities, conversations };
}

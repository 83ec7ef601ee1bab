// What the console's inbox reads: when a handed-off conversation started waiting for a person, contacts found by
// name, email, phone or identity, and a contact's conversations.
import { contactFromRow, type Contact } from './contacts';
import { conversationFromRow, type Conversation } from './conversations';
import { sql } from 'kysely';
import type { Queryable } from './schema';

/**
 * Since when the contact waits for a person: the handoff, unless a person answered since; then the contact's first
 * message after that answer, or null when the person spoke last.
 */
export async function waitingSince(db: Queryable, workspaceId: string, conversation: Conversation): Promise<string | null> {
	const handoff = await db
		.selectFrom('timeline')
		.select('at')
		.where('workspace_id', '=', workspaceId)
		.where('conversation_id', '=', conversation.id)
		.where('kind', '=', 'handoff')
		.orderBy('id', 'desc')
		.limit(1)
		.executeTakeFirst();
	const handedAt = handoff?.at ?? conversation.humanAt ?? conversation.updatedAt;
	const answered = await db
		.selectFrom('messages')
		.select('created_at')
		.where('workspace_id', '=', workspaceId)
		.where('conversation_id', '=', conversation.id)
		.where('role', '=', 'human')
		.where('created_at', '>=', handedAt)
		.orderBy('id', 'desc')
		.limit(1)
		.executeTakeFirst();
	if (!answered) return handedAt;
	const next = await db
		.selectFrom('messages')
		.select('created_at')
		.where('workspace_id', '=', workspaceId)
		.where('conversation_id', '=', conversation.id)
		.where('role', '=', 'contact')
		.where('created_at', '>', answered.created_at)
		.orderBy('id')
		.limit(1)
		.executeTakeFirst();
	return next?.created_at ?? null;
}

/** Any case, on both databases; `%` and `_` in what a person typed are matched as themselves. */
const contains = (column: string, pattern: string) => sql<boolean>`lower(coalesce(${sql.ref(column)}, '')) like ${pattern} escape '\\'`;

const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Contacts whose name, email, phone or a channel identity contains `text` (any case), newest first. */
export async function searchContacts(db: Queryable, workspaceId: string, text: string, limit: number): Promise<Contact[]> {
	const pattern = likePattern(text.trim());
	const rows = await db
		.selectFrom('contacts')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where((eb) =>
			eb.or([
				...['first_name', 'last_name', 'email', 'phone'].map((column) => contains(column, pattern)),
				eb(
					'id',
					'in',
					eb.selectFrom('contact_identities').select('contact_id').where('contact_identities.workspace_id', '=', workspaceId).where(contains('contact_identities.address', pattern)),
				),
			]),
		)
		.orderBy('id', 'desc')
		.limit(limit)
		.execute();
	return rows.map(contactFromRow);
}

/** A contact's conversations, newest first. */
export async function contactConversations(db: Queryable, workspaceId: string, contactId: string, limit: number): Promise<Conversation[]> {
	const rows = await db
		.selectFrom('conversations')
		.selectAll()
		.where('workspace_id', '=', workspaceId)
		.where('contact_id', '=', contactId)
		.orderBy('id', 'desc')
		.limit(limit)
		.execute();
	return rows.map(conversationFromRow);
}

// The console's human inbox: conversations waiting for a person first (with how long they have waited), claiming
// one (one person at a time), internal notes, and the contact panel's search and past conversations.
import type { AppContext } from '../context';
import { CONTACT_SEARCH_MAX_RESULTS, INBOX_MAX_CONVERSATIONS } from '../limits';
import { contactOrThrow, contactView } from '../contacts/service';
import { getContact } from '../store/contacts';
import { addTimeline, claimConversation, lockConversation, type Conversation } from '../store/conversations';
import { contactConversations, searchContacts, waitingSince } from '../store/inbox';
import { recentConversations } from '../store/inspect';
import { notifyLive } from '../store/live-bus';
import { HttpError, notFound } from '../util/http-error';
import { handOff } from './lifecycle';

function contactName(contact: { firstName: string | null; lastName: string | null; email: string | null; phone: string | null } | undefined): string | null {
	if (!contact) return null;
	return [contact.firstName, contact.lastName].filter(Boolean).join(' ') || contact.email || contact.phone || null;
}

async function inboxItem(ctx: AppContext, workspaceId: string, conversation: Conversation, last: { role: string; text: string; createdAt: string } | null) {
	const contact = await getContact(ctx.store.db, workspaceId, conversation.contactId);
	return {
		id: conversation.id,
		agentId: conversation.agentId,
		contactId: conversation.contactId,
		contactName: contactName(contact),
		channel: conversation.channel,
		status: conversation.status,
		assignee: conversation.assignee,
		waitingSince: conversation.status === 'human' ? await waitingSince(ctx.store.db, workspaceId, conversation) : null,
		updatedAt: conversation.updatedAt,
		lastMessage: last,
	};
}

/**
 * `needsHuman`: conversations handled by a person (handed off by the agent, asked for by the contact, a disclosure
 * handoff, or taken over), the longest waiting first and answered ones after; `recent`: open conversations the agent
 * handles, most recent first.
 */
export async function inbox(ctx: AppContext, workspaceId: string, limit = INBOX_MAX_CONVERSATIONS) {
	const human = await recentConversations(ctx.store.db, workspaceId, { status: 'human', limit });
	const needsHuman = await Promise.all(human.map(({ conversation, last }) => inboxItem(ctx, workspaceId, conversation, last)));
	needsHuman.sort((a, b) => (a.waitingSince ?? '\uffff').localeCompare(b.waitingSince ?? '\uffff') || b.updatedAt.localeCompare(a.updatedAt));
	const active = await recentConversations(ctx.store.db, workspaceId, { status: 'active', limit: Math.max(1, limit - needsHuman.length) });
	const recent = await Promise.all(active.map(({ conversation, last }) => inboxItem(ctx, workspaceId, conversation, last)));
	return { needsHuman, recent };
}

/**
 * A person takes the conversation: recorded as its assignee (a second person gets 409 until it is handed back), and
 * handed off from the agent if it was not yet. Claiming again by the same person changes nothing.
 */
export async function claim(ctx: AppContext, workspaceId: string, id: string, assignee: string) {
	const queued = await ctx.store.db.transaction().execute(async (trx) => {
		const conversation = await lockConversation(trx, workspaceId, id);
		if (!conversation) throw notFound('conversation', id);
		if (conversation.status === 'ended') throw new HttpError(409, `conversation ${id} has ended`);
		if (conversation.assignee === assignee) return 0;
		const result = await claimConversation(trx, workspaceId, id, assignee);
		if (!result.claimed) throw new HttpError(409, `conversation ${id} is already claimed by ${result.assignee}`);
		const raised = conversation.status === 'human' ? 0 : await handOff(trx, ctx, workspaceId, id, `claimed by ${assignee}`, 'console');
		await addTimeline(trx, workspaceId, id, 'handoff.claimed', { assignee });
		await notifyLive(trx, { k: 'conversation', w: workspaceId, c: id, change: 'claimed', status: 'human', assignee });
		return raised;
	});
	if (queued > 0) ctx.deliveriesQueued();
	return { id, status: 'human', assignee };
}

/** An internal note: on the conversation's timeline only, never sent to the contact or to workflows. */
export async function addNote(ctx: AppContext, workspaceId: string, id: string, text: string, author: string) {
	return ctx.store.db.transaction().execute(async (trx) => {
		const conversation = await lockConversation(trx, workspaceId, id);
		if (!conversation) throw notFound('conversation', id);
		await addTimeline(trx, workspaceId, id, 'note', { text, author });
		await notifyLive(trx, { k: 'conversation', w: workspaceId, c: id, change: 'note', status: conversation.status });
		return { note: { text, author } };
	});
}

export async function findContactsByText(ctx: AppContext, workspaceId: string, text: string, limit = 20) {
	const contacts = await searchContacts(ctx.store.db, workspaceId, text, Math.min(limit, CONTACT_SEARCH_MAX_RESULTS));
	return contacts.map(contactView);
}

export async function pastConversations(ctx: AppContext, workspaceId: string, contactId: string, limit = 20) {
	await contactOrThrow(ctx.store.db, workspaceId, contactId);
	const conversations = await contactConversations(ctx.store.db, workspaceId, contactId, limit);
	return conversations.map((c) => ({
		id: c.id,
		agentId: c.agentId,
		channel: c.channel,
		status: c.status,
		turns: c.turnCount,
		outcome: c.ending?.outcome ?? null,
		createdAt: c.createdAt,
		updatedAt: c.updatedAt,
	}));
}

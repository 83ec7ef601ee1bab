// Conversation management over the API: the detail view, ending, handoff and release, human replies, the budget.
import type { AppContext } from '../context';
import { resolveCausation } from '../events/publish';
import {
	addTimeline,
	getConversation,
	listMessages,
	listTimeline,
	workspaceModelUse,
	type Conversation,
	type Message,
	type TimelineEntry,
} from '../store/conversations';
import { HttpError, notFound } from '../util/http-error';
import { endConversation, handOff, insertHumanReply, release } from './lifecycle';
import { agentText } from './outbound';
import { recordMessage } from './policies';
import { getContact, snapshot } from '../store/contacts';

/** What the API shows of a conversation: its state (less the engine's bookkeeping), messages and timeline. */
export interface ConversationDetail
	extends Pick<
		Conversation,
		'id' | 'agentId' | 'contactId' | 'channel' | 'status' | 'collected' | 'intent' | 'sentiment' | 'summary' | 'modelCalls' | 'ending' | 'waits' | 'assignee'
	> {
	turns: number;
	messages: Message[];
	timeline: TimelineEntry[];
}

export async function getConversationDetail(ctx: AppContext, workspaceId: string, id: string): Promise<ConversationDetail> {
	const { db } = ctx.store;
	const conversation = await getConversation(db, workspaceId, id);
	if (!conversation) throw notFound('conversation', id);
	return {
		id: conversation.id,
		agentId: conversation.agentId,
		contactId: conversation.contactId,
		channel: conversation.channel,
		status: conversation.status,
		collected: conversation.collected,
		intent: conversation.intent,
		sentiment: conversation.sentiment,
		summary: conversation.summary,
		turns: conversation.turnCount,
		modelCalls: conversation.modelCalls,
		ending: conversation.ending,
		waits: conversation.waits,
		assignee: conversation.assignee,
		messages: await listMessages(db, workspaceId, id),
		timeline: await listTimeline(db, workspaceId, id),
	};
}

async function openConversation(ctx: AppContext, workspaceId: string, id: string): Promise<Conversation> {
	const conversation = await getConversation(ctx.store.db, workspaceId, id);
	if (!conversation) throw notFound('conversation', id);
	if (conversation.status === 'ended') throw new HttpError(409, `conversation ${id} has ended`);
	return conversation;
}

/** Ends a conversation over the API (reason `closed`, or `handoff` while a human handles it). */
export async function endOverApi(
	ctx: AppContext,
	workspaceId: string,
	id: string,
	input: { outcome?: string },
	causationHeader?: string,
): Promise<ConversationDetail> {
	const { db } = ctx.store;
	await openConversation(ctx, workspaceId, id);
	const causation = await resolveCausation(db, workspaceId, causationHeader);
	const by = causationHeader ? 'workflow' : 'api';
	const result = await db.transaction().execute((trx) =>
		endConversation(trx, ctx, workspaceId, id, { reason: 'closed', detail: `ended by ${by}`, by, ...input }, causation),
	);
	if (!result) throw new HttpError(409, `conversation ${id} has ended`);
	if (result.queued > 0) ctx.deliveriesQueued();
	return getConversationDetail(ctx, workspaceId, id);
}

/** A human takes the conversation over; an optional message tells the contact. */
export async function handOffOverApi(ctx: AppContext, workspaceId: string, id: string, input: { reason?: string; message?: string }): Promise<ConversationDetail> {
	const conversation = await openConversation(ctx, workspaceId, id);
	if (conversation.status === 'human') throw new HttpError(409, `a human already handles conversation ${id}`);
	// The notice is said as the agent, so it passes the same merge fields and disclosure guard as every agent text.
	const agent = (await ctx.agentsFor(workspaceId)).get(conversation.agentId);
	const contact = await getContact(ctx.store.db, workspaceId, conversation.contactId);
	const notice = input.message ? agentText(agent, contact ? snapshot(contact) : null, input.message, { collected: conversation.collected, agentId: conversation.agentId }) : undefined;
	const queued = await ctx.store.db.transaction().execute(async (trx) => {
		const raised = await handOff(trx, ctx, workspaceId, id, input.reason ?? 'handed off over the API', 'api');
		if (notice) {
			await recordMessage(trx, workspaceId, id, { role: 'agent', source: 'api', text: notice.text }, {}, { directAnswer: false, ctx });
			if (notice.blocked.length) await addTimeline(trx, workspaceId, id, 'disclosure.blocked', { fields: notice.blocked });
		}
		return raised;
	});
	if (queued > 0) ctx.deliveriesQueued();
	return getConversationDetail(ctx, workspaceId, id);
}

/** The human is done: the bot answers the contact's next message again. */
export async function releaseOverApi(ctx: AppContext, workspaceId: string, id: string): Promise<ConversationDetail> {
	const conversation = await openConversation(ctx, workspaceId, id);
	if (conversation.status !== 'human') throw new HttpError(409, `conversation ${id} is not handled by a human`);
	await ctx.store.db.transaction().execute((trx) => release(trx, workspaceId, id, 'released over the API', 'api'));
	return getConversationDetail(ctx, workspaceId, id);
}

export async function humanReply(ctx: AppContext, workspaceId: string, id: string, input: { text: string; author?: string }): Promise<{ message: Message }> {
	const conversation = await openConversation(ctx, workspaceId, id);
	// A claimed conversation is answered by the person who claimed it.
	if (conversation.assignee && input.author && input.author !== conversation.assignee) {
		throw new HttpError(409, `conversation ${id} is claimed by ${conversation.assignee}`);
	}
	const { message, queued } = await ctx.store.db.transaction().execute((trx) => insertHumanReply(trx, ctx, workspaceId, conversation, input.text, input.author));
	if (queued > 0) ctx.deliveriesQueued();
	return { message };
}

export async function budgetView(ctx: AppContext, workspaceId: string) {
	const use = await workspaceModelUse(ctx.store.db, workspaceId);
	const limit = ctx.conversations?.modelBudgetPerWorkspace ?? null;
	return {
		engine: ctx.engine.kind,
		modelCalls: { used: use.calls, limit, remaining: limit === null ? null : Math.max(0, limit - use.calls) },
		// Every request sent to the provider, retries included: what the provider bills.
		modelRequests: { used: use.requests },
	};
}

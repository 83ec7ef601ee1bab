// A conversation's state changes that emit events or change who speaks: agent tags, handoff and release, human
// replies, and the end (sent once). Each function works inside the caller's transaction.
import type { AgentConfig } from '../engine/agent-config';
import { classifyOutcome } from '../engine/conduct';
import type { EndReason, TranscriptEntry } from '../engine/types';
import type { AppContext } from '../context';
import { buildEnvelope, publishEvent, type Causation, type EnvelopeContext } from '../events/publish';
import { getContact, snapshot, type Contact } from '../store/contacts';
import { recordMessage } from './policies';
import { notifyLive } from '../store/live-bus';
import {
	addTimeline,
	clearAssignee,
	getConversation,
	latestMessages,
	markEnded,
	setStatus,
	toTranscript,
	type Conversation,
	type Ending,
	type Message,
} from '../store/conversations';
import type { Queryable } from '../store/schema';
import { EVENT_TRANSCRIPT_MESSAGES, TURN_TRANSCRIPT_MESSAGES } from '../limits';
import { HttpError, notFound } from '../util/http-error';
import { nowIso } from '../util/ids';

const NO_CAUSE: Causation = { depth: 0, parentEventId: null };

/** The event context of a contact and, when the change belongs to one, its conversation and that conversation's agent. */
export function envelopeContext(
	workspaceId: string,
	causation: Causation,
	contact: Contact,
	conversation: Conversation | undefined,
	agent: AgentConfig | undefined,
	transcript: TranscriptEntry[],
	transcriptTotal = transcript.length,
): EnvelopeContext {
	return {
		workspaceId,
		causation,
		agent: conversation ? { id: conversation.agentId, name: agent?.name ?? conversation.agentId } : null,
		conversation: conversation ? { id: conversation.id, channel: conversation.channel, status: conversation.status } : null,
		contact: snapshot(contact),
		collected: conversation?.collected ?? {},
		summary: conversation?.summary ?? null,
		intent: conversation?.intent ?? null,
		sentiment: conversation?.sentiment ?? null,
		transcript,
		transcriptTotal,
		variables: (agent?.variables ?? {}) as Record<string, unknown>,
	};
}

/** The event context of a conversation as stored now (inside a transaction: including its uncommitted writes). */
export async function envelopeContextFor(
	db: Queryable,
	ctx: AppContext,
	workspaceId: string,
	conversationId: string,
	causation: Causation = NO_CAUSE,
): Promise<{ context: EnvelopeContext; conversation: Conversation; contact: Contact; agent: AgentConfig | undefined }> {
	const conversation = await getConversation(db, workspaceId, conversationId);
	if (!conversation) throw notFound('conversation', conversationId);
	const contact = await getContact(db, workspaceId, conversation.contactId);
	if (!contact) throw notFound('contact', conversation.contactId);
	const agent = (await ctx.agentsFor(workspaceId, db)).get(conversation.agentId);
	const { transcript, total } = await eventTranscript(db, workspaceId, conversation.id);
	return { conversation, contact, agent, context: envelopeContext(workspaceId, causation, contact, conversation, agent, transcript, total) };
}

/** The latest messages an engine reads for a turn (answered ones only while a turn waits: they are the transcript so far). */
export async function engineTranscript(db: Queryable, workspaceId: string, conversationId: string, options: { answeredOnly?: boolean } = {}): Promise<TranscriptEntry[]> {
	return toTranscript((await latestMessages(db, workspaceId, conversationId, TURN_TRANSCRIPT_MESSAGES, options)).messages);
}

/** The latest messages an event carries, and how many the conversation has in all. */
export async function eventTranscript(db: Queryable, workspaceId: string, conversationId: string): Promise<{ transcript: TranscriptEntry[]; total: number }> {
	const { messages, total } = await latestMessages(db, workspaceId, conversationId, EVENT_TRANSCRIPT_MESSAGES);
	return { transcript: toTranscript(messages), total };
}

/** Where a person answers the conversation: the console's inbox, as a path and, with PUBLIC_URL set, a full URL. */
export function consoleLink(ctx: AppContext, conversationId: string): { consolePath: string; consoleUrl: string | null } {
	const consolePath = `/console?conversation=${encodeURIComponent(conversationId)}`;
	return { consolePath, consoleUrl: ctx.publicUrl ? new URL(consolePath, ctx.publicUrl).toString() : null };
}

/**
 * Hands the conversation to a human: the bot stays quiet until release or the quiet period. Raises
 * `conversation.handoff` (with the reason and the console link) so a workflow can alert the team; returns the
 * deliveries queued.
 */
export async function handOff(
	db: Queryable,
	ctx: AppContext,
	workspaceId: string,
	conversationId: string,
	reason: string,
	by: string,
	causation: Causation = NO_CAUSE,
): Promise<number> {
	await setStatus(db, workspaceId, conversationId, 'human', nowIso());
	const { context } = await envelopeContextFor(db, ctx, workspaceId, conversationId, causation);
	const envelope = buildEnvelope('conversation.handoff', context, { handoff: { reason, by, ...consoleLink(ctx, conversationId) } });
	const published = await publishEvent(db, envelope, { maxDepth: ctx.maxCausationDepth });
	await addTimeline(db, workspaceId, conversationId, 'handoff', { reason, by, ...(published.published ? { eventId: envelope.id } : { suppressed: published.reason }) });
	await notifyLive(db, { k: 'conversation', w: workspaceId, c: conversationId, change: 'handoff', status: 'human' });
	return published.published ? published.deliveries : 0;
}

/** The agent answers again; whoever claimed the conversation no longer handles it. */
export async function release(db: Queryable, workspaceId: string, conversationId: string, reason: string, by: string): Promise<void> {
	await setStatus(db, workspaceId, conversationId, 'active', null);
	await clearAssignee(db, workspaceId, conversationId);
	await addTimeline(db, workspaceId, conversationId, 'handoff.released', { reason, by });
	await notifyLive(db, { k: 'conversation', w: workspaceId, c: conversationId, change: 'released', status: 'active', assignee: null });
}

/** Whether a human-handled conversation has been quiet long enough for the bot to resume. */
export function quietPeriodOver(agent: AgentConfig | undefined, conversation: Conversation, now = Date.now()): boolean {
	const minutes = agent?.handoff?.quietMinutes;
	if (minutes === undefined) return false;
	const last = Date.parse(conversation.humanAt ?? conversation.updatedAt);
	return now - last >= minutes * 60_000;
}

/** A human speaks in the conversation; it goes to (or stays in) the `human` state. */
export async function insertHumanReply(
	db: Queryable,
	ctx: AppContext,
	workspaceId: string,
	conversation: Conversation,
	text: string,
	author?: string,
): Promise<{ message: Message; queued: number }> {
	if (conversation.status === 'ended') throw new HttpError(409, `conversation ${conversation.id} has ended`);
	const queued = conversation.status !== 'human' ? await handOff(db, ctx, workspaceId, conversation.id, 'a human replied', 'api') : 0;
	const message = await recordMessage(db, workspaceId, conversation.id, { role: 'human', source: 'api', text }, author ? { author } : {}, { directAnswer: false, ctx });
	if (conversation.status === 'human') await setStatus(db, workspaceId, conversation.id, 'human', message.createdAt);
	return { message, queued };
}

export interface EndRequest {
	reason: EndReason;
	detail: string;
	by: Ending['by'];
	outcome?: string; // given by the caller; else classified
}

/**
 * Ends the conversation once: classes the outcome, records the end and emits `conversation.ended`. Returns the
 * ending and the deliveries queued, or null when it had already ended.
 */
export async function endConversation(
	db: Queryable,
	ctx: AppContext,
	workspaceId: string,
	conversationId: string,
	request: EndRequest,
	causation: Causation = NO_CAUSE,
): Promise<{ ending: Ending; queued: number } | null> {
	const { conversation, contact, agent, context } = await envelopeContextFor(db, ctx, workspaceId, conversationId, causation);
	if (conversation.status === 'ended') return null;
	if (request.outcome !== undefined && agent && !agent.outcomes.includes(request.outcome)) {
		throw new HttpError(400, `body/outcome: must be one of ${agent.outcomes.join(', ')}`);
	}
	const classified = agent
		? classifyOutcome({
				agent,
				collected: conversation.collected,
				firedActions: conversation.firedActions,
				intent: conversation.intent,
				sentiment: conversation.sentiment,
				tags: contact.tags,
			})
		: { outcome: 'browsing', rule: 'agent no longer configured' };
	// Ending while a human handles the conversation counts as a handoff end, whoever closes it.
	const reason: EndReason = conversation.status === 'human' ? 'handoff' : request.reason;
	const ending: Ending = {
		reason,
		outcome: request.outcome ?? classified.outcome,
		outcomeRule: request.outcome !== undefined ? `given by ${request.by}` : classified.rule,
		summary: conversation.summary,
		endedAt: nowIso(),
		by: request.by,
	};
	if (!(await markEnded(db, workspaceId, conversationId, ending))) return null;
	const envelope = buildEnvelope('conversation.ended', { ...context, conversation: { ...context.conversation!, status: 'ended' } }, {
		ending: { reason, detail: request.detail, outcome: ending.outcome, summary: ending.summary, turns: conversation.turnCount, endedAt: ending.endedAt },
	});
	const published = await publishEvent(db, envelope, { maxDepth: ctx.maxCausationDepth });
	await addTimeline(db, workspaceId, conversationId, 'conversation.ended', {
		reason,
		detail: request.detail,
		outcome: ending.outcome,
		outcomeRule: ending.outcomeRule,
		by: request.by,
		...(published.published ? { eventId: envelope.id } : { suppressed: published.reason }),
	});
	await notifyLive(db, { k: 'conversation', w: workspaceId, c: conversationId, change: 'ended', status: 'ended' });
	return { ending, queued: published.published ? published.deliveries : 0 };
}

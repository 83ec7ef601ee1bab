// The round trip with waiting: after a turn whose fired action expects contact fields back, the answer waits (outside
// any transaction) until a workflow wrote them or the timeout passed; a result that comes late is sent as a follow-up.
import type { AgentConfig } from '../engine/agent-config';
import { contactValue, knownFields } from '../engine/fields';
import { disclosureHandoffReason, type BlockedDisclosure } from '../engine/conduct';
import { planReply } from '../engine/offline';
import { agentText, engineReply } from './outbound';
import type { ActionDecision } from '../engine/types';
import type { AppContext } from '../context';
import { getContact, snapshot, type Contact } from '../store/contacts';
import { engineTranscript, envelopeContextFor, handOff } from './lifecycle';
import { addTagsWithEvents, recordMessage } from './policies';
import type { ChatResult } from './turn';
import {
	addTimeline,
	conversationsWithWaits,
	getConversation,
	settleWaits,
	touchConversation,
	type Message,
	type Wait,
} from '../store/conversations';
import type { Queryable } from '../store/schema';

const DEFAULT_POLL_MS = 200;

/** Every field holds a value written since the action fired (an older value is a previous result, not this one). */
function written(contact: Contact, fields: string[], since: string | undefined): boolean {
	return fields.every((f) => {
		const v = contactValue(snapshot(contact), f);
		const fresh = since === undefined || (contact.writtenAt[f] ?? '') >= since;
		return fresh && v !== undefined && v !== null && String(v).trim() !== '';
	});
}

/**
 * Reads the stored contact until every awaited field is set or the deadline passes: again at each write to it on this
 * instance, and every poll interval for writes through other instances; never holds a transaction.
 */
export async function awaitFields(
	ctx: AppContext,
	workspaceId: string,
	contactId: string,
	waits: Wait[],
	deadline: number,
): Promise<Contact | null> {
	const pollMs = ctx.conversations?.waitPollMs ?? DEFAULT_POLL_MS;
	for (;;) {
		const contact = await getContact(ctx.store.db, workspaceId, contactId);
		if (contact && waits.every((w) => written(contact, w.fields, w.since))) return contact;
		const left = deadline - Date.now();
		if (left <= 0 || ctx.draining.aborted) return null;
		await ctx.fieldWrites.sleep(contactId, Math.min(pollMs, left));
	}
}

export interface ComposedResult {
	text: string;
	/** Withheld fields the reply would have revealed: then `text` is the blocked message and a human takes over. */
	blocked: BlockedDisclosure[];
}

/**
 * The answer once the workflow's fields are in: the deterministic reply, which reads the fields the workflow wrote,
 * under the same disclosure guard as every other reply (workflows write exactly the fields that may be withheld).
 */
export async function composeWithResult(
	db: Queryable,
	agent: AgentConfig,
	workspaceId: string,
	conversationId: string,
	contact: Contact,
	actions: ActionDecision[],
): Promise<ComposedResult> {
	const conversation = await getConversation(db, workspaceId, conversationId);
	const collected = conversation?.collected ?? {};
	const transcript = await engineTranscript(db, workspaceId, conversationId);
	const known = knownFields(agent, snapshot(contact), collected);
	const reply = planReply({ agent, contact: snapshot(contact), known, actions, transcript, turn: conversation?.turnCount ?? 1 });
	return engineReply(agent, snapshot(contact), reply.text, reply.template);
}

/** Records a blocked disclosure and hands the conversation to a human, inside the caller's transaction. */
export async function handOffForDisclosure(trx: Queryable, ctx: AppContext, workspaceId: string, conversationId: string, blocked: BlockedDisclosure[]): Promise<number> {
	await addTimeline(trx, workspaceId, conversationId, 'disclosure.blocked', { fields: blocked });
	return handOff(trx, ctx, workspaceId, conversationId, disclosureHandoffReason(blocked), 'agent');
}

/** What the contact hears while the result is owed: the timeout reply, or the holding reply when the caller stopped waiting first. */
export function holdingReply(agent: AgentConfig, actionId: string, contact: Contact, capped = false): ComposedResult {
	const expects = agent.actions.find((a) => a.id === actionId)?.expects;
	const template = (capped ? expects?.holdingReply : undefined) ?? expects?.onTimeout?.reply ?? expects?.holdingReply ?? agent.replies.fallback ?? 'One moment, please.';
	return agentText(agent, snapshot(contact), template);
}

/**
 * After a workflow wrote contact fields: a turn waiting on this instance for them reads them at once, and every open
 * conversation of the contact that owes a late result whose fields are now all set gets its follow-up message.
 * Returns the messages sent.
 */
export async function deliverLateResults(ctx: AppContext, workspaceId: string, contactId: string): Promise<Message[]> {
	ctx.fieldWrites.wake(contactId);
	const { db } = ctx.store;
	const sent: Message[] = [];
	const agents = await ctx.agentsFor(workspaceId);
	for (const conversation of await conversationsWithWaits(db, workspaceId, contactId)) {
		const agent = agents.get(conversation.agentId);
		const contact = await getContact(db, workspaceId, contactId);
		// The bot says nothing while a human handles the conversation; the result stays owed.
		if (!agent || !contact || conversation.status === 'human') continue;
		const ready = conversation.waits.filter((w) => w.state === 'late' && written(contact, w.fields, w.since));
		if (!ready.length) continue;
		const decisions = ready.map((w): ActionDecision => ({ actionId: w.actionId, name: w.actionId, fired: true, reason: 'late result' }));
		const { text, blocked } = await composeWithResult(db, agent, workspaceId, conversation.id, contact, decisions);
		const message = await db.transaction().execute(async (trx) => {
			const fresh = await getConversation(trx, workspaceId, conversation.id);
			if (!fresh || fresh.status !== 'active') return null;
			const owed = await settleWaits(trx, workspaceId, conversation.id, ready.map((w) => w.eventId), 'done');
			// Another instance or request already sent it.
			if (!owed.length) return null;
			await touchConversation(trx, workspaceId, conversation.id);
			const m = await recordMessage(trx, workspaceId, conversation.id, { role: 'agent', source: 'engine', text }, {}, { directAnswer: false, ctx });
			await addTimeline(trx, workspaceId, conversation.id, 'wait.late_result', {
				actions: owed.map((w) => w.actionId),
				fields: owed.flatMap((w) => w.fields),
				messageId: m.id,
				text,
			});
			if (blocked.length) await handOffForDisclosure(trx, ctx, workspaceId, conversation.id, blocked);
			return m;
		});
		if (message) sent.push(message);
	}
	return sent;
}

/** A wait for an action's result; a chat request's waitMs shorter than the action's timeout caps it. */
export function newWait(actionId: string, eventId: string, fields: string[], timeoutMs: number, now = Date.now(), waitMs?: number): Wait {
	const capped = waitMs !== undefined && waitMs < timeoutMs;
	const deadline = new Date(now + (capped ? waitMs : timeoutMs)).toISOString();
	return { actionId, eventId, fields, since: new Date(now).toISOString(), deadline, state: 'waiting', ...(capped ? { capped } : {}) };
}

/** Waits for the fired actions' results (the turn is already committed and its events are on their way). */
export async function answerAfterWaiting(
	ctx: AppContext,
	workspaceId: string,
	agent: AgentConfig,
	answer: ChatResult,
	waits: Wait[],
	decisions: ActionDecision[],
	/** The chat request waits for this answer; otherwise it goes out as an outgoing message event. */
	directAnswer: boolean,
): Promise<Pick<ChatResult, 'reply' | 'conversation' | 'waited'>> {
	const { db } = ctx.store;
	const conversationId = answer.conversation.id;
	const deadline = Math.max(...waits.map((w) => Date.parse(w.deadline)));
	const started = Date.now();
	const arrived = await awaitFields(ctx, workspaceId, answer.contact.id, waits, deadline);
	// The request's own limit or the server's shutdown ended the wait, not the action's timeout: the result may still
	// come in time, and whichever instance takes the workflow's write sends it.
	const capped = waits.some((w) => w.capped) || (!arrived && ctx.draining.aborted);
	const contact = arrived ?? (await getContact(db, workspaceId, answer.contact.id))!;
	const { text, blocked } = arrived
		? await composeWithResult(db, agent, workspaceId, conversationId, arrived, decisions)
		: holdingReply(agent, waits[0].actionId, contact, capped);
	let queued = 0;
	const result = await db.transaction().execute(async (trx) => {
		await settleWaits(trx, workspaceId, conversationId, waits.map((w) => w.eventId), arrived ? 'done' : 'late');
		await addTimeline(trx, workspaceId, conversationId, arrived ? 'wait.fulfilled' : 'wait.timed_out', {
			actions: waits.map((w) => w.actionId),
			fields: waits.flatMap((w) => w.fields),
			waitedMs: Date.now() - started,
			...(!arrived && ctx.draining.aborted ? { endedBy: 'shutdown' } : {}),
		});
		const message = await recordMessage(trx, workspaceId, conversationId, { role: 'agent', source: 'engine', text }, {}, directAnswer ? { directAnswer } : { directAnswer, ctx });
		await touchConversation(trx, workspaceId, conversationId);
		let status = (await getConversation(trx, workspaceId, conversationId))?.status ?? answer.conversation.status;
		if (blocked.length) {
			queued += await handOffForDisclosure(trx, ctx, workspaceId, conversationId, blocked);
			status = 'human';
		}
		if (!arrived && !capped) {
			// The action's fallback: a tag and/or a human, recorded on the timeline.
			const fallback = agent.actions.find((a) => a.id === waits[0].actionId)?.expects?.onTimeout;
			if (fallback?.tag) {
				const { context } = await envelopeContextFor(trx, ctx, workspaceId, conversationId);
				const causation = { depth: 0, parentEventId: null };
				const tagged = await addTagsWithEvents(trx, ctx, workspaceId, answer.contact.id, [fallback.tag], { context, causation, addedBy: 'agent', why: 'workflow result timed out' });
				queued += tagged?.queued ?? 0;
			}
			if (fallback?.handoff) {
				queued += await handOff(trx, ctx, workspaceId, conversationId, 'workflow result timed out', 'agent');
				status = 'human';
			}
		}
		return { message, status };
	});
	if (queued > 0) ctx.deliveriesQueued();
	return {
		conversation: { ...answer.conversation, status: result.status },
		reply: { id: result.message.id, text: result.message.text },
		waited: { fields: waits.flatMap((w) => w.fields), arrived: Boolean(arrived), waitedMs: Date.now() - started },
	};
}

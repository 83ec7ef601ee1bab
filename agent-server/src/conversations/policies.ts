// The conversation policies that every caller shares, each in one function: the action cooldown and the
// per-conversation trigger cap, tags added with their events, and a message with its timeline entry.
import type { AgentConfig } from '../engine/agent-config';
import type { ActionDecision } from '../engine/types';
import type { AppContext } from '../context';
import { buildEnvelope, publishEvent, type Causation, type EnvelopeContext } from '../events/publish';
import { actionFirings } from '../store/action-firings';
import { addContactTags, snapshot, type Contact } from '../store/contacts';
import { addTimeline, insertMessage, type Message, type NewMessage } from '../store/conversations';
import type { Queryable } from '../store/schema';

export type LimitedDecision = ActionDecision & { suppressed?: boolean; cooldown?: boolean };

/**
 * The server owns the clock and the counts: it drops decisions for actions the agent does not have, and holds back a
 * fired action inside its cooldown or past the per-conversation trigger limit.
 */
export async function applyActionLimits(
	db: Queryable,
	workspaceId: string,
	agent: AgentConfig,
	conversationId: string,
	decisions: ActionDecision[],
	now = Date.now(),
): Promise<LimitedDecision[]> {
	const known = decisions.filter((d) => agent.actions.some((a) => a.id === d.actionId));
	if (!known.some((d) => d.fired)) return known;
	const firedAt = await actionFirings(db, workspaceId, conversationId);
	const limit = agent.limits?.workflowTriggersPerConversation;
	let count = firedAt.length;
	return known.map((d) => {
		if (!d.fired) return d;
		const config = agent.actions.find((a) => a.id === d.actionId)!;
		if (config.cooldownSeconds) {
			const last = Math.max(-Infinity, ...firedAt.filter((f) => f.actionId === d.actionId).map((f) => f.at));
			if (now - last < config.cooldownSeconds * 1000) {
				return { ...d, fired: false, suppressed: true, cooldown: true, reason: `already triggered ${Math.round((now - last) / 1000)} s ago (cooldown ${config.cooldownSeconds} s)` };
			}
		}
		if (limit !== undefined && count >= limit) {
			return { ...d, fired: false, suppressed: true, reason: `limit of ${limit} workflow trigger${limit > 1 ? 's' : ''} per conversation reached` };
		}
		count += 1;
		return d;
	});
}

export interface TagAddition {
	/** The event context of the change (its conversation, agent and transcript); the contact in it is replaced by the tagged one. */
	context: EnvelopeContext;
	causation: Causation;
	addedBy: 'agent' | 'workflow' | 'api';
	/** Why the agent added them (a tag rule), for the timeline. */
	why?: string;
	/** A limit checked on the stored contact before the tags are written. */
	check?: (stored: Contact, added: string[]) => void;
}

/**
 * Adds the tags the stored contact lacks, each with a `contact.tag.added` event and a timeline entry on the
 * conversation of the change; inside the caller's transaction. Returns the tagged contact and the deliveries queued.
 */
export async function addTagsWithEvents(
	db: Queryable,
	ctx: AppContext,
	workspaceId: string,
	contactId: string,
	tags: string[],
	addition: TagAddition,
): Promise<{ contact: Contact; queued: number } | undefined> {
	const result = await addContactTags(db, workspaceId, contactId, tags, addition.check);
	if (!result) return undefined;
	const context: EnvelopeContext = { ...addition.context, causation: addition.causation, contact: snapshot(result.contact) };
	let queued = 0;
	for (const tag of result.added) {
		const envelope = buildEnvelope('contact.tag.added', context, { tag, addedBy: addition.addedBy });
		const published = await publishEvent(db, envelope, { maxDepth: ctx.maxCausationDepth });
		if (published.published) queued += published.deliveries;
		if (context.conversation) {
			await addTimeline(db, workspaceId, context.conversation.id, 'tag.added', {
				tag,
				addedBy: addition.addedBy,
				...(addition.why ? { why: addition.why } : {}),
				...(addition.addedBy === 'workflow' && addition.causation.parentEventId ? { causationEventId: addition.causation.parentEventId } : {}),
				...(published.published ? { eventId: envelope.id } : { suppressed: published.reason }),
			});
		}
	}
	return { contact: result.contact, queued };
}

/** Stores a message and its timeline entry (`message`, or `workflow.reply` for a workflow speaking as the agent). */
export async function recordMessage(
	db: Queryable,
	workspaceId: string,
	conversationId: string,
	message: NewMessage,
	detail: Record<string, unknown> = {},
): Promise<Message> {
	const stored = await insertMessage(db, workspaceId, conversationId, message);
	await addMessageEntry(db, workspaceId, conversationId, stored, detail);
	return stored;
}

/** The timeline entry of a stored message (a turn's reply gets it after the decisions it follows). */
export async function addMessageEntry(db: Queryable, workspaceId: string, conversationId: string, message: Message, detail: Record<string, unknown> = {}): Promise<void> {
	const kind = message.role === 'agent' && message.source === 'workflow' ? 'workflow.reply' : 'message';
	await addTimeline(db, workspaceId, conversationId, kind, {
		messageId: message.id,
		role: message.role,
		...(message.role === 'contact' ? {} : { source: message.source }),
		text: message.text,
		...detail,
	});
}

// The conversation policies that every caller shares, each in one function: the action cooldown and the
// per-conversation trigger cap, tags added with their events, and a message with its timeline entry.
import type { AgentConfig } from '../engine/agent-config';
import type { ActionDecision } from '../engine/types';
import type { AppContext } from '../context';
import { buildEnvelope, publishEvent, type Causation, type EnvelopeContext } from '../events/publish';
import { envelopeContextFor } from './lifecycle';
import { actionFirings } from '../store/action-firings';
import { addContactTags, snapshot, type Contact } from '../store/contacts';
import { agentTalksOn, formatForChannel } from '../engine/channels';
import { addTimeline, getConversation, insertMessage, type Message, type NewMessage, type TimelineKind } from '../store/conversations';
import { identityOn } from '../store/identities';
import type { Queryable } from '../store/schema';
import { HttpError } from '../util/http-error';

/** An agent talks only on the channels it lists: a message on another is refused before anything is stored. */
export function refuseUnlistedChannel(agent: AgentConfig, channel: string): void {
	if (agentTalksOn(agent, channel)) return;
	throw new HttpError(400, `agent ${agent.id} does not talk on channel ${channel}; its channels are ${agent.channels.join(', ')} (the agent's "channels" list)`);
}

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

/**
 * How a message to the contact reaches them: as the direct answer of the chat request that waits for it, or through a
 * `conversation.message.outgoing` event that a workflow delivers on the conversation's channel.
 */
export type MessageDelivery = { directAnswer: true } | { directAnswer: false; ctx: AppContext; causation?: Causation };

/**
 * Stores a message and its timeline entry (`message`, or `workflow.reply` for a workflow speaking as the agent). Every
 * message to the contact that is not the direct answer of a turn is published as `conversation.message.outgoing` in
 * the same transaction, so it is delivered exactly when it is stored.
 */
export async function recordMessage(
	db: Queryable,
	workspaceId: string,
	conversationId: string,
	message: NewMessage,
	detail: Record<string, unknown> = {},
	delivery?: MessageDelivery,
): Promise<Message> {
	if (message.role !== 'contact' && !delivery) throw new Error('a message to the contact needs to say how it is delivered');
	const fitted = message.role === 'contact' ? { text: message.text, changes: [] } : await fitToChannel(db, workspaceId, conversationId, message.text);
	const stored = await insertMessage(db, workspaceId, conversationId, { ...message, text: fitted.text });
	const published = delivery && !delivery.directAnswer ? await publishOutgoing(db, delivery.ctx, workspaceId, conversationId, stored, delivery.causation) : undefined;
	const outgoing = published ? outgoingDetail(published) : {};
	await addMessageEntry(db, workspaceId, conversationId, stored, { ...detail, ...(fitted.changes.length ? { channelFormat: fitted.changes } : {}), ...outgoing });
	return stored;
}

/** A text to the contact as their conversation's channel takes it (see engine/channels.ts). */
async function fitToChannel(db: Queryable, workspaceId: string, conversationId: string, text: string) {
	const conversation = await getConversation(db, workspaceId, conversationId);
	return formatForChannel(text, conversation?.channel ?? 'api');
}

/**
 * Publishes a stored message to the contact as `conversation.message.outgoing`, with the contact's identity on the
 * conversation's channel (null when the contact has none there); returns what its timeline entry records.
 */
export async function publishOutgoing(
	db: Queryable,
	ctx: AppContext,
	workspaceId: string,
	conversationId: string,
	message: Message,
	causation?: Causation,
	dueAt?: Date,
): Promise<{ outgoingEventId: string; deliveries: number } | { outgoingSuppressed: string }> {
	const { context, conversation } = await envelopeContextFor(db, ctx, workspaceId, conversationId, causation);
	const envelope = buildEnvelope('conversation.message.outgoing', context, {
		message: { id: message.id, text: message.text, role: message.role, source: message.source },
		channel: conversation.channel,
		identity: await identityOn(db, workspaceId, conversation.contactId, conversation.channel),
	});
	const published = await publishEvent(db, envelope, { maxDepth: ctx.maxCausationDepth, ...(dueAt ? { dueAt } : {}) });
	return published.published ? { outgoingEventId: envelope.id, deliveries: published.deliveries } : { outgoingSuppressed: published.reason };
}

/** What a message's timeline entry records of its outgoing event. */
export function outgoingDetail(published: Awaited<ReturnType<typeof publishOutgoing>>): { outgoingEventId: string } | { outgoingSuppressed: string } {
	return 'outgoingEventId' in published ? { outgoingEventId: published.outgoingEventId } : published;
}

/** The timeline entry of a stored message (a turn's reply gets it after the decisions it follows). */
export function messageEntry(message: Message, detail: Record<string, unknown> = {}): { kind: TimelineKind; detail: Record<string, unknown> } {
	return {
		kind: message.role === 'agent' && message.source === 'workflow' ? 'workflow.reply' : 'message',
		detail: { messageId: message.id, role: message.role, ...(message.role === 'contact' ? {} : { source: message.source }), text: message.text, ...detail },
	};
}

export async function addMessageEntry(db: Queryable, workspaceId: string, conversationId: string, message: Message, detail: Record<string, unknown> = {}): Promise<void> {
	const entry = messageEntry(message, detail);
	await addTimeline(db, workspaceId, conversationId, entry.kind, entry.detail);
}

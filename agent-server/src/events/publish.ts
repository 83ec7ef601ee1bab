// Builds event envelopes (docs/events.md) and writes them to the outbox, applying the causation-depth loop guard.
import type { ContactSnapshot, TranscriptEntry } from '../engine/types';
import { EVENT_TRANSCRIPT_MESSAGES } from '../limits';
import { addTimeline } from '../store/conversations';
import { getEvent, insertEvent, type EventEnvelope } from '../store/outbox';
import type { Queryable } from '../store/schema';
import { newId, nowIso } from '../util/ids';

export interface Causation {
	depth: number;
	parentEventId: string | null;
}

export const CAUSATION_HEADER = 'x-agent-bridge-causation';

/**
 * The causation of a call: depth 0 without a header; the parent's depth + 1 with one. A parent this
 * workspace does not know (e.g. pinned test data) still counts as one hop.
 */
export async function resolveCausation(db: Queryable, workspaceId: string, parentEventId: string | undefined): Promise<Causation> {
	if (!parentEventId) return { depth: 0, parentEventId: null };
	const parent = await getEvent(db, workspaceId, parentEventId);
	return { depth: parent ? parent.depth + 1 : 1, parentEventId };
}

export interface EnvelopeContext {
	workspaceId: string;
	causation: Causation;
	agent: { id: string; name: string } | null;
	conversation: { id: string; channel: string; status: string } | null;
	contact: ContactSnapshot;
	collected: Record<string, string>;
	summary: string | null;
	intent: string | null;
	sentiment: string | null;
	/** The latest messages (at most EVENT_TRANSCRIPT_MESSAGES are sent). */
	transcript: TranscriptEntry[];
	/** How many messages the conversation has in all, when `transcript` holds only the latest. */
	transcriptTotal?: number;
	variables: Record<string, unknown>;
}

/**
 * The latest messages only, so an event's size does not grow with the conversation; `transcriptTruncated` says how
 * many there are in all and where to read them.
 */
function transcriptWindow(ctx: EnvelopeContext): Record<string, unknown> {
	const shown = ctx.transcript.slice(-EVENT_TRANSCRIPT_MESSAGES);
	const total = Math.max(ctx.transcriptTotal ?? 0, ctx.transcript.length);
	if (shown.length === total || !ctx.conversation) return { transcript: shown };
	return {
		transcript: shown,
		transcriptTruncated: { total, included: shown.length, url: `/v1/conversations/${ctx.conversation.id}` },
	};
}

export function buildEnvelope(type: string, ctx: EnvelopeContext, extra: Record<string, unknown>): EventEnvelope {
	return {
		id: newId('evt'),
		type,
		version: 1,
		createdAt: nowIso(),
		workspaceId: ctx.workspaceId,
		causation: ctx.causation,
		agent: ctx.agent,
		conversation: ctx.conversation,
		contact: ctx.contact,
		...extra,
		collected: ctx.collected,
		summary: ctx.summary,
		intent: ctx.intent,
		sentiment: ctx.sentiment,
		...transcriptWindow(ctx),
		variables: ctx.variables,
	};
}

export interface ChainLink {
	eventId: string;
	type: string;
	depth: number;
	actionId: string | null;
	conversationId: string | null;
	createdAt: string;
}

/** The events that led here, root first: what the timeline shows when a loop is locked. */
export async function causationChain(db: Queryable, workspaceId: string, parentEventId: string | null, maxHops: number): Promise<ChainLink[]> {
	const chain: ChainLink[] = [];
	let id = parentEventId;
	while (id && chain.length < maxHops) {
		const event = await getEvent(db, workspaceId, id);
		if (!event) break;
		const action = event.envelope.action as { id?: string } | undefined;
		chain.unshift({
			eventId: event.id,
			type: event.type,
			depth: event.depth,
			actionId: action?.id ?? null,
			conversationId: event.conversationId,
			createdAt: event.envelope.createdAt,
		});
		id = event.envelope.causation?.parentEventId ?? null;
	}
	return chain;
}

export type PublishResult = { published: true; deliveries: number } | { published: false; reason: string };

export interface PublishOptions {
	maxDepth: number;
	/**
	 * The firing action's cooldown: an action caused (through workflows) by its own earlier event for the same
	 * conversation inside this window is a loop. Without it, any such re-firing in one chain is.
	 */
	cooldownMs?: number;
	/** When its deliveries are due (a message sent again at the channel's retry time); now without it. */
	dueAt?: Date;
}

/** Why this event would close a loop, or undefined. */
function loopReason(envelope: EventEnvelope, chain: ChainLink[], options: PublishOptions): string | undefined {
	const { depth } = envelope.causation;
	if (depth > options.maxDepth) return `causation depth ${depth} is past the limit of ${options.maxDepth}: a workflow chain is looping`;
	const actionId = (envelope.action as { id?: string } | undefined)?.id;
	if (envelope.type !== 'agent.action.triggered' || !actionId || !envelope.conversation) return undefined;
	const now = Date.parse(envelope.createdAt);
	const earlier = chain.find(
		(l) =>
			l.type === envelope.type &&
			l.actionId === actionId &&
			l.conversationId === envelope.conversation?.id &&
			(options.cooldownMs === undefined || now - Date.parse(l.createdAt) < options.cooldownMs),
	);
	if (!earlier) return undefined;
	return `action ${actionId} already fired for this conversation earlier in this chain (${earlier.eventId}): a workflow chain is looping`;
}

/**
 * Writes the event unless it would close a loop (past the depth limit, or an action re-fired by its own chain
 * for the same conversation); a locked loop is recorded on the conversation timeline with the chain.
 */
export async function publishEvent(db: Queryable, envelope: EventEnvelope, options: PublishOptions): Promise<PublishResult> {
	const { parentEventId } = envelope.causation;
	const chain = parentEventId ? await causationChain(db, envelope.workspaceId, parentEventId, options.maxDepth + 1) : [];
	const reason = loopReason(envelope, chain, options);
	if (reason) {
		if (envelope.conversation) {
			await recordLoopBlocked(db, envelope.workspaceId, envelope.conversation.id, {
				eventType: envelope.type,
				actionId: (envelope.action as { id?: string } | undefined)?.id ?? null,
				causation: envelope.causation,
				reason,
				chain,
			});
		}
		return { published: false, reason };
	}
	const deliveries = await insertEvent(db, envelope.workspaceId, envelope, options.dueAt);
	return { published: true, deliveries };
}

/** The one timeline entry for a locked loop: what was stopped, at which depth, why, and the chain that led to it. */
export async function recordLoopBlocked(
	db: Queryable,
	workspaceId: string,
	conversationId: string,
	loop: { eventType: string; actionId: string | null; causation: Causation; reason: string; chain: ChainLink[] },
): Promise<void> {
	await addTimeline(db, workspaceId, conversationId, 'loop.blocked', {
		label: 'loop locked',
		eventType: loop.eventType,
		actionId: loop.actionId,
		parentEventId: loop.causation.parentEventId,
		depth: loop.causation.depth,
		reason: loop.reason,
		chain: loop.chain,
	});
}

// Builds event envelopes (docs/events.md) and writes them to the outbox, applying the causation-depth loop guard.
import type { ContactSnapshot, TranscriptEntry } from '../engine/types';
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
	transcript: TranscriptEntry[];
	variables: Record<string, unknown>;
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
		transcript: ctx.transcript,
		variables: ctx.variables,
	};
}

export interface ChainLink {
	eventId: string;
	type: string;
	depth: number;
	actionId: string | null;
	conversationId: string | null;
}

/** The events that led here, root first: what the timeline shows when a loop is locked. */
export async function causationChain(db: Queryable, workspaceId: string, parentEventId: string | null, maxHops: number): Promise<ChainLink[]> {
	const chain: ChainLink[] = [];
	let id = parentEventId;
	while (id && chain.length < maxHops) {
		const event = await getEvent(db, workspaceId, id);
		if (!event) break;
		const action = event.envelope.action as { id?: string } | undefined;
		chain.unshift({ eventId: event.id, type: event.type, depth: event.depth, actionId: action?.id ?? null, conversationId: event.conversationId });
		id = event.envelope.causation?.parentEventId ?? null;
	}
	return chain;
}

export type PublishResult = { published: true; deliveries: number } | { published: false; reason: string };

/** Writes the event unless it is past the loop limit; a blocked event is recorded on the conversation timeline. */
export async function publishEvent(
	db: Queryable,
	envelope: EventEnvelope,
	options: { maxDepth: number },
): Promise<PublishResult> {
	if (envelope.causation.depth > options.maxDepth) {
		const reason = `causation depth ${envelope.causation.depth} is past the limit of ${options.maxDepth}: a workflow chain is looping`;
		if (envelope.conversation) {
			const action = envelope.action as { id?: string } | undefined;
			const chain = await causationChain(db, envelope.workspaceId, envelope.causation.parentEventId, options.maxDepth + 1);
			await addTimeline(db, envelope.workspaceId, envelope.conversation.id, 'loop.blocked', {
				label: 'loop locked',
				eventType: envelope.type,
				actionId: action?.id ?? null,
				parentEventId: envelope.causation.parentEventId,
				depth: envelope.causation.depth,
				reason,
				chain,
			});
		}
		return { published: false, reason };
	}
	const deliveries = await insertEvent(db, envelope.workspaceId, envelope);
	return { published: true, deliveries };
}

// A contact's message and the agent's turn: the message is stored the moment it arrives, then turns of one
// conversation run one at a time (a lease on the conversation row, shared by every instance), each as named steps:
// load state → run the engine → persist → publish decisions → answer.
import type { AgentConfig } from '../engine/agent-config';
import { disclosureHandoffReason, type BlockedDisclosure } from '../engine/conduct';
import { applyUpdates } from '../engine/fields';
import { formatForChannel } from '../engine/channels';
import { fallbackOutcome } from '../engine/offline';
import type { ActionDecision, TranscriptEntry, TurnOutcome } from '../engine/types';
import type { AppContext } from '../context';
import { buildEnvelope, causationChain, publishEvent, recordLoopBlocked, resolveCausation, type Causation, type EnvelopeContext } from '../events/publish';
import { getContact, hasContactChanges, insertContact, snapshot, updateContact, type Contact, type StandardField } from '../store/contacts';
import {
	addWaits,
	answerMessage,
	applyTurn,
	getConversation,
	getReceivedMessage,
	insertConversation,
	openConversationWith,
	insertMessage,
	messageByIdempotencyKey,
	oldestPendingMessage,
	TimelineBatch,
	touchConversation,
	workspaceModelCalls,
	type Conversation,
	type ReceivedMessage,
	type Wait,
} from '../store/conversations';
import { claimIdentity, contactIdOfIdentity, type IdentityKey } from '../store/identities';
import type { Queryable } from '../store/schema';
import { HttpError, notFound } from '../util/http-error';
import { endConversation, engineTranscript, envelopeContextFor, handOff, quietPeriodOver, release } from './lifecycle';
import { addTagsWithEvents, messageEntry, applyActionLimits, outgoingDetail, publishOutgoing, recordMessage, refuseUnlistedChannel, type LimitedDecision } from './policies';
import type { TurnLease } from './turn-queue';
import { engineReply } from './outbound';
import { answerAfterWaiting, newWait } from './waits';

export interface ChatInput {
	agentId: string;
	text: string;
	conversationId?: string;
	contactId?: string;
	contact?: Partial<Record<StandardField, string>>;
	channel?: string;
	/** The contact's address on a channel, instead of contactId/conversationId: finds or creates the contact. */
	identity?: IdentityKey;
	/** Longest time the request holds for a workflow's result; past it the answer comes without it (the result follows as a message). */
	waitMs?: number;
}

export interface ChatResult {
	conversation: { id: string; status: string; channel: string };
	contact: { id: string };
	/** The contact's message this answers. */
	message?: { id: string };
	/** null while a human handles the conversation (the bot says nothing). */
	reply: { id: string; text: string } | null;
	actions: (ActionDecision & { eventId?: string })[];
	/** Present when the answer waited for fields a fired workflow writes back. */
	waited?: { fields: string[]; arrived: boolean; waitedMs: number };
}

/** The message is stored and waits for its turn behind others; its answer will be on the conversation. */
export interface QueuedAnswer {
	queued: true;
	conversation: { id: string };
	contact: { id: string };
	message: { id: string };
	/** Where the answer will appear. */
	answerAt: string;
}

export const DEFAULT_FALLBACK = "Sorry, I'm having a little trouble right now. Could you say that again in a moment?";

export async function agentOrThrow(ctx: AppContext, workspaceId: string, agentId: string): Promise<AgentConfig> {
	const agent = (await ctx.agentsFor(workspaceId)).get(agentId);
	if (!agent) throw notFound('agent', agentId);
	return agent;
}

/** The contact's message in: stored at once, then answered when its turn (and those before it) ran. */
export async function chat(
	ctx: AppContext,
	workspaceId: string,
	input: ChatInput,
	causationHeader?: string,
	idempotencyKey?: string,
): Promise<ChatResult | QueuedAnswer> {
	const agent = await agentOrThrow(ctx, workspaceId, input.agentId);
	const { message, lease } = await receiveMessage(ctx, workspaceId, agent, input, causationHeader, idempotencyKey);
	return awaitAnswer(ctx, workspaceId, message, input.waitMs, lease);
}

/** Another request gave the same new identity to its own new contact first: this one is stored again as from a known identity. */
class IdentityTaken extends Error {}

/** A stored message, and the conversation's turn lease when it was free (taken in the same transaction). */
interface Received {
	message: ReceivedMessage;
	lease: TurnLease | null;
}

/**
 * Stores the contact's message (creating the contact and the conversation when new) in its own transaction, so it is
 * kept whatever happens to its turn. A retry with the same Idempotency-Key finds the stored message instead.
 */
async function receiveMessage(
	ctx: AppContext,
	workspaceId: string,
	agent: AgentConfig,
	input: ChatInput,
	causationHeader: string | undefined,
	idempotencyKey: string | undefined,
): Promise<Received> {
	try {
		return await storeMessage(ctx, workspaceId, agent, input, causationHeader, idempotencyKey);
	} catch (error) {
		if (!(error instanceof IdentityTaken)) throw error;
		return storeMessage(ctx, workspaceId, agent, input, causationHeader, idempotencyKey);
	}
}

async function storeMessage(
	ctx: AppContext,
	workspaceId: string,
	agent: AgentConfig,
	input: ChatInput,
	causationHeader: string | undefined,
	idempotencyKey: string | undefined,
): Promise<Received> {
	const { db } = ctx.store;
	if (idempotencyKey) {
		const earlier = await messageByIdempotencyKey(db, workspaceId, idempotencyKey);
		if (earlier) return { message: earlier, lease: null };
	}
	const { conversation, contactId } = await conversationOf(db, workspaceId, agent, input);
	const channel = conversation?.channel ?? input.identity?.channel ?? input.channel ?? 'api';
	refuseUnlistedChannel(agent, channel);
	const given = input.contact ?? {};
	const causationEventId = causationHeader ?? null;
	return db.transaction().execute(async (trx) => {
		let contact = contactId;
		if (!contact) {
			contact = (await insertContact(trx, workspaceId, { standard: given })).id;
			if (input.identity && (await claimIdentity(trx, workspaceId, contact, input.identity)) !== contact) throw new IdentityTaken();
		} else if (Object.keys(given).length) await updateContact(trx, workspaceId, contact, { standard: given });
		const conversationId = conversation?.id ?? (await insertConversation(trx, workspaceId, { agentId: agent.id, contactId: contact, channel })).id;
		const quiet = conversation?.status === 'human' && !quietPeriodOver(agent, conversation);
		const message = await recordMessage(
			trx,
			workspaceId,
			conversationId,
			{ role: 'contact', source: 'api', text: input.text, pending: true, ...(idempotencyKey ? { idempotencyKey } : {}), causationEventId },
			quiet ? { botQuiet: 'a human handles this conversation' } : {},
		);
		const lease = await ctx.turns.tryAcquireIn(trx, workspaceId, conversationId);
		return { message: { ...message, conversationId, pending: true, causationEventId, answer: null }, lease };
	});
}

/** The conversation the message continues (checked against the agent and contact given), or none for a new one. */
async function conversationOf(
	db: Queryable,
	workspaceId: string,
	agent: AgentConfig,
	input: ChatInput,
): Promise<{ conversation?: Conversation; contactId?: string }> {
	if (input.identity) {
		if (input.conversationId || input.contactId) throw new HttpError(400, 'body: give identity instead of contactId and conversationId, not with them');
		if (input.channel && input.channel !== input.identity.channel) {
			throw new HttpError(400, `body/channel: the identity's channel is ${input.identity.channel}, not ${input.channel}`);
		}
		const contactId = await contactIdOfIdentity(db, workspaceId, input.identity);
		if (!contactId) return {};
		return { conversation: await openConversationWith(db, workspaceId, contactId, agent.id), contactId };
	}
	if (input.conversationId) {
		const conversation = await getConversation(db, workspaceId, input.conversationId);
		if (!conversation) throw notFound('conversation', input.conversationId);
		if (conversation.agentId !== agent.id) {
			throw new HttpError(400, `conversation ${conversation.id} belongs to agent ${conversation.agentId}, not ${agent.id}`);
		}
		if (input.contactId && input.contactId !== conversation.contactId) {
			throw new HttpError(400, `conversation ${conversation.id} belongs to contact ${conversation.contactId}, not ${input.contactId}`);
		}
		if (conversation.status === 'ended') throw new HttpError(409, `conversation ${conversation.id} has ended; start a new one`);
		return { conversation, contactId: conversation.contactId };
	}
	if (input.contactId) {
		const contact = await getContact(db, workspaceId, input.contactId);
		if (!contact) throw notFound('contact', input.contactId);
		return { contactId: contact.id };
	}
	return {};
}

/**
 * Waits for the conversation's turn lease (or for another holder to answer this message), runs the turns of the
 * messages waiting before it and its own, and returns its answer; past the queue wait, says where it will appear.
 */
async function awaitAnswer(
	ctx: AppContext,
	workspaceId: string,
	message: ReceivedMessage,
	waitMs: number | undefined,
	/** The lease, when it was taken with the message. */
	held: TurnLease | null,
): Promise<ChatResult | QueuedAnswer> {
	const { db } = ctx.store;
	if (!message.pending) return message.answer as ChatResult;
	const answered = async () => !(await getReceivedMessage(db, workspaceId, message.id))?.pending;
	const lease = held ?? (await ctx.turns.acquire(workspaceId, message.conversationId, answered));
	if (lease === 'timeout') {
		// Nobody waits for the answer any more, but the message still gets its turn when the turns before it are done.
		void answerWhenFree(ctx, workspaceId, message).catch(() => undefined);
		const conversation = (await getConversation(db, workspaceId, message.conversationId))!;
		return {
			queued: true,
			conversation: { id: conversation.id },
			contact: { id: conversation.contactId },
			message: { id: message.id },
			answerAt: `/v1/conversations/${conversation.id}`,
		};
	}
	if (lease !== 'answered') {
		try {
			const answer = await runTurnsUpTo(ctx, workspaceId, message, lease, { waitMs });
			if (answer) return answer;
		} finally {
			await lease.release();
		}
	}
	return (await getReceivedMessage(db, workspaceId, message.id))!.answer as ChatResult;
}

/** A message whose request gave up: waits (without a request) for the lease and runs the turns up to it. */
async function answerWhenFree(ctx: AppContext, workspaceId: string, message: ReceivedMessage): Promise<void> {
	const answered = async () => !(await getReceivedMessage(ctx.store.db, workspaceId, message.id))?.pending;
	for (;;) {
		const lease = await ctx.turns.acquire(workspaceId, message.conversationId, answered);
		if (lease === 'answered') return;
		if (lease === 'timeout') continue;
		try {
			await runTurnsUpTo(ctx, workspaceId, message, lease);
			return;
		} finally {
			await lease.release();
		}
	}
}

/**
 * Runs the waiting messages' turns oldest first until this one is answered; returns its answer when this holder
 * answered it. Ids sort by arrival, so once the oldest waiting message is newer than this one, this one was answered.
 */
async function runTurnsUpTo(
	ctx: AppContext,
	workspaceId: string,
	message: ReceivedMessage,
	lease: TurnLease,
	/** The chat request that waits for this message's answer; none when it gave up. */
	request?: { waitMs?: number },
): Promise<ChatResult | undefined> {
	for (;;) {
		const next = await oldestPendingMessage(ctx.store.db, workspaceId, message.conversationId);
		if (!next || next.id > message.id) return undefined;
		// Earlier messages' own requests wait for their stored answers.
		const answer = await takeTurn(
			ctx,
			workspaceId,
			next,
			lease,
			next.id === message.id ? { directAnswer: !!request, waitMs: request?.waitMs, releasesLease: true } : { directAnswer: true },
		);
		if (next.id === message.id) return answer;
	}
}

/**
 * Answers the messages of a conversation that still wait for their turn although nobody asks any more (the request
 * gave up with 202, or its instance died): if nobody holds the conversation, runs their turns. Returns how many.
 */
export async function answerStrandedMessages(ctx: AppContext, workspaceId: string, conversationId: string): Promise<number> {
	const lease = await ctx.turns.tryAcquire(workspaceId, conversationId);
	if (!lease) return 0;
	let answered = 0;
	try {
		for (let next = await oldestPendingMessage(ctx.store.db, workspaceId, conversationId); next; next = await oldestPendingMessage(ctx.store.db, workspaceId, conversationId)) {
			await takeTurn(ctx, workspaceId, next, lease, { directAnswer: false });
			answered++;
		}
	} finally {
		await lease.release();
	}
	return answered;
}

/** Everything a turn starts from, read just before it runs. */
interface TurnState {
	message: ReceivedMessage;
	conversation: Conversation;
	contact: Contact;
	agent: AgentConfig | undefined;
	transcript: TranscriptEntry[];
	causation: Causation;
	/** A human's quiet period is over: the bot takes the conversation back with this turn. */
	resumes: boolean;
	/** Why the bot says nothing this turn (a human handles the conversation, it ended, the agent is gone). */
	quiet: string | null;
	/** The chat request's limit on waiting for a workflow's result. */
	waitMs?: number;
	/** A chat request waits for this answer; otherwise the reply goes out as a `conversation.message.outgoing` event. */
	directAnswer: boolean;
}

interface EngineRun {
	outcome: TurnOutcome;
	engineError?: string;
}

/** What the rules decided from the engine's outcome, before anything is written. */
interface TurnPlan {
	decisions: LimitedDecision[];
	replyText: string;
	/** How the reply was fitted to the conversation's channel (markdown removed, cut), for its timeline entry. */
	channelFormat: string[];
	unfilledMergeFields: string[];
	blocked: BlockedDisclosure[];
	handoff: string | undefined;
	/** Fired actions whose written-back fields the answer waits for. */
	awaited: LimitedDecision[];
}

/** One turn, for one stored message: a list of named steps. */
async function takeTurn(
	ctx: AppContext,
	workspaceId: string,
	message: ReceivedMessage,
	lease: TurnLease,
	request: { directAnswer: boolean; waitMs?: number; releasesLease?: boolean },
): Promise<ChatResult> {
	const loaded = await loadTurnState(ctx, workspaceId, message);
	// The contact was erased while the message waited: nothing is left to answer or to write.
	if (!loaded) throw notFound('conversation', message.conversationId);
	const state: TurnState = { ...loaded, directAnswer: request.directAnswer, waitMs: request.waitMs };
	// The last turn of the holder gives the lease back in its own transaction, unless the answer waits for a workflow.
	const releaseIn = async (trx: Queryable, waiting: boolean) => (request.releasesLease && !waiting ? lease.releaseIn(trx) : undefined);
	if (state.quiet || !state.agent) {
		const answer = quietAnswer(state);
		const released = await ctx.store.db.transaction().execute(async (trx) => {
			await touchConversation(trx, workspaceId, state.conversation.id);
			await answerMessage(trx, workspaceId, message.id, answer);
			return releaseIn(trx, false);
		});
		released?.();
		return answer;
	}
	const agent = state.agent;
	const run = await runEngine(ctx, workspaceId, agent, state);
	const plan = await planTurn(ctx, workspaceId, agent, state, run.outcome);
	let queued = 0;
	const { answer, waits, released } = await ctx.store.db.transaction().execute(async (trx) => {
		const timeline = new TimelineBatch(workspaceId, state.conversation.id);
		const status = await persistTurn(trx, timeline, workspaceId, state, run, plan);
		const published = await publishDecisions(trx, timeline, ctx, workspaceId, agent, state, run.outcome, plan);
		queued = published.queued;
		const final = await settleStatus(trx, ctx, workspaceId, state, run.outcome, plan, status);
		queued += final.queued;
		const answer: ChatResult = {
			conversation: { id: state.conversation.id, status: final.status, channel: state.conversation.channel },
			contact: { id: state.contact.id },
			message: { id: message.id },
			reply: published.reply ? { id: published.reply.id, text: published.reply.text } : null,
			actions: published.actions,
		};
		await timeline.write(trx);
		await answerMessage(trx, workspaceId, message.id, answer);
		return { answer, waits: published.waits, released: await releaseIn(trx, published.waits.length > 0) };
	});
	released?.();
	if (queued > 0) ctx.deliveriesQueued();
	if (!waits.length) return answer;
	// The turn is committed and its events are on their way; the answer now waits for the workflows' results.
	await lease.extendFor(Math.max(...waits.map((w) => Date.parse(w.deadline))) - Date.now());
	const waited = { ...answer, ...(await answerAfterWaiting(ctx, workspaceId, agent, answer, waits, plan.decisions, state.directAnswer)) };
	await answerMessage(ctx.store.db, workspaceId, message.id, waited);
	return waited;
}

async function loadTurnState(ctx: AppContext, workspaceId: string, message: ReceivedMessage): Promise<Omit<TurnState, 'directAnswer'> | undefined> {
	const { db } = ctx.store;
	const conversation = await getConversation(db, workspaceId, message.conversationId);
	const contact = conversation && (await getContact(db, workspaceId, conversation.contactId));
	if (!conversation || !contact) return undefined;
	const agent = (await ctx.agentsFor(workspaceId)).get(conversation.agentId);
	const transcript = await engineTranscript(db, workspaceId, conversation.id, { answeredOnly: true });
	const causation = await resolveCausation(db, workspaceId, message.causationEventId ?? undefined);
	const resumes = conversation.status === 'human' && quietPeriodOver(agent, conversation);
	const quiet = !agent
		? 'the agent no longer exists'
		: conversation.status === 'ended'
			? 'the conversation has ended'
			: conversation.status === 'human' && !resumes
				? 'a human handles this conversation'
				: null;
	return { message, conversation, contact, agent, transcript, causation, resumes, quiet };
}

/** The answer of a message the bot does not answer: recorded, nothing said. */
function quietAnswer(state: TurnState): ChatResult {
	return {
		conversation: { id: state.conversation.id, status: state.conversation.status, channel: state.conversation.channel },
		contact: { id: state.contact.id },
		message: { id: state.message.id },
		reply: null,
		actions: [],
	};
}

/** Runs the engine within the model budget; a failure never breaks the conversation (fallback, with the reason). */
async function runEngine(ctx: AppContext, workspaceId: string, agent: AgentConfig, state: TurnState): Promise<EngineRun> {
	const { conversation } = state;
	const input = {
		agent,
		contact: snapshot(state.contact),
		conversation: { id: conversation.id, channel: conversation.channel, collected: conversation.collected, firedActions: conversation.firedActions, turn: conversation.turnCount + 1 },
		transcript: state.transcript,
		message: state.message.text,
	};
	const budget = await budgetExhausted(ctx, workspaceId, agent, conversation);
	// No model call past the budget: the rules answer the turn, and say so.
	if (budget) return { outcome: fallbackOutcome(input, budget) };
	try {
		return { outcome: await ctx.engine.runTurn(input) };
	} catch (err) {
		// Engines never throw by contract; if one does, the rules still answer and the timeline says why.
		const engineError = err instanceof Error ? err.message : String(err);
		return { engineError, outcome: fallbackOutcome(input, `engine error: ${engineError}`) };
	}
}

/** Applies the server's limits to the actions and passes the reply through the disclosure guard. */
async function planTurn(ctx: AppContext, workspaceId: string, agent: AgentConfig, state: TurnState, outcome: TurnOutcome): Promise<TurnPlan> {
	const decisions = await applyActionLimits(ctx.store.db, workspaceId, agent, state.conversation.id, outcome.actions);
	const contact = applyUpdates(snapshot(state.contact), outcome.contactUpdates ?? { standard: {}, custom: {} });
	const { text, blocked, unknown } = engineReply(agent, contact, outcome.reply, outcome.replyTemplate);
	const handoff = blocked.length ? disclosureHandoffReason(blocked) : outcome.handoff;
	const awaited = handoff || outcome.end ? [] : decisions.filter((d) => d.fired && agent.actions.find((a) => a.id === d.actionId)?.expects);
	const fitted = formatForChannel(text, state.conversation.channel);
	return { decisions, replyText: fitted.text, channelFormat: fitted.changes, unfilledMergeFields: unknown, blocked, handoff, awaited };
}

/** Writes the turn's understanding: contact changes and conversation state merged into the stored rows, and why. */
async function persistTurn(trx: Queryable, timeline: TimelineBatch, workspaceId: string, state: TurnState, run: EngineRun, plan: TurnPlan): Promise<string> {
	const { outcome } = run;
	const conversationId = state.conversation.id;
	const updates = outcome.contactUpdates ?? { standard: {}, custom: {} };
	if (hasContactChanges(updates)) await updateContact(trx, workspaceId, state.contact.id, updates);
	if (state.resumes) await release(trx, workspaceId, conversationId, 'quiet period over', 'agent');
	if (run.engineError) timeline.add('engine.failed', { error: run.engineError, fallback: true });
	if (outcome.fallback) {
		timeline.add('engine.fallback', {
			reason: outcome.fallback,
			...(outcome.fallbackDetail ? { detail: outcome.fallbackDetail } : {}),
			reply: plan.replyText,
			...(outcome.replySource ? { replySource: outcome.replySource } : {}),
		});
	}
	// Values the model offered that the contact's words do not support: never stored, never fire anything.
	if (outcome.rejected?.length) timeline.add('fields.rejected', { rejected: outcome.rejected });
	if (Object.keys(outcome.collected).length > 0 || hasContactChanges(updates)) {
		timeline.add('fields.updated', {
			by: 'agent',
			collected: outcome.collected,
			contact: { standard: updates.standard ?? {}, custom: updates.custom ?? {} },
		});
	}
	const updated = await applyTurn(trx, workspaceId, conversationId, {
		collected: outcome.collected,
		fired: plan.decisions.filter((d) => d.fired).map((d) => d.actionId),
		intent: outcome.intent ?? null,
		sentiment: outcome.sentiment ?? null,
		summary: outcome.summary ?? null,
		modelCalls: outcome.modelCalls,
		modelRequests: outcome.modelRequests ?? outcome.modelCalls,
	});
	return updated.status;
}

/** Events for the fired actions (or why not), the waits they start, the agent's tags, and the reply. */
async function publishDecisions(
	trx: Queryable,
	timeline: TimelineBatch,
	ctx: AppContext,
	workspaceId: string,
	agent: AgentConfig,
	state: TurnState,
	outcome: TurnOutcome,
	plan: TurnPlan,
): Promise<{ queued: number; actions: ChatResult['actions']; waits: Wait[]; reply: { id: string; text: string } | null }> {
	const conversationId = state.conversation.id;
	const { causation } = state;
	// The reply is part of the transcript the events carry; its timeline entry follows the decisions.
	const reply = plan.awaited.length ? null : await insertMessage(trx, workspaceId, conversationId, { role: 'agent', source: 'engine', text: plan.replyText });
	// Read only when an event is published: most turns publish none.
	let stored: Promise<EnvelopeContext> | undefined;
	const contextNow = () => (stored ??= envelopeContextFor(trx, ctx, workspaceId, conversationId, causation).then((c) => c.context));
	const actions: ChatResult['actions'] = [];
	const waits: Wait[] = [];
	let queued = 0;
	for (const decision of plan.decisions) {
		if (!decision.fired) {
			if (decision.cooldown && causation.parentEventId) {
				// Re-fired inside its cooldown by a workflow chain (the contact did not ask again): a loop, locked.
				await recordLoopBlocked(trx, workspaceId, conversationId, {
					eventType: 'agent.action.triggered',
					actionId: decision.actionId,
					causation,
					reason: decision.reason,
					chain: await causationChain(trx, workspaceId, causation.parentEventId, ctx.maxCausationDepth + 1),
				});
			}
			timeline.add(decision.suppressed ? 'action.suppressed' : 'action.not_fired', {
				actionId: decision.actionId,
				name: decision.name,
				reason: decision.reason,
			});
			actions.push({ actionId: decision.actionId, name: decision.name, fired: false, reason: decision.reason });
			continue;
		}
		const config = agent.actions.find((a) => a.id === decision.actionId);
		const envelope = buildEnvelope('agent.action.triggered', await contextNow(), {
			action: { id: decision.actionId, name: decision.name, condition: decision.reason, description: config?.description ?? '', fields: decision.fields ?? {} },
		});
		const published = await publishEvent(trx, envelope, {
			maxDepth: ctx.maxCausationDepth,
			...(config?.cooldownSeconds ? { cooldownMs: config.cooldownSeconds * 1000 } : {}),
		});
		if (!published.published) {
			actions.push({ actionId: decision.actionId, name: decision.name, fired: false, reason: published.reason });
			continue;
		}
		queued += published.deliveries;
		timeline.add('action.fired', {
			actionId: decision.actionId,
			name: decision.name,
			reason: decision.reason,
			eventId: envelope.id,
			deliveries: published.deliveries,
			...(decision.fields && Object.keys(decision.fields).length ? { fields: decision.fields } : {}),
			...(config?.expects ? { awaits: config.expects.fields, timeoutMs: config.expects.timeoutMs } : {}),
		});
		actions.push({ actionId: decision.actionId, name: decision.name, fired: true, reason: decision.reason, eventId: envelope.id, ...(decision.fields ? { fields: decision.fields } : {}) });
		if (config?.expects && plan.awaited.includes(decision)) {
			waits.push(newWait(config.id, envelope.id, config.expects.fields, config.expects.timeoutMs, Date.now(), state.waitMs));
		}
	}
	await addWaits(trx, workspaceId, conversationId, waits);
	if (outcome.tags?.length) {
		const tagged = await addTagsWithEvents(trx, ctx, workspaceId, state.contact.id, outcome.tags, { context: await contextNow(), causation, addedBy: 'agent', why: 'tag rule' });
		queued += tagged?.queued ?? 0;
	}
	if (reply) {
		const outgoing = state.directAnswer ? {} : outgoingDetail(await publishOutgoing(trx, ctx, workspaceId, conversationId, reply, causation));
		const entry = messageEntry(reply, {
			...(plan.unfilledMergeFields.length ? { unfilledMergeFields: plan.unfilledMergeFields } : {}),
			...(plan.channelFormat.length ? { channelFormat: plan.channelFormat } : {}),
			...outgoing,
		});
		timeline.add(entry.kind, entry.detail);
	}
	if (plan.blocked.length) timeline.add('disclosure.blocked', { fields: plan.blocked });
	return { queued, actions, waits, reply };
}

/** Hands off or ends the conversation when the turn decided so; returns its status after the turn. */
async function settleStatus(
	trx: Queryable,
	ctx: AppContext,
	workspaceId: string,
	state: TurnState,
	outcome: TurnOutcome,
	plan: TurnPlan,
	status: string,
): Promise<{ status: string; queued: number }> {
	const conversationId = state.conversation.id;
	if (plan.handoff) {
		return { status: 'human', queued: await handOff(trx, ctx, workspaceId, conversationId, plan.handoff, 'agent', state.causation) };
	}
	if (outcome.end) {
		const ended = await endConversation(trx, ctx, workspaceId, conversationId, { ...outcome.end, by: 'agent' }, state.causation);
		return { status: 'ended', queued: ended?.queued ?? 0 };
	}
	return { status, queued: 0 };
}

/** Why the model may not be called for this turn, or null. Only a model engine spends budget. */
export async function budgetExhausted(ctx: AppContext, workspaceId: string, agent: AgentConfig, conversation: Conversation | undefined): Promise<string | null> {
	if (ctx.engine.kind !== 'model') return null;
	const perConversation = agent.limits?.modelCallsPerConversation;
	if (perConversation !== undefined && (conversation?.modelCalls ?? 0) >= perConversation) {
		return `model budget of ${perConversation} calls per conversation reached`;
	}
	const perWorkspace = ctx.conversations?.modelBudgetPerWorkspace;
	if (perWorkspace !== undefined && (await workspaceModelCalls(ctx.store.db, workspaceId)) >= perWorkspace) {
		return `workspace model budget of ${perWorkspace} calls reached`;
	}
	return null;
}

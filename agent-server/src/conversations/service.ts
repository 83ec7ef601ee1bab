// Chat orchestration: load the state, ask the engine for the turn, then persist everything it decided in one
// transaction (messages, contact updates, conversation state, timeline, outbox events and deliveries).
import type { AgentConfig } from '../engine/agent-config';
import { render } from '../engine/templates';
import { disclosureHandoffReason, guardDisclosure } from '../engine/conduct';
import { applyUpdates } from '../engine/fields';
import { offlineOutcome } from '../engine/offline';
import type { ActionDecision, TranscriptEntry, TurnInput, TurnOutcome } from '../engine/types';
import type { AppContext } from '../context';
import { buildEnvelope, causationChain, publishEvent, resolveCausation } from '../events/publish';
import { addAgentTags, endConversation, envelopeContextFor, handOff, insertHumanReply, quietPeriodOver, release } from './lifecycle';
import { awaitFields, composeWithResult, handOffForDisclosure, holdingReply, newWait } from './waits';
import { getContact, insertContact, snapshot, updateContact, type Contact, type StandardField } from '../store/contacts';
import {
	addModelCalls,
	addTimeline,
	getConversation,
	insertConversation,
	insertMessage,
	listMessages,
	listTimeline,
	toTranscript,
	touchConversation,
	updateConversationAfterTurn,
	setWaits,
	workspaceModelCalls,
	type Conversation,
	type Wait,
	type Message,
	type TimelineEntry,
} from '../store/conversations';
import { HttpError, notFound } from '../util/http-error';
import { newId, nowIso } from '../util/ids';
import { parseJson } from '../util/json';

export interface ChatInput {
	agentId: string;
	text: string;
	conversationId?: string;
	contactId?: string;
	contact?: Partial<Record<StandardField, string>>;
	channel?: string;
}

export interface ChatResult {
	conversation: { id: string; status: string; channel: string };
	contact: { id: string };
	/** null while a human handles the conversation (the bot says nothing). */
	reply: { id: string; text: string } | null;
	actions: (ActionDecision & { eventId?: string })[];
	/** Present when the answer waited for fields a fired workflow writes back. */
	waited?: { fields: string[]; arrived: boolean; waitedMs: number };
}

const DEFAULT_FALLBACK = "Sorry, I'm having a little trouble right now. Could you say that again in a moment?";

export async function agentOrThrow(ctx: AppContext, workspaceId: string, agentId: string): Promise<AgentConfig> {
	const agent = (await ctx.agentsFor(workspaceId)).get(agentId);
	if (!agent) throw notFound('agent', agentId);
	return agent;
}

export async function chat(ctx: AppContext, workspaceId: string, input: ChatInput, causationHeader?: string): Promise<ChatResult> {
	const { db } = ctx.store;
	const agent = await agentOrThrow(ctx, workspaceId, input.agentId);

	let conversation: Conversation | undefined;
	let contact: Contact | undefined;
	if (input.conversationId) {
		conversation = await getConversation(db, workspaceId, input.conversationId);
		if (!conversation) throw notFound('conversation', input.conversationId);
		if (conversation.agentId !== agent.id) {
			throw new HttpError(400, `conversation ${conversation.id} belongs to agent ${conversation.agentId}, not ${agent.id}`);
		}
		if (input.contactId && input.contactId !== conversation.contactId) {
			throw new HttpError(400, `conversation ${conversation.id} belongs to contact ${conversation.contactId}, not ${input.contactId}`);
		}
		if (conversation.status === 'ended') throw new HttpError(409, `conversation ${conversation.id} has ended; start a new one`);
		contact = await getContact(db, workspaceId, conversation.contactId);
		if (!contact) throw notFound('contact', conversation.contactId);
	} else if (input.contactId) {
		contact = await getContact(db, workspaceId, input.contactId);
		if (!contact) throw notFound('contact', input.contactId);
	}

	const causation = await resolveCausation(db, workspaceId, causationHeader);
	// While a human handles the conversation the bot only records what the contact says.
	const resumes = conversation?.status === 'human' && quietPeriodOver(agent, conversation);
	if (conversation?.status === 'human' && !resumes) return recordWhileHuman(ctx, workspaceId, conversation, input.text);

	const isNewContact = !contact;
	const at = nowIso();
	const givenStandard = input.contact ?? {};
	const working: Contact = contact
		? { ...contact, ...givenStandard }
		: {
				id: newId('ct'),
				firstName: givenStandard.firstName ?? null,
				lastName: givenStandard.lastName ?? null,
				email: givenStandard.email ?? null,
				phone: givenStandard.phone ?? null,
				customFields: {},
				tags: [],
				createdAt: at,
				updatedAt: at,
				writtenAt: {},
			};
	const conversationId = conversation?.id ?? newId('conv');
	const channel = conversation?.channel ?? input.channel ?? 'api';
	const expectedTurnCount = conversation?.turnCount ?? 0;
	const collectedBefore = conversation?.collected ?? {};
	const firedBefore = conversation?.firedActions ?? [];
	const transcript = conversation ? toTranscript(await listMessages(db, workspaceId, conversation.id)) : [];
	const turnInput: TurnInput = {
		agent,
		contact: snapshot(working),
		conversation: { id: conversationId, channel, collected: collectedBefore, firedActions: firedBefore, turn: expectedTurnCount + 1 },
		transcript,
		message: input.text,
	};

	const budget = await budgetExhausted(ctx, workspaceId, agent, conversation);
	let outcome: TurnOutcome;
	let engineError: string | undefined;
	if (budget) {
		// No model call: deterministic understanding, and the fallback reply says the agent cannot answer fully now.
		outcome = { ...offlineOutcome(turnInput), modelCalls: 0, fallback: budget };
		if (!outcome.handoff && !outcome.end) outcome.reply = agent.replies.fallback ?? DEFAULT_FALLBACK;
	} else {
		try {
			outcome = await ctx.engine.runTurn(turnInput);
		} catch (err) {
			// The conversation never breaks: answer with the fallback and record why.
			engineError = err instanceof Error ? err.message : String(err);
			outcome = {
				reply: agent.replies.fallback ?? DEFAULT_FALLBACK,
				collected: {},
				contactUpdates: { standard: {}, custom: {} },
				intent: null,
				sentiment: 'neutral',
				summary: conversation?.summary ?? '',
				actions: [],
				modelCalls: 0,
			};
		}
	}

	const decisions = await applyActionLimits(ctx, workspaceId, agent, conversationId, outcome.actions);
	const updatedContact = applyUpdates(snapshot(working), outcome.contactUpdates ?? { standard: {}, custom: {} });
	const rendered = render(outcome.reply, {
		contact: updatedContact,
		agent: { id: agent.id, name: agent.name },
		variables: agent.variables,
		collected: { ...collectedBefore, ...outcome.collected },
	});
	const { text: replyText, blocked } = guardDisclosure(agent, updatedContact, outcome.reply, rendered.text);
	const handoff = blocked.length ? disclosureHandoffReason(blocked) : outcome.handoff;
	const awaited = handoff || outcome.end ? [] : decisions.filter((d) => d.fired && agent.actions.find((a) => a.id === d.actionId)?.expects);

	let queued = 0;
	const result = await db.transaction().execute(async (trx) => {
		let stored: Contact = isNewContact
			? { ...(await insertContact(trx, workspaceId, { id: working.id, standard: givenStandard })) }
			: Object.keys(givenStandard).length > 0
				? await updateContact(trx, workspaceId, contact!, { standard: givenStandard })
				: contact!;
		const updates = outcome.contactUpdates ?? { standard: {}, custom: {} };
		const hasUpdates = Object.keys(updates.standard ?? {}).length > 0 || Object.keys(updates.custom ?? {}).length > 0;
		if (hasUpdates) stored = await updateContact(trx, workspaceId, stored, updates);

		if (!conversation) await insertConversation(trx, workspaceId, { id: conversationId, agentId: agent.id, contactId: stored.id, channel });
		if (resumes) await release(trx, workspaceId, conversationId, 'quiet period over', 'agent');

		const contactMessage = await insertMessage(trx, workspaceId, conversationId, { role: 'contact', source: 'api', text: input.text });
		await addTimeline(trx, workspaceId, conversationId, 'message', { messageId: contactMessage.id, role: 'contact', text: input.text });
		if (engineError) await addTimeline(trx, workspaceId, conversationId, 'engine.failed', { error: engineError, fallback: true });
		if (outcome.fallback) await addTimeline(trx, workspaceId, conversationId, 'engine.fallback', { reason: outcome.fallback, reply: replyText });

		const collected = { ...collectedBefore, ...outcome.collected };
		if (Object.keys(outcome.collected).length > 0 || hasUpdates) {
			await addTimeline(trx, workspaceId, conversationId, 'fields.updated', {
				by: 'agent',
				collected: outcome.collected,
				contact: { standard: updates.standard ?? {}, custom: updates.custom ?? {} },
			});
		}

		const reply = awaited.length ? null : await insertMessage(trx, workspaceId, conversationId, { role: 'agent', source: 'engine', text: replyText });
		const fired = decisions.filter((d) => d.fired).map((d) => d.actionId);
		const next = {
			collected,
			firedActions: [...new Set([...firedBefore, ...fired])],
			turnCount: expectedTurnCount + 1,
			intent: outcome.intent ?? conversation?.intent ?? null,
			sentiment: outcome.sentiment ?? null,
			summary: outcome.summary ?? null,
			status: 'active',
		};
		if (!(await updateConversationAfterTurn(trx, workspaceId, conversationId, expectedTurnCount, next))) {
			throw new HttpError(409, `conversation ${conversationId} received another message at the same time; send this one again`);
		}
		await addModelCalls(trx, workspaceId, conversationId, outcome.modelCalls);

		const { context } = await envelopeContextFor(trx, ctx, workspaceId, conversationId, causation);
		const actions: ChatResult['actions'] = [];
		const waits: Wait[] = [];
		for (const decision of decisions) {
			if (!decision.fired) {
				if (decision.cooldown && causation.parentEventId) {
					// Re-fired inside its cooldown by a workflow chain (the contact did not ask again): a loop, locked.
					await addTimeline(trx, workspaceId, conversationId, 'loop.blocked', {
						label: 'loop locked',
						eventType: 'agent.action.triggered',
						actionId: decision.actionId,
						parentEventId: causation.parentEventId,
						depth: causation.depth,
						reason: decision.reason,
						chain: await causationChain(trx, workspaceId, causation.parentEventId, ctx.maxCausationDepth + 1),
					});
				}
				await addTimeline(trx, workspaceId, conversationId, decision.suppressed ? 'action.suppressed' : 'action.not_fired', {
					actionId: decision.actionId,
					name: decision.name,
					reason: decision.reason,
				});
				actions.push({ actionId: decision.actionId, name: decision.name, fired: false, reason: decision.reason });
				continue;
			}
			const config = agent.actions.find((a) => a.id === decision.actionId);
			const envelope = buildEnvelope('agent.action.triggered', context, {
				action: { id: decision.actionId, name: decision.name, condition: decision.reason, description: config?.description ?? '' },
			});
			const published = await publishEvent(trx, envelope, {
				maxDepth: ctx.maxCausationDepth,
				...(config?.cooldownSeconds ? { cooldownMs: config.cooldownSeconds * 1000 } : {}),
			});
			if (published.published) {
				queued += published.deliveries;
				await addTimeline(trx, workspaceId, conversationId, 'action.fired', {
					actionId: decision.actionId,
					name: decision.name,
					reason: decision.reason,
					eventId: envelope.id,
					deliveries: published.deliveries,
					...(config?.expects ? { awaits: config.expects.fields, timeoutMs: config.expects.timeoutMs } : {}),
				});
				actions.push({ actionId: decision.actionId, name: decision.name, fired: true, reason: decision.reason, eventId: envelope.id });
				if (config?.expects && awaited.includes(decision)) {
					waits.push(newWait(config.id, envelope.id, config.expects.fields, config.expects.timeoutMs));
				}
			} else {
				actions.push({ actionId: decision.actionId, name: decision.name, fired: false, reason: published.reason });
			}
		}
		if (waits.length) await setWaits(trx, workspaceId, conversationId, [...(conversation?.waits ?? []), ...waits]);
		if (outcome.tags?.length) queued += await addAgentTags(trx, ctx, workspaceId, conversationId, outcome.tags, causation, 'tag rule');
		if (reply) {
			await addTimeline(trx, workspaceId, conversationId, 'message', {
				messageId: reply.id,
				role: 'agent',
				source: 'engine',
				text: reply.text,
				...(rendered.unknown.length ? { unfilledMergeFields: rendered.unknown } : {}),
			});
		}
		if (blocked.length) await addTimeline(trx, workspaceId, conversationId, 'disclosure.blocked', { fields: blocked });
		let status = next.status;
		if (handoff) {
			await handOff(trx, workspaceId, conversationId, handoff, 'agent');
			status = 'human';
		} else if (outcome.end) {
			const ended = await endConversation(trx, ctx, workspaceId, conversationId, { ...outcome.end, by: 'agent' }, causation);
			queued += ended?.queued ?? 0;
			status = 'ended';
		}
		return {
			conversation: { id: conversationId, status, channel },
			contact: { id: stored.id },
			reply: reply ? { id: reply.id, text: reply.text } : null,
			actions,
			waits,
		};
	});
	if (queued > 0) ctx.deliveriesQueued();
	const { waits, ...answer } = result;
	if (!waits.length) return answer;
	return { ...answer, ...(await answerAfterWaiting(ctx, workspaceId, agent, answer, waits, decisions)) };
}

/** Waits for the fired actions' results (the turn is already committed and its events are on their way). */
async function answerAfterWaiting(
	ctx: AppContext,
	workspaceId: string,
	agent: AgentConfig,
	answer: Omit<ChatResult, 'waited'>,
	waits: Wait[],
	decisions: ActionDecision[],
): Promise<Pick<ChatResult, 'reply' | 'conversation' | 'waited'>> {
	const { db } = ctx.store;
	const conversationId = answer.conversation.id;
	const deadline = Math.max(...waits.map((w) => Date.parse(w.deadline)));
	const started = Date.now();
	const arrived = await awaitFields(ctx, workspaceId, answer.contact.id, waits, deadline);
	const contact = arrived ?? (await getContact(db, workspaceId, answer.contact.id))!;
	const { text, blocked } = arrived
		? await composeWithResult(db, agent, workspaceId, conversationId, arrived, decisions)
		: { text: holdingReply(agent, waits[0].actionId, contact), blocked: [] };
	let queued = 0;
	const result = await db.transaction().execute(async (trx) => {
		const fresh = await getConversation(trx, workspaceId, conversationId);
		const others = (fresh?.waits ?? []).filter((w) => !waits.some((x) => x.eventId === w.eventId));
		await setWaits(trx, workspaceId, conversationId, arrived ? others : [...others, ...waits.map((w) => ({ ...w, state: 'late' as const }))]);
		await addTimeline(trx, workspaceId, conversationId, arrived ? 'wait.fulfilled' : 'wait.timed_out', {
			actions: waits.map((w) => w.actionId),
			fields: waits.flatMap((w) => w.fields),
			waitedMs: Date.now() - started,
		});
		const message = await insertMessage(trx, workspaceId, conversationId, { role: 'agent', source: 'engine', text });
		await touchConversation(trx, workspaceId, conversationId);
		await addTimeline(trx, workspaceId, conversationId, 'message', { messageId: message.id, role: 'agent', source: 'engine', text });
		let status = fresh?.status ?? answer.conversation.status;
		if (blocked.length) {
			await handOffForDisclosure(trx, workspaceId, conversationId, blocked);
			status = 'human';
		}
		if (!arrived) {
			// The action's fallback: a tag and/or a human, recorded on the timeline.
			const fallback = agent.actions.find((a) => a.id === waits[0].actionId)?.expects?.onTimeout;
			if (fallback?.tag) queued += await addAgentTags(trx, ctx, workspaceId, conversationId, [fallback.tag], { depth: 0, parentEventId: null }, 'workflow result timed out');
			if (fallback?.handoff) {
				await handOff(trx, workspaceId, conversationId, 'workflow result timed out', 'agent');
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

/** The contact wrote while a human handles the conversation: record it, say nothing. */
async function recordWhileHuman(ctx: AppContext, workspaceId: string, conversation: Conversation, text: string): Promise<ChatResult> {
	return ctx.store.db.transaction().execute(async (trx) => {
		const message = await insertMessage(trx, workspaceId, conversation.id, { role: 'contact', source: 'api', text });
		await touchConversation(trx, workspaceId, conversation.id);
		await addTimeline(trx, workspaceId, conversation.id, 'message', { messageId: message.id, role: 'contact', text, botQuiet: 'a human handles this conversation' });
		return {
			conversation: { id: conversation.id, status: conversation.status, channel: conversation.channel },
			contact: { id: conversation.contactId },
			reply: null,
			actions: [],
		};
	});
}

/** Why the model may not be called for this turn, or null. Only a model engine spends budget. */
async function budgetExhausted(ctx: AppContext, workspaceId: string, agent: AgentConfig, conversation: Conversation | undefined): Promise<string | null> {
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

type Decision = ActionDecision & { suppressed?: boolean; cooldown?: boolean };

/**
 * The server owns the clock and the counts: it drops decisions for actions the agent does not have, and
 * holds back a fired action inside its cooldown or past the per-conversation trigger limit.
 */
async function applyActionLimits(
	ctx: AppContext,
	workspaceId: string,
	agent: AgentConfig,
	conversationId: string,
	decisions: ActionDecision[],
): Promise<Decision[]> {
	const known = decisions.filter((d) => agent.actions.some((a) => a.id === d.actionId));
	if (!known.some((d) => d.fired)) return known;
	const past = await ctx.store.db
		.selectFrom('events')
		.select(['envelope', 'created_at'])
		.where('workspace_id', '=', workspaceId)
		.where('conversation_id', '=', conversationId)
		.where('type', '=', 'agent.action.triggered')
		.execute();
	const firedAt = past.map((row) => ({
		actionId: parseJson<{ action?: { id?: string } }>(row.envelope, {}).action?.id,
		at: Date.parse(row.created_at),
	}));
	const limit = agent.limits?.workflowTriggersPerConversation;
	let count = firedAt.length;
	const now = Date.now();
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
			return { ...d, fired: false, suppressed: true, reason: `workflow trigger limit of ${limit} per conversation reached` };
		}
		count += 1;
		return d;
	});
}

/** What the API shows of a conversation: its state (less the engine's bookkeeping), messages and timeline. */
export interface ConversationDetail
	extends Pick<
		Conversation,
		'id' | 'agentId' | 'contactId' | 'channel' | 'status' | 'collected' | 'intent' | 'sentiment' | 'summary' | 'modelCalls' | 'ending' | 'waits'
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
		messages: await listMessages(db, workspaceId, id),
		timeline: await listTimeline(db, workspaceId, id),
	};
}

export interface ReplyInput {
	text?: string;
	instructions?: string;
	/** Skip when the contact wrote after this time. */
	onlyIfNoReplySince?: string;
	/** Skip while a human handles the conversation. */
	skipIfHuman?: boolean;
}

export type ReplyResult = { message: Message } | { skipped: true; reason: string };

interface ComposedText {
	text: string;
	unknown: string[];
	modelCalls: number;
	/** Why the instructions were sent as written instead of by the model (budget), for the timeline. */
	fallback?: string;
}

/**
 * The message a workflow sends: its literal text, or its instructions turned into a message in the agent's persona
 * (one model call, counted like a turn's); merge fields are filled in either way. Past the model budget the
 * instructions are sent as written; a model failure sends nothing and answers 503, so the workflow can retry.
 */
async function messageText(
	ctx: AppContext,
	workspaceId: string,
	agent: AgentConfig | undefined,
	agentId: string,
	conversation: Conversation | undefined,
	contact: Contact | undefined,
	transcript: TranscriptEntry[],
	input: { text?: string; instructions?: string },
): Promise<ComposedText> {
	let template = input.text ?? '';
	let modelCalls = 0;
	let fallback: string | undefined;
	if (input.instructions !== undefined) {
		template = input.instructions;
		fallback = agent ? ((await budgetExhausted(ctx, workspaceId, agent, conversation)) ?? undefined) : 'the agent no longer exists';
		if (agent && !fallback) {
			const composed = await ctx.engine.composeMessage({ agent, contact: contact ? snapshot(contact) : null, instructions: input.instructions, transcript });
			if (composed.failure) throw new HttpError(503, `the agent could not turn the instructions into a message (${composed.failure}); try again, or send text`);
			template = composed.text;
			modelCalls = composed.modelCalls;
		}
	}
	const rendered = render(template, {
		contact: contact ? snapshot(contact) : null,
		agent: agent ? { id: agent.id, name: agent.name } : { id: agentId },
		variables: agent?.variables ?? {},
		collected: conversation?.collected ?? {},
	});
	if (rendered.text.trim() === '') throw new HttpError(400, 'body/text is empty once merge fields are filled in');
	return { ...rendered, modelCalls, ...(fallback ? { fallback } : {}) };
}

/** A workflow (or an API client) speaks as the agent; merge fields are filled from the stored contact. */
export async function replyToConversation(
	ctx: AppContext,
	workspaceId: string,
	conversationId: string,
	input: ReplyInput,
	causationHeader?: string,
): Promise<ReplyResult> {
	const { db } = ctx.store;
	const conversation = await getConversation(db, workspaceId, conversationId);
	if (!conversation) throw notFound('conversation', conversationId);
	const messages = await listMessages(db, workspaceId, conversationId);
	const skip = skipReason(conversation, messages, input);
	if (skip) {
		await addTimeline(db, workspaceId, conversationId, 'workflow.reply_skipped', { reason: skip, ...(causationHeader ? { causationEventId: causationHeader } : {}) });
		return { skipped: true, reason: skip };
	}
	const contact = await getContact(db, workspaceId, conversation.contactId);
	const agent = (await ctx.agentsFor(workspaceId)).get(conversation.agentId);
	const rendered = await messageText(ctx, workspaceId, agent, conversation.agentId, conversation, contact, toTranscript(messages), input);
	const source = causationHeader ? 'workflow' : 'api';
	return db.transaction().execute(async (trx) => {
		const message = await insertMessage(trx, workspaceId, conversationId, { role: 'agent', source, text: rendered.text });
		await touchConversation(trx, workspaceId, conversationId);
		await addModelCalls(trx, workspaceId, conversationId, rendered.modelCalls);
		await addTimeline(trx, workspaceId, conversationId, source === 'workflow' ? 'workflow.reply' : 'message', {
			messageId: message.id,
			role: 'agent',
			source,
			text: message.text,
			...(causationHeader ? { causationEventId: causationHeader } : {}),
			...(rendered.unknown.length ? { unfilledMergeFields: rendered.unknown } : {}),
			...(input.instructions !== undefined ? { instructions: input.instructions } : {}),
			...(rendered.fallback ? { sentAsWritten: rendered.fallback } : {}),
		});
		return { message };
	});
}

function skipReason(conversation: Conversation, messages: Message[], input: ReplyInput): string | undefined {
	if (input.skipIfHuman && (conversation.status === 'human' || messages.some((m) => m.role === 'human'))) {
		return 'a human is handling this conversation';
	}
	if (input.onlyIfNoReplySince) {
		const since = Date.parse(input.onlyIfNoReplySince);
		const reply = messages.find((m) => m.role === 'contact' && Date.parse(m.createdAt) > since);
		if (reply) return `the contact wrote at ${reply.createdAt}, after ${input.onlyIfNoReplySince}`;
	}
	return undefined;
}

export interface StartConversationInput {
	agentId: string;
	contactId: string;
	channel?: string;
	text?: string;
	instructions?: string;
}

/** The agent opens a new conversation with a known contact (follow-ups, re-engagement, check-ins). */
export async function startConversation(
	ctx: AppContext,
	workspaceId: string,
	input: StartConversationInput,
	causationHeader?: string,
): Promise<{ conversation: { id: string; status: string; channel: string }; message: Message }> {
	const { db } = ctx.store;
	const agent = await agentOrThrow(ctx, workspaceId, input.agentId);
	const contact = await getContact(db, workspaceId, input.contactId);
	if (!contact) throw notFound('contact', input.contactId);
	const channel = input.channel ?? 'api';
	const rendered = await messageText(ctx, workspaceId, agent, agent.id, undefined, contact, [], input);
	const source = causationHeader ? 'workflow' : 'api';
	return db.transaction().execute(async (trx) => {
		const conversation = await insertConversation(trx, workspaceId, { agentId: agent.id, contactId: contact.id, channel });
		await addModelCalls(trx, workspaceId, conversation.id, rendered.modelCalls);
		await addTimeline(trx, workspaceId, conversation.id, 'conversation.started', {
			by: source,
			...(causationHeader ? { causationEventId: causationHeader } : {}),
		});
		const message = await insertMessage(trx, workspaceId, conversation.id, { role: 'agent', source, text: rendered.text });
		await addTimeline(trx, workspaceId, conversation.id, source === 'workflow' ? 'workflow.reply' : 'message', {
			messageId: message.id,
			role: 'agent',
			source,
			text: message.text,
			...(rendered.unknown.length ? { unfilledMergeFields: rendered.unknown } : {}),
			...(input.instructions !== undefined ? { instructions: input.instructions } : {}),
			...(rendered.fallback ? { sentAsWritten: rendered.fallback } : {}),
		});
		return { conversation: { id: conversation.id, status: conversation.status, channel }, message };
	});
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
	await ctx.store.db.transaction().execute(async (trx) => {
		await handOff(trx, workspaceId, id, input.reason ?? 'handed off over the API', 'api');
		if (input.message) {
			const m = await insertMessage(trx, workspaceId, id, { role: 'agent', source: 'api', text: input.message });
			await addTimeline(trx, workspaceId, id, 'message', { messageId: m.id, role: 'agent', source: 'api', text: m.text });
		}
	});
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
	const message = await ctx.store.db.transaction().execute((trx) => insertHumanReply(trx, workspaceId, conversation, input.text, input.author));
	return { message };
}

export async function budgetView(ctx: AppContext, workspaceId: string) {
	const used = await workspaceModelCalls(ctx.store.db, workspaceId);
	const limit = ctx.conversations?.modelBudgetPerWorkspace ?? null;
	return { engine: ctx.engine.kind, modelCalls: { used, limit, remaining: limit === null ? null : Math.max(0, limit - used) } };
}

// A workflow (or an API client) speaks in a conversation: a reply as the agent, or a new conversation the agent
// opens; either as literal text or as instructions the model turns into a message in the agent's persona.
import type { AgentConfig } from '../engine/agent-config';
import type { TranscriptEntry } from '../engine/types';
import type { AppContext } from '../context';
import { resolveCausation } from '../events/publish';
import { getContact, snapshot, type Contact } from '../store/contacts';
import {
	addModelCalls,
	addTimeline,
	getConversation,
	insertConversation,
	listMessages,
	toTranscript,
	touchConversation,
	type Conversation,
	type Message,
} from '../store/conversations';
import { HttpError, notFound } from '../util/http-error';
import { agentText, type Outbound } from './outbound';
import { recordMessage, refuseUnlistedChannel } from './policies';
import { handOffForDisclosure } from './waits';
import { agentOrThrow, budgetExhausted } from './turn';

export interface ReplyInput {
	text?: string;
	instructions?: string;
	/** Skip when the contact wrote after this time. */
	onlyIfNoReplySince?: string;
	/** Skip while a human handles the conversation. */
	skipIfHuman?: boolean;
}

export type ReplyResult = { message: Message } | { skipped: true; reason: string };

interface ComposedText extends Outbound {
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
	const rendered = agentText(agent, contact ? snapshot(contact) : null, template, { collected: conversation?.collected ?? {}, agentId });
	if (rendered.text.trim() === '') throw new HttpError(400, 'body/text is empty once merge fields are filled in');
	return { ...rendered, modelCalls, ...(fallback ? { fallback } : {}) };
}

/**
 * A workflow (or an API client) speaks as the agent; merge fields are filled from the stored contact under the
 * disclosure rules: a text that would reveal a withheld field is replaced by the blocked message and a human takes over.
 */
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
		await touchConversation(trx, workspaceId, conversationId);
		await addModelCalls(trx, workspaceId, conversationId, rendered.modelCalls);
		const message = await recordMessage(trx, workspaceId, conversationId, { role: 'agent', source, text: rendered.text }, {
			...(causationHeader ? { causationEventId: causationHeader } : {}),
			...(rendered.unknown.length ? { unfilledMergeFields: rendered.unknown } : {}),
			...(input.instructions !== undefined ? { instructions: input.instructions } : {}),
			...(rendered.fallback ? { sentAsWritten: rendered.fallback } : {}),
		}, { directAnswer: false, ctx, causation: await resolveCausation(trx, workspaceId, causationHeader) });
		if (rendered.blocked.length) await handOffForDisclosure(trx, ctx, workspaceId, conversationId, rendered.blocked);
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
	refuseUnlistedChannel(agent, channel);
	const rendered = await messageText(ctx, workspaceId, agent, agent.id, undefined, contact, [], input);
	const source = causationHeader ? 'workflow' : 'api';
	return db.transaction().execute(async (trx) => {
		const conversation = await insertConversation(trx, workspaceId, { agentId: agent.id, contactId: contact.id, channel });
		await addModelCalls(trx, workspaceId, conversation.id, rendered.modelCalls);
		await addTimeline(trx, workspaceId, conversation.id, 'conversation.started', {
			by: source,
			...(causationHeader ? { causationEventId: causationHeader } : {}),
		});
		const message = await recordMessage(trx, workspaceId, conversation.id, { role: 'agent', source, text: rendered.text }, {
			...(rendered.unknown.length ? { unfilledMergeFields: rendered.unknown } : {}),
			...(input.instructions !== undefined ? { instructions: input.instructions } : {}),
			...(rendered.fallback ? { sentAsWritten: rendered.fallback } : {}),
		}, { directAnswer: false, ctx, causation: await resolveCausation(trx, workspaceId, causationHeader) });
		if (rendered.blocked.length) await handOffForDisclosure(trx, ctx, workspaceId, conversation.id, rendered.blocked);
		const status = rendered.blocked.length ? 'human' : conversation.status;
		return { conversation: { id: conversation.id, status, channel }, message };
	});
}


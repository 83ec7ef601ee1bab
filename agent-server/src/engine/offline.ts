// The offline rules engine: the embedded default when no model is configured. No network, fully deterministic.
import type { AgentConfig, ReplyRule } from './agent-config';
import { evaluateActions, evaluateTags } from './actions';
import { classifyIntent } from './classifier';
import { detectSentiment, extractAmount, extractFields, extractName, extractTimeline } from './extract';
import { applyUpdates, contactUpdatesFor, knownFields, nextMissingField, pendingField, ruleMatches } from './fields';
import { askedForWithheld, handoffReason, turnEnding } from './conduct';
import type { RejectedValue } from './grounding';
import { render } from './templates';
import type { ActionDecision, ContactSnapshot, Engine, ScoreInput, ScoreResult, TranscriptEntry, TurnInput, TurnOutcome } from './types';

function renderFor(agent: AgentConfig, contact: ContactSnapshot, collected: Record<string, string>, template: string): string {
	return render(template, { contact, agent, variables: agent.variables, collected }).text;
}

export interface ReplyInput {
	agent: AgentConfig;
	contact: ContactSnapshot; // with this turn's updates applied
	known: Record<string, string>; // field values known after this turn
	actions: ActionDecision[];
	transcript: TranscriptEntry[];
	turn: number;
	/** The message gave nothing the agent can use: acknowledge it before asking the same question again. */
	remark?: boolean;
}

/** Where a turn's reply comes from; `all_collected` is the one reply the rules have when they have nothing to say. */
export type ReplySource = 'disclosure' | 'handoff' | 'max_turns' | 'rule' | 'action' | 'question' | 'all_collected' | 'model' | 'fallback';

/** The first reply rule that matches the contact's stored fields and was not already said (for `once` rules). */
export function matchingRule(agent: AgentConfig, contact: ContactSnapshot, transcript: TranscriptEntry[], known: Record<string, string> = {}): ReplyRule | null {
	const said = new Set(transcript.filter((e) => e.role !== 'contact').map((e) => e.text));
	for (const rule of agent.replies.rules) {
		if (!ruleMatches(rule, contact)) continue;
		if (rule.once && said.has(renderFor(agent, contact, known, rule.text))) continue;
		return rule;
	}
	return null;
}

/**
 * The offline reply and where it comes from: the first matching reply rule; else the acknowledgement of an action
 * fired now; else (greeting on the first turn plus) the question for the next missing field, after a short "noted"
 * when the message gave nothing and the same question was just asked; else the all-collected reply.
 */
export function planReply(input: ReplyInput): PlannedReply {
	const reply = planReplyText(input);
	return { ...reply, template: reply.templates.join(' ') };
}

/** A reply and the templates it was rendered from, so the disclosure guard sees every field it reads. */
export interface PlannedReply {
	text: string;
	source: ReplySource;
	template: string;
}

function planReplyText(input: ReplyInput): { text: string; source: ReplySource; templates: string[] } {
	const { agent, contact, known, transcript } = input;
	const templates: string[] = [];
	const r = (template: string) => (templates.push(template), renderFor(agent, contact, known, template));
	const planned = plan();
	return { ...planned, templates };
	function plan(): { text: string; source: ReplySource } {
	const rule = matchingRule(agent, contact, transcript, known);
	if (rule) return { text: r(rule.text), source: 'rule' };
	const next = nextMissingField(agent, known, transcript);
	const fired = input.actions.find((a) => a.fired && agent.replies.actions[a.actionId]);
	if (fired) {
		const ack = r(agent.replies.actions[fired.actionId]);
		return { text: next?.required ? `${ack} ${r(next.question)}` : ack, source: 'action' };
	}
	const greeting = input.turn <= 1 && !transcript.some((e) => e.role !== 'contact') ? r(agent.replies.greeting) : '';
	if (!next) return { text: greeting ? `${greeting} ${r(agent.replies.allCollected)}` : r(agent.replies.allCollected), source: 'all_collected' };
	const question = r(next.question);
	const lastAgent = [...transcript].reverse().find((e) => e.role !== 'contact');
	const reasking = input.remark && lastAgent !== undefined && lastAgent.text.includes(question);
	const body = reasking ? `${r(agent.replies.noted)} ${question}` : question;
	return { text: greeting ? `${greeting} ${body}` : body, source: 'question' };
	}
}

/** The offline reply text (see planReply); the server calls it again after a workflow wrote fields back. */
export function composeReply(input: ReplyInput): string {
	return planReply(input).text;
}

// Services known by their initials take no article ("wants SEO", not "wants a seo").
const INITIALISMS = new Set(['seo', 'sem', 'ppc', 'crm', 'erp', 'cms', 'ui', 'ux', 'api', 'it']);

/** What the contact wants, as a summary says it: "a website", "an app", "SEO". */
function wanted(value: string): string {
	if (INITIALISMS.has(value.toLowerCase())) return value.toUpperCase();
	return `${/^[aeiou]/i.test(value) ? 'an' : 'a'} ${value}`;
}

/** A template summary, e.g. "Dana wants a website, budget $25,000, timeline within 1 month." */
export function summarize(agent: AgentConfig, contact: ContactSnapshot, known: Record<string, string>, intent: string | null): string {
	const who = [contact.firstName, contact.lastName].filter(Boolean).join(' ') || 'The contact';
	const parts: string[] = [];
	let wants: string | null = null;
	for (const field of agent.fields) {
		const value = known[field.name];
		if (value === undefined || field.mapsTo === 'contact.name' || field.mapsTo === 'contact.first_name' || field.mapsTo === 'contact.last_name') continue;
		if (field.extract.kind === 'keywords' && wants === null) wants = `wants ${wanted(value)}`;
		else parts.push(`${field.name.replace(/_/g, ' ')} ${value}`);
	}
	const head = wants ? `${who} ${wants}` : parts.length ? `${who} shared` : `${who} has not shared any details yet`;
	const body = wants ? [head, ...parts].join(', ') : parts.length ? `${head} ${parts.join(', ')}` : head;
	return `${body}.${intent ? ` Intent: ${intent.replace(/_/g, ' ')}.` : ''}`;
}

async function runOfflineTurn(input: TurnInput): Promise<TurnOutcome> {
	return offlineOutcome(input);
}

/** The whole offline turn; the model engine reuses it as its fallback and safety net. */
export function offlineOutcome(input: TurnInput, now?: Date): TurnOutcome {
	const { agent, contact, conversation, transcript, message } = input;
	const known0 = knownFields(agent, contact, conversation.collected);
	const pending = pendingField(agent, known0, transcript)?.name ?? null;
	const collected = extractFields(agent, message, { known: known0, pending, now });
	return decideTurn(input, collected, classifyIntent(agent, message).intent, detectSentiment(message));
}

export interface DecideOverrides {
	reply?: string; // the model's reply, used unless a rule must answer (disclosure, handoff, maximum turns)
	replyTemplate?: string; // the model's reply before its merge fields were filled
	summary?: string;
	modelCalls?: number;
	modelRequests?: number;
	fallback?: string;
	intentConfidence?: number;
	tags?: string[]; // tags the model judged by meaning, added to the rules' tags
	rejected?: RejectedValue[];
}

/** Everything after extraction: contact updates, actions, tags, reply and summary (shared by both engines). */
export function decideTurn(
	input: TurnInput,
	collected: Record<string, string>,
	intent: string | null,
	sentiment: TurnOutcome['sentiment'],
	overrides: DecideOverrides = {},
): TurnOutcome {
	const { agent, contact, conversation, transcript, message } = input;
	const known = { ...knownFields(agent, contact, conversation.collected), ...collected };
	const contactUpdates = contactUpdatesFor(agent, collected);
	const updated = applyUpdates(contact, contactUpdates);
	const intentConfidence = intent === null ? 0 : (overrides.intentConfidence ?? 1);
	const actions = evaluateActions({
		agent,
		known,
		collectedNow: collected,
		intent,
		intentConfidence,
		message,
		firedActions: conversation.firedActions,
		contact,
	});
	const explicit = handoffReason(agent, message, intent);
	// Asking for a field the contact may not be told now is a reason for a human too, with the blocked message.
	const asked = explicit ? null : askedForWithheld(agent, updated, message);
	const handoff = explicit ?? (asked ? `disclosure: contact asked for ${asked.field} (${asked.level})` : null);
	const end = handoff ? null : turnEnding(agent, intent, conversation.turn);
	const tags = evaluateTags(agent, message, intent, sentiment);
	for (const tag of overrides.tags ?? []) if (!tags.includes(tag) && agent.tagRules.some((r) => r.tag === tag)) tags.push(tag);
	const remark = Object.keys(collected).length === 0 && intent === null;
	const from = (template: string, source: ReplySource): PlannedReply => ({ text: renderFor(agent, updated, known, template), source, template });
	const planned = (): PlannedReply =>
		asked
			? from(agent.disclosure!.blockedMessage, 'disclosure')
			: handoff && agent.handoff
				? from(agent.handoff.message, 'handoff')
				: end?.reason === 'max_turns' && agent.ending?.maxTurnsMessage
					? from(agent.ending.maxTurnsMessage, 'max_turns')
					: overrides.reply !== undefined
						? { text: overrides.reply, source: 'model', template: overrides.replyTemplate ?? overrides.reply }
						: planReply({ agent, contact: updated, known, actions, transcript, turn: conversation.turn, remark });
	const { text: reply, source, template } = planned();
	const outcome: TurnOutcome = {
		reply,
		replyTemplate: template,
		replySource: source,
		collected,
		contactUpdates,
		intent,
		sentiment,
		summary: overrides.summary ?? summarize(agent, updated, known, intent),
		actions,
		modelCalls: overrides.modelCalls ?? 0,
		modelRequests: overrides.modelRequests ?? overrides.modelCalls ?? 0,
		tags,
		intentConfidence,
	};
	if (overrides.fallback) outcome.fallback = overrides.fallback;
	if (overrides.rejected?.length) outcome.rejected = overrides.rejected;
	if (handoff) outcome.handoff = handoff;
	if (end) outcome.end = end;
	return outcome;
}

/**
 * The turn when the model is not asked or failed: the rules decide everything, and their reply stands (handoff
 * message, action acknowledgement, next question, reply rule, or the wait for a workflow's result); only when the
 * rules have nothing to say (everything is collected) does the agent's fallback reply replace theirs.
 * `reason` goes on the outcome as `fallback`. Pure: the server calls it when the model budget is spent.
 */
export function fallbackOutcome(input: TurnInput, reason: string, counts: { modelCalls?: number; modelRequests?: number } = {}, now?: Date): TurnOutcome {
	const outcome = offlineOutcome(input, now);
	outcome.fallback = reason;
	outcome.modelCalls = counts.modelCalls ?? 0;
	outcome.modelRequests = counts.modelRequests ?? 0;
	if (outcome.replySource === 'all_collected' && input.agent.replies.fallback) {
		const updated = applyUpdates(input.contact, outcome.contactUpdates);
		const known = { ...knownFields(input.agent, input.contact, input.conversation.collected), ...outcome.collected };
		outcome.reply = renderFor(input.agent, updated, known, input.agent.replies.fallback);
		outcome.replyTemplate = input.agent.replies.fallback;
		outcome.replySource = 'fallback';
	}
	return outcome;
}

/**
 * The offline lead scoring rubric (integer 1..10):
 * - budget: >= 20,000 → 4; >= 10,000 → 3; >= 5,000 → 2; >= 1,000 → 1; less or unknown → 0
 * - timeline: within ~1 month → 3; within 3 months → 2; within 6 months → 1; later or unknown → 0
 * - service or need known → 1
 * - contact details: name known → 1; email or phone known → 1
 * Values come from collected fields and custom fields whose names say budget/timeline/service, else from what the
 * contact wrote. Confidence grows with how many rubric items are known.
 */
export const OFFLINE_RUBRIC =
	'Budget (0-4), timeline urgency (0-3), service known (0-1), name known (0-1), email or phone known (0-1); clamped to 1..10.';

function pick(sources: Record<string, unknown>[], pattern: RegExp): string | null {
	for (const source of sources) {
		for (const [key, value] of Object.entries(source)) {
			if (pattern.test(key) && value !== null && value !== undefined && String(value).trim() !== '') return String(value);
		}
	}
	return null;
}

export function scoreLeadOffline(input: ScoreInput, now?: Date): ScoreResult {
	const { contact, collected } = input;
	const sources: Record<string, unknown>[] = [collected, contact.customFields];
	const contactText = input.transcript.filter((e) => e.role === 'contact').map((e) => e.text).join('\n');
	const notes: string[] = [];
	let score = 0;
	let knownItems = 0;

	const budgetText = pick(sources, /budget|amount|spend|price/i);
	const budget = (budgetText && extractAmount(budgetText, { loose: true })) || extractAmount(contactText);
	if (budget) {
		knownItems++;
		const points = budget.value >= 20_000 ? 4 : budget.value >= 10_000 ? 3 : budget.value >= 5_000 ? 2 : budget.value >= 1_000 ? 1 : 0;
		score += points;
		notes.push(`budget ${budget.text} (+${points})`);
	} else notes.push('budget unknown (+0)');

	const timelineText = pick(sources, /timeline|timeframe|deadline|when|start/i);
	const timeline = (timelineText && extractTimeline(timelineText, { now, loose: true })) || extractTimeline(contactText, { now });
	if (timeline) {
		knownItems++;
		const d = timeline.days;
		const points = d === null ? 0 : d <= 31 ? 3 : d <= 90 ? 2 : d <= 180 ? 1 : 0;
		score += points;
		notes.push(`timeline ${timeline.text} (+${points})`);
	} else notes.push('timeline unknown (+0)');

	const service = pick(sources, /service|interest|need|product/i);
	if (service) {
		knownItems++;
		score += 1;
		notes.push(`service ${service} (+1)`);
	}
	const name = contact.firstName ?? extractName(contactText)?.first ?? null;
	if (name) {
		knownItems++;
		score += 1;
		notes.push('name known (+1)');
	}
	if (contact.email || contact.phone) {
		knownItems++;
		score += 1;
		notes.push(`${contact.email ? 'email' : 'phone'} known (+1)`);
	}
	const final = Math.min(10, Math.max(1, score));
	const confidence = Math.round(Math.min(0.95, 0.3 + knownItems * 0.13) * 100) / 100;
	return { score: final, rationale: `Rule-based score ${final}/10: ${notes.join(', ')}.`, confidence };
}

export function createOfflineEngine(): Engine {
	return {
		kind: 'offline',
		runTurn: runOfflineTurn,
		scoreLead: async (input) => scoreLeadOffline(input),
		// Without a language model the instructions are the message: written as one, with merge fields.
		composeMessage: async (input) => ({ text: input.instructions, modelCalls: 0 }),
	};
}

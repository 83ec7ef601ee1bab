// Deterministic decisions shared by both engines: which Trigger Workflow actions fire, and which tags apply.
// The model never decides these; it can only supply field values and an intent that are already filtered to the config.
import type { AgentConfig, AgentAction } from './agent-config';
import { findKeyword } from './extract';
import { classifyTags } from './classifier';
import type { ActionDecision, ContactSnapshot, Sentiment } from './types';

export interface ActionContext {
	agent: AgentConfig;
	known: Record<string, string>; // field values known after this turn
	collectedNow: Record<string, string>; // values extracted in this turn only
	intent: string | null; // intent detected in this turn
	intentConfidence?: number; // 0..1, default 1
	message?: string; // the contact's message, for explicit requests
	firedActions: string[]; // action ids already fired in this conversation
	contact?: ContactSnapshot;
}

function list(names: string[]): string {
	return names.join(', ');
}

/** A readable description of an action's condition, e.g. "fields budget, timeline provided". */
export function describeCondition(action: AgentAction): string {
	const parts: string[] = [];
	const c = action.condition;
	if (c.fieldsProvided) parts.push(`field${c.fieldsProvided.length > 1 ? 's' : ''} ${list(c.fieldsProvided)} provided`);
	if (c.intent) parts.push(`intent ${c.intent.join(' or ')} detected`);
	if (c.tags) parts.push(`tag${c.tags.length > 1 ? 's' : ''} ${list(c.tags)} present`);
	if (c.asks) parts.push(`contact asked for ${c.asks.join(' or ')}`);
	return parts.join(' and ');
}

function decide(action: AgentAction, ctx: ActionContext): ActionDecision {
	const base = { actionId: action.id, name: action.name };
	const c = action.condition;
	const alreadyFired = ctx.firedActions.includes(action.id);
	if (alreadyFired && action.once) return { ...base, fired: false, reason: 'already fired in this conversation' };

	const missing = (c.fieldsProvided ?? []).filter((f) => ctx.known[f] === undefined);
	if (missing.length) {
		return { ...base, fired: false, reason: `waiting for field${missing.length > 1 ? 's' : ''} ${list(missing)}` };
	}
	if (c.intent && !(ctx.intent && c.intent.includes(ctx.intent))) {
		return { ...base, fired: false, reason: `waiting for intent ${c.intent.join(' or ')}` };
	}
	const confidence = ctx.intentConfidence ?? 1;
	if (c.minConfidence !== undefined && confidence < c.minConfidence) {
		return { ...base, fired: false, reason: `intent ${ctx.intent} confidence ${confidence} is below ${c.minConfidence}` };
	}
	if (c.asks && !(ctx.message !== undefined && findKeyword(ctx.message, c.asks) >= 0)) {
		return { ...base, fired: false, reason: `waiting for the contact to ask for ${c.asks.join(' or ')}` };
	}
	const tags = ctx.contact?.tags ?? [];
	const missingTags = (c.tags ?? []).filter((t) => !tags.includes(t));
	if (missingTags.length) {
		return { ...base, fired: false, reason: `waiting for tag${missingTags.length > 1 ? 's' : ''} ${list(missingTags)}` };
	}
	// A repeatable action fires again only when this turn brought something new for its condition.
	if (alreadyFired && !c.intent && !c.asks && !(c.fieldsProvided ?? []).some((f) => ctx.collectedNow[f] !== undefined)) {
		return { ...base, fired: false, reason: 'no new value for its condition since it last fired' };
	}
	const fields = Object.fromEntries((c.fieldsProvided ?? []).map((f) => [f, ctx.known[f]]));
	return { ...base, fired: true, reason: describeCondition(action), fields };
}

/**
 * One decision per configured action, in config order, with the reason it fired or did not. The server applies the
 * cooldown and the per-conversation trigger cap afterwards (conversations/policies.ts): it owns the clock and the counts.
 */
export function evaluateActions(ctx: ActionContext): ActionDecision[] {
	return ctx.agent.actions.map((action) => decide(action, ctx));
}

/** Tags the agent's tag rules apply for this message (keywords, intents or sentiment), without duplicates. */
export function evaluateTags(agent: AgentConfig, message: string, intent: string | null, sentiment: Sentiment): string[] {
	const tags: string[] = [];
	const understood = classifyTags(agent, message);
	for (const rule of agent.tagRules) {
		const hit =
			understood.includes(rule.tag) ||
			(rule.intents !== undefined && intent !== null && rule.intents.includes(intent)) ||
			(rule.sentiment !== undefined && rule.sentiment === sentiment);
		if (hit && !tags.includes(rule.tag)) tags.push(rule.tag);
	}
	return tags;
}

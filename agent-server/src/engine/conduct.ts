// Deterministic conversation rules shared by both engines: handoff, endings, outcome classes and disclosure.
// The model may propose an intent or a reply; these rules alone decide what happens with them.
import type { AgentConfig, DisclosureLevel } from './agent-config';
import { findKeyword } from './extract';
import { contactValue, ruleMatches } from './fields';
import { contactFieldsRead, render } from './templates';
import type { ContactSnapshot, EndReason } from './types';

/** Why this message hands the conversation to a human, or null. */
export function handoffReason(agent: AgentConfig, message: string, intent: string | null): string | null {
	const h = agent.handoff;
	if (!h) return null;
	if (intent !== null && h.intents?.includes(intent)) return `intent ${intent}`;
	if (h.keywords && findKeyword(message, h.keywords) >= 0) return 'handoff keyword';
	return null;
}

/** Whether this turn ends the conversation: a closing intent, or the maximum number of turns reached. */
export function turnEnding(agent: AgentConfig, intent: string | null, turn: number): { reason: EndReason; detail: string } | null {
	const e = agent.ending;
	if (!e) return null;
	if (intent !== null && e.closingIntents?.includes(intent)) return { reason: 'closing_intent', detail: `closing intent ${intent}` };
	if (e.maxTurns !== undefined && turn >= e.maxTurns) return { reason: 'max_turns', detail: `maximum of ${e.maxTurns} turns reached` };
	return null;
}

export interface OutcomeInput {
	agent: AgentConfig;
	collected: Record<string, string>;
	firedActions: string[];
	intent: string | null; // the last intent the conversation reached
	intents?: string[]; // every intent seen in the conversation, if known
	sentiment: string | null;
	tags: string[];
}

/**
 * The outcome class of an ended conversation: the first configured rule that holds; else built in: booked (an
 * action or intent about booking), negative (negative sentiment), interested (fields given or an intent), browsing.
 * A built-in class the agent does not list falls back to its last listed outcome.
 */
export function classifyOutcome(input: OutcomeInput): { outcome: string; rule: string } {
	const { agent } = input;
	const intents = new Set([...(input.intents ?? []), ...(input.intent ? [input.intent] : [])]);
	for (const [i, r] of (agent.ending?.outcomeRules ?? []).entries()) {
		const holds =
			(!r.intents || r.intents.some((x) => intents.has(x))) &&
			(!r.actionsFired || r.actionsFired.some((x) => input.firedActions.includes(x))) &&
			(!r.tags || r.tags.some((x) => input.tags.includes(x))) &&
			(!r.sentiment || r.sentiment === input.sentiment) &&
			(!r.fieldsProvided || r.fieldsProvided.every((x) => input.collected[x] !== undefined));
		if (holds) return { outcome: r.outcome, rule: `outcome rule ${i + 1}` };
	}
	const bookingish = (s: string) => /book|appointment|schedul/i.test(s);
	let outcome: string;
	let rule: string;
	if (input.firedActions.some(bookingish) || [...intents].some(bookingish)) [outcome, rule] = ['booked', 'a booking action or intent'];
	else if (input.sentiment === 'negative') [outcome, rule] = ['negative', 'negative sentiment'];
	else if (Object.keys(input.collected).length > 0 || intents.size > 0) [outcome, rule] = ['interested', 'fields given or an intent reached'];
	else [outcome, rule] = ['browsing', 'nothing collected'];
	if (!agent.outcomes.includes(outcome)) return { outcome: agent.outcomes[agent.outcomes.length - 1] ?? outcome, rule: `${rule} (not an outcome of this agent)` };
	return { outcome, rule };
}

/** Whether the contact counts as verified for `verified` disclosure. */
export function isVerified(agent: AgentConfig, contact: ContactSnapshot): boolean {
	const when = agent.disclosure?.verifiedWhen;
	return when !== undefined && ruleMatches({ when, text: '-', once: false }, contact);
}

/** The disclosure level of a contact field reference; fields without a rule are always readable. */
export function disclosureLevel(agent: AgentConfig, ref: string): DisclosureLevel {
	return agent.disclosure?.fields.find((f) => f.field === ref)?.level ?? 'always';
}

/** The contact fields this contact may be told about now. */
export function mayDisclose(agent: AgentConfig, contact: ContactSnapshot, ref: string): boolean {
	const level = disclosureLevel(agent, ref);
	return level === 'always' || (level === 'verified' && isVerified(agent, contact));
}

/** The contact as the agent may show it (to the model, or in its replies): withheld fields removed. */
export function readableContact(agent: AgentConfig, contact: ContactSnapshot): ContactSnapshot {
	if (!agent.disclosure) return contact;
	const customFields = Object.fromEntries(Object.entries(contact.customFields).filter(([k]) => mayDisclose(agent, contact, `custom_field.${k}`)));
	const std = (ref: string, v: string | null) => (mayDisclose(agent, contact, ref) ? v : null);
	return {
		...contact,
		firstName: std('contact.first_name', contact.firstName),
		lastName: std('contact.last_name', contact.lastName),
		email: std('contact.email', contact.email),
		phone: std('contact.phone', contact.phone),
		customFields,
	};
}

export interface BlockedDisclosure {
	field: string;
	level: DisclosureLevel;
}

/**
 * The withheld fields a reply would reveal: a merge field reading one (in any spelling, whatever its value's length),
 * or its stored value appearing in the text (values under 3 characters are too common to tell by the text alone).
 */
export function blockedDisclosures(agent: AgentConfig, contact: ContactSnapshot, template: string, rendered: string): BlockedDisclosure[] {
	const blocked: BlockedDisclosure[] = [];
	const read = contactFieldsRead(template);
	for (const rule of agent.disclosure?.fields ?? []) {
		if (mayDisclose(agent, contact, rule.field)) continue;
		const named = read.includes(rule.field);
		const value = contactValue(contact, rule.field);
		const shown = value !== undefined && value !== null && String(value).length >= 3 && rendered.toLowerCase().includes(String(value).toLowerCase());
		if (named || shown) blocked.push({ field: rule.field, level: rule.level });
	}
	return blocked;
}

/** The reply as it may be said: as rendered, or the agent's blocked message when it would reveal a withheld field. */
export function guardDisclosure(
	agent: AgentConfig,
	contact: ContactSnapshot,
	template: string,
	rendered: string,
): { text: string; blocked: BlockedDisclosure[] } {
	const blocked = blockedDisclosures(agent, contact, template, rendered);
	if (!blocked.length) return { text: rendered, blocked };
	return { text: render(agent.disclosure!.blockedMessage, { contact, agent, variables: agent.variables }).text, blocked };
}

/** Why a human takes over after a blocked disclosure (handoff reason and timeline). */
export function disclosureHandoffReason(blocked: BlockedDisclosure[]): string {
	return `disclosure blocked: ${blocked.map((b) => `${b.field} (${b.level})`).join(', ')}`;
}

/** The first withheld field the contact asks for in this message (by the field's `asks` phrases), or null. */
export function askedForWithheld(agent: AgentConfig, contact: ContactSnapshot, message: string): BlockedDisclosure | null {
	for (const rule of agent.disclosure?.fields ?? []) {
		if (rule.asks && findKeyword(message, rule.asks) >= 0 && !mayDisclose(agent, contact, rule.field)) {
			return { field: rule.field, level: rule.level };
		}
	}
	return null;
}

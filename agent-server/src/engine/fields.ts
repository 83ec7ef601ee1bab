// Agent fields <-> contact fields: what is already known, what to ask next, and which contact fields to update.
import type { AgentConfig, AgentField, ReplyRule } from './agent-config';
import type { ContactSnapshot, CustomFieldValue, TranscriptEntry, TurnOutcome } from './types';

/** The contact's stored value for a reference such as `custom_field.lead_score` or `contact.email`. */
export function contactValue(contact: ContactSnapshot, ref: string): CustomFieldValue | undefined {
	if (ref.startsWith('custom_field.')) return contact.customFields[ref.slice('custom_field.'.length)];
	switch (ref) {
		case 'contact.first_name':
			return contact.firstName;
		case 'contact.last_name':
			return contact.lastName;
		case 'contact.name':
			return [contact.firstName, contact.lastName].filter(Boolean).join(' ') || null;
		case 'contact.email':
			return contact.email;
		case 'contact.phone':
			return contact.phone;
		default:
			return undefined;
	}
}

function isSet(v: CustomFieldValue | undefined): boolean {
	return v !== undefined && v !== null && String(v).trim() !== '';
}

/** Field values known so far: collected in this conversation, else already stored on the contact. */
export function knownFields(agent: AgentConfig, contact: ContactSnapshot, collected: Record<string, string>): Record<string, string> {
	const known: Record<string, string> = {};
	for (const field of agent.fields) {
		if (collected[field.name] !== undefined && collected[field.name] !== '') known[field.name] = collected[field.name];
		else {
			const stored = contactValue(contact, field.mapsTo);
			if (isSet(stored)) known[field.name] = String(stored);
		}
	}
	return known;
}

/**
 * The field to ask for next: the first missing required field, else the first missing optional field whose
 * question the agent has not asked yet in this conversation.
 */
export function nextMissingField(agent: AgentConfig, known: Record<string, string>, transcript: TranscriptEntry[] = []): AgentField | null {
	const missing = agent.fields.filter((f) => known[f.name] === undefined);
	const required = missing.find((f) => f.required);
	if (required) return required;
	const asked = new Set(transcript.filter((e) => e.role === 'agent').map((e) => e.text));
	return missing.find((f) => ![...asked].some((t) => t.includes(f.question))) ?? null;
}

/** Splits collected values into the standard and custom contact fields they map to. */
export function contactUpdatesFor(agent: AgentConfig, values: Record<string, string>): TurnOutcome['contactUpdates'] {
	const updates: TurnOutcome['contactUpdates'] = { standard: {}, custom: {} };
	for (const field of agent.fields) {
		const value = values[field.name];
		if (value === undefined) continue;
		const target = field.mapsTo;
		if (target.startsWith('custom_field.')) updates.custom[target.slice('custom_field.'.length)] = value;
		else if (target === 'contact.name') {
			const [first, ...rest] = value.trim().split(/\s+/);
			updates.standard.firstName = first;
			if (rest.length) updates.standard.lastName = rest.join(' ');
		} else if (target === 'contact.first_name') updates.standard.firstName = value;
		else if (target === 'contact.last_name') updates.standard.lastName = value;
		else if (target === 'contact.email') updates.standard.email = value;
		else if (target === 'contact.phone') updates.standard.phone = value;
	}
	return updates;
}

/** The contact as it will be once the server applies the updates, for rendering this turn's reply. */
export function applyUpdates(contact: ContactSnapshot, updates: TurnOutcome['contactUpdates']): ContactSnapshot {
	return {
		...contact,
		...updates.standard,
		customFields: { ...contact.customFields, ...updates.custom },
	};
}

/** The field the contact is most likely answering: the one the agent's last message asked for, else the next missing one. */
export function pendingField(agent: AgentConfig, known: Record<string, string>, transcript: TranscriptEntry[] = []): AgentField | null {
	const lastAgent = [...transcript].reverse().find((e) => e.role !== 'contact');
	const asked = lastAgent && agent.fields.find((f) => known[f.name] === undefined && lastAgent.text.includes(f.question));
	return asked || nextMissingField(agent, known, transcript);
}

/** Whether a reply rule's condition holds on the contact's stored fields and tags. */
export function ruleMatches(rule: ReplyRule, contact: ContactSnapshot): boolean {
	const w = rule.when;
	if (!w) return true;
	if (w.tag !== undefined && !contact.tags.includes(w.tag)) return false;
	if (w.field === undefined) return true;
	const raw = contactValue(contact, w.field);
	const exists = raw !== undefined && raw !== null && String(raw).trim() !== '';
	if (w.exists !== undefined && w.exists !== exists) return false;
	if (w.equals !== undefined && (!exists || String(raw).toLowerCase() !== String(w.equals).toLowerCase())) return false;
	const numeric = [w.gte, w.gt, w.lte, w.lt].some((v) => v !== undefined);
	if (numeric) {
		const n = exists ? Number(raw) : NaN;
		if (Number.isNaN(n)) return false;
		if (w.gte !== undefined && !(n >= w.gte)) return false;
		if (w.gt !== undefined && !(n > w.gt)) return false;
		if (w.lte !== undefined && !(n <= w.lte)) return false;
		if (w.lt !== undefined && !(n < w.lt)) return false;
	}
	return w.exists === false ? true : exists;
}

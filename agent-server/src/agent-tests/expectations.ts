// Checks a turn's expectations against what the server shows after it settled; each check says what held or what
// was there instead, and names the timeline entries of the turn that explain it.
import { mayDisclose } from '../engine/conduct';
import { contactValue } from '../engine/fields';
import type { AgentConfig } from '../engine/agent-config';
import type { ContactSnapshot } from '../engine/types';
import type { Expectation, TextCheck } from './format';

export interface TimelineEntry {
	at: string;
	kind: string;
	detail: Record<string, any>;
}
export interface MessageView {
	id: string;
	role: string;
	source?: string;
	text: string;
}

/** What the server shows after a turn: the state now and what this turn added. */
export interface TurnState {
	agent: AgentConfig;
	reply: { id: string; text: string } | null;
	/** Messages after the direct answer in this turn (late results, workflow replies). */
	later: MessageView[];
	/** Every agent, workflow and human message of the conversation so far. */
	outbound: MessageView[];
	collected: Record<string, string>;
	contact: ContactSnapshot;
	status: string;
	outcome: string | null;
	/** The timeline entries written in this turn. */
	timeline: TimelineEntry[];
}

export interface CheckResult {
	label: string;
	ok: boolean;
	/** What was there instead (failures). */
	actual?: string;
	/** Timeline entries of the turn that explain a failure. */
	explain: string[];
}

const quote = (s: string) => JSON.stringify(s);
const list = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);

/** One line for a timeline entry: its kind and the details a reader looks for first. */
export function describeEntry(e: TimelineEntry): string {
	const d = e.detail ?? {};
	const parts: string[] = [];
	for (const key of ['actionId', 'eventType', 'tag', 'role', 'reason', 'status', 'statusCode', 'outcome', 'by', 'addedBy', 'text', 'fields', 'collected', 'contact', 'rejected', 'awaits', 'waitedMs', 'error']) {
		if (d[key] === undefined || d[key] === null) continue;
		const value = typeof d[key] === 'string' ? d[key] : JSON.stringify(d[key]);
		parts.push(`${key} ${value.length > 160 ? `${value.slice(0, 157)}...` : value}`);
	}
	return `${e.kind}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

function explainBy(state: TurnState, kinds: string[], filter: (e: TimelineEntry) => boolean = () => true): string[] {
	return state.timeline.filter((e) => kinds.includes(e.kind) && filter(e)).map(describeEntry);
}

/** The text checks of one expectation, each a sentence; `ok` tells whether `text` passes. */
function textChecks(check: TextCheck): { label: string; ok: (text: string) => boolean }[] {
	if (typeof check === 'string') return [{ label: `is ${quote(check)}`, ok: (t) => t === check }];
	const out: { label: string; ok: (text: string) => boolean }[] = [];
	if (check.equals !== undefined) out.push({ label: `is ${quote(check.equals)}`, ok: (t) => t === check.equals });
	for (const part of list(check.contains ?? [])) out.push({ label: `contains ${quote(part)}`, ok: (t) => t.includes(part) });
	if (check.matches !== undefined) {
		const re = new RegExp(check.matches, check.flags ?? '');
		out.push({ label: `matches /${check.matches}/${check.flags ?? ''}`, ok: (t) => re.test(t) });
	}
	for (const part of list(check.notContains ?? [])) out.push({ label: `does not contain ${quote(part)}`, ok: (t) => !t.includes(part) });
	return out;
}

const same = (actual: unknown, expected: unknown) =>
	expected === null ? actual === null || actual === undefined || actual === '' : actual !== null && actual !== undefined && String(actual) === String(expected);

const show = (v: unknown) => (v === undefined || v === null || v === '' ? 'empty' : quote(String(v)));

function checkReply(expected: Expectation['reply'], s: TurnState): CheckResult[] {
	const explain = explainBy(s, ['engine.fallback', 'engine.failed', 'wait.fulfilled', 'wait.timed_out', 'disclosure.blocked', 'handoff', 'fields.rejected', 'conversation.ended']);
	if (expected === null) {
		return [{ label: 'no reply', ok: s.reply === null, actual: s.reply ? `the agent answered ${quote(s.reply.text)}` : undefined, explain }];
	}
	if (expected === undefined) return [];
	return textChecks(expected).map((c) => {
		const ok = s.reply !== null && c.ok(s.reply.text);
		return { label: `reply ${c.label}`, ok, actual: ok ? undefined : s.reply ? `the reply was ${quote(s.reply.text)}` : 'there was no reply', explain };
	});
}

function checkMessages(expected: TextCheck[], s: TurnState): CheckResult[] {
	const explain = explainBy(s, ['wait.timed_out', 'wait.late_result', 'workflow.reply', 'workflow.reply_skipped', 'delivery', 'loop.blocked']);
	return expected.map((check) => {
		const checks = textChecks(check);
		const ok = s.later.some((m) => checks.every((c) => c.ok(m.text)));
		const label = `a later message ${checks.map((c) => c.label).join(' and ')}`;
		const actual = s.later.length ? `later messages: ${s.later.map((m) => quote(m.text)).join(', ')}` : 'no message came after the reply';
		return { label, ok, actual: ok ? undefined : actual, explain };
	});
}

function checkCollected(expected: Record<string, string | null>, s: TurnState): CheckResult[] {
	return Object.entries(expected).map(([name, value]) => {
		const ok = same(s.collected[name], value);
		return {
			label: value === null ? `${name} not collected` : `collected ${name} = ${quote(value)}`,
			ok,
			actual: ok ? undefined : `${name} is ${show(s.collected[name])}`,
			explain: explainBy(s, ['fields.updated', 'fields.rejected']),
		};
	});
}

function checkContact(expected: NonNullable<Expectation['contact']>, s: TurnState): CheckResult[] {
	const explain = explainBy(s, ['fields.updated', 'fields.rejected']);
	const out: CheckResult[] = [];
	for (const key of ['firstName', 'lastName', 'email', 'phone'] as const) {
		if (expected[key] === undefined) continue;
		const ok = same(s.contact[key], expected[key]);
		out.push({ label: `contact ${key} = ${show(expected[key])}`, ok, actual: ok ? undefined : `it is ${show(s.contact[key])}`, explain });
	}
	for (const [name, value] of Object.entries(expected.customFields ?? {})) {
		const actual = s.contact.customFields[name];
		const ok = same(actual, value);
		out.push({ label: `contact custom field ${name} = ${show(value)}`, ok, actual: ok ? undefined : `it is ${show(actual)}`, explain });
	}
	return out;
}

function checkTags(expected: NonNullable<Expectation['tags']>, s: TurnState): CheckResult[] {
	const { has = [], lacks = [] } = Array.isArray(expected) ? { has: expected } : expected;
	const explain = explainBy(s, ['tag.added', 'tag.removed', 'loop.blocked']);
	const actual = `the contact's tags: ${s.contact.tags.length ? s.contact.tags.join(', ') : 'none'}`;
	return [
		...has.map((tag) => ({ label: `tagged ${tag}`, ok: s.contact.tags.includes(tag), actual, explain })),
		...lacks.map((tag) => ({ label: `not tagged ${tag}`, ok: !s.contact.tags.includes(tag), actual, explain })),
	].map((c) => (c.ok ? { ...c, actual: undefined } : c));
}

const ACTION_KINDS = ['action.fired', 'action.not_fired', 'action.suppressed', 'loop.blocked'];

function actionEntries(s: TurnState, actionId: string): TimelineEntry[] {
	return s.timeline.filter((e) => ACTION_KINDS.includes(e.kind) && (e.detail?.actionId === actionId || (e.kind === 'loop.blocked' && e.detail?.actionId === undefined)));
}

function checkFired(expected: string[], s: TurnState): CheckResult[] {
	return expected.map((actionId) => {
		const entries = actionEntries(s, actionId);
		const fired = entries.find((e) => e.kind === 'action.fired');
		const why = entries.find((e) => e.kind !== 'action.fired');
		return {
			label: `action ${actionId} fired`,
			ok: Boolean(fired),
			actual: fired ? undefined : why ? `it did not: ${why.detail?.reason ?? why.kind}` : 'the turn decided nothing about it (no such action on this agent?)',
			explain: entries.map(describeEntry),
		};
	});
}

function checkNotFired(expected: NonNullable<Expectation['notFired']>, s: TurnState): CheckResult[] {
	const wanted: [string, string | undefined][] = Array.isArray(expected) ? expected.map((a) => [a, undefined]) : Object.entries(expected);
	return wanted.map(([actionId, reason]) => {
		const entries = actionEntries(s, actionId);
		const fired = entries.find((e) => e.kind === 'action.fired');
		const held = entries.find((e) => e.kind !== 'action.fired');
		const heldReason = String(held?.detail?.reason ?? '');
		const ok = !fired && (reason === undefined || heldReason.includes(reason));
		const label = `action ${actionId} not fired${reason !== undefined ? ` (${quote(reason)})` : ''}`;
		const actual = fired ? `it fired: ${fired.detail?.reason ?? ''}` : held ? `the reason was ${quote(heldReason)}` : 'the turn gave no reason for it';
		return { label, ok, actual: ok ? undefined : actual, explain: entries.map(describeEntry) };
	});
}

const STATUS_OF: Record<string, string> = { active: 'active', handoff: 'human', ended: 'ended' };

function checkStatus(expected: Expectation, s: TurnState): CheckResult[] {
	const explain = explainBy(s, ['handoff', 'handoff.released', 'conversation.ended', 'disclosure.blocked', 'wait.timed_out']);
	const out: CheckResult[] = [];
	const shown = s.status === 'human' ? 'handoff (a human handles it)' : s.status;
	if (expected.status) {
		const ok = s.status === STATUS_OF[expected.status];
		out.push({ label: `status ${expected.status}`, ok, actual: ok ? undefined : `the status is ${shown}`, explain });
	}
	if (expected.outcome) {
		const ok = s.status === 'ended' && s.outcome === expected.outcome;
		const actual = s.status === 'ended' ? `it ended with outcome ${s.outcome ?? 'none'}` : `the conversation has not ended (${shown})`;
		out.push({ label: `ended with outcome ${expected.outcome}`, ok, actual: ok ? undefined : actual, explain });
	}
	return out;
}

/** The contact fields the agent's disclosure rules withhold from this contact now, with their values. */
export function withheldValues(agent: AgentConfig, contact: ContactSnapshot): { field: string; value: string }[] {
	return (agent.disclosure?.fields ?? [])
		.filter((f) => !mayDisclose(agent, contact, f.field))
		.map((f) => ({ field: f.field, value: contactValue(contact, f.field) }))
		.filter((f): f is { field: string; value: string | number | boolean } => f.value !== undefined && f.value !== null && String(f.value).trim() !== '')
		.map((f) => ({ field: f.field, value: String(f.value) }));
}

function checkDisclosure(s: TurnState): CheckResult[] {
	const withheld = withheldValues(s.agent, s.contact);
	const leaks = s.outbound.flatMap((m) => withheld.filter((w) => m.text.includes(w.value)).map((w) => `${w.field} (${quote(w.value)}) in ${quote(m.text)}`));
	return [
		{
			label: `nothing withheld disclosed${withheld.length ? ` (${withheld.map((w) => w.field).join(', ')})` : ''}`,
			ok: leaks.length === 0,
			actual: leaks.length ? `disclosed: ${leaks.join('; ')}` : undefined,
			explain: explainBy(s, ['disclosure.blocked', 'handoff']),
		},
	];
}

function checkTimeline(kinds: string[], s: TurnState): CheckResult[] {
	const present = [...new Set(s.timeline.map((e) => e.kind))];
	return kinds.map((kind) => {
		const ok = present.includes(kind);
		return { label: `timeline has ${kind}`, ok, actual: ok ? undefined : `this turn wrote ${present.join(', ') || 'nothing'}`, explain: [] };
	});
}

/** Every check of one turn's expectations, in the order the file names them. */
export function checkTurn(expected: Expectation | undefined, s: TurnState): CheckResult[] {
	if (!expected) return [];
	const out: CheckResult[] = [];
	for (const key of Object.keys(expected) as (keyof Expectation)[]) {
		switch (key) {
			case 'reply':
				out.push(...checkReply(expected.reply, s));
				break;
			case 'messages':
				out.push(...checkMessages(expected.messages ?? [], s));
				break;
			case 'collected':
				out.push(...checkCollected(expected.collected ?? {}, s));
				break;
			case 'contact':
				out.push(...checkContact(expected.contact ?? {}, s));
				break;
			case 'tags':
				out.push(...checkTags(expected.tags ?? [], s));
				break;
			case 'fired':
				out.push(...checkFired(expected.fired ?? [], s));
				break;
			case 'notFired':
				out.push(...checkNotFired(expected.notFired ?? [], s));
				break;
			case 'status':
				out.push(...checkStatus({ status: expected.status }, s));
				break;
			case 'outcome':
				out.push(...checkStatus({ outcome: expected.outcome }, s));
				break;
			case 'nothingWithheldDisclosed':
				out.push(...checkDisclosure(s));
				break;
			case 'timeline':
				out.push(...checkTimeline(expected.timeline ?? [], s));
				break;
		}
	}
	return out.map((c) => (c.ok ? { ...c, explain: [] } : c));
}
